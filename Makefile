# MHHS Service Desk Portal: install, run, test and lint (docs/architecture.md §10).
#
#   make run    a working portal with demo data at http://127.0.0.1:8000 (SQLite, filesystem broker)
#   make test   the whole test suite (SQLite and a local-memory cache by default; DATABASE_URL,
#               CELERY_BROKER_URL and CACHE_URL from the environment select PostgreSQL and Redis)
#   make lint   ruff check, ruff format --check, the layers check (import-linter) and a
#               migrations check
#   make bench  the page benchmark on PostgreSQL (N=20000 cases by default)
#   make sla-bench  the SLA engine benchmark on PostgreSQL
#   make backup / make restore BACKUP=…  PostgreSQL dump and restore (docs/operations.md)

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(CURDIR)/$(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test lint

# pyproject.toml is the one list of dependencies. The project is an application run from this
# tree (`packages = []`), so its dependencies are installed directly rather than building and
# installing an empty distribution. The stamp makes later runs skip pip until pyproject changes.
$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c 'import tomllib; p = tomllib.load(open("pyproject.toml", "rb"))["project"]; \
	print("\n".join(p["dependencies"] + p["optional-dependencies"]["test"]))' > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	touch $@

install: $(VENV)/.installed

# A random key written once and kept; settings read it when SECRET_KEY is not set.
var/secret_key:
	mkdir -p var
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# honcho reads .env (if present) for `honcho run` and `honcho start` alike, so migrate, the seed
# and both processes see the same configuration. With nothing set, that is SQLite under var/,
# the filesystem broker under var/celery/ and console email.
run: install var/secret_key
	PATH="$(BIN):$$PATH" DJANGO_DEBUG=1 $(BIN)/honcho run python manage.py migrate --noinput
	PATH="$(BIN):$$PATH" DJANGO_DEBUG=1 $(BIN)/honcho run python manage.py seed_demo
	@echo "Portal: http://127.0.0.1:$(PORT)/  console: /admin/  API docs: /api/docs/  (Ctrl-C stops)"
	PATH="$(BIN):$$PATH" DJANGO_DEBUG=1 PORTAL_BASE_URL="$${PORTAL_BASE_URL:-http://127.0.0.1:$(PORT)}" \
		$(BIN)/honcho start -f Procfile -p $(PORT)

# Without CACHE_URL, settings use a file cache under var/ that `make run` and any other test run
# share; a test run gets a cache of its own instead.
test: install var/secret_key
	CACHE_URL="$${CACHE_URL:-locmem://}" $(PY) -m pytest $(PYTEST_ARGS)

lint: install var/secret_key
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=tests.settings $(PY) manage.py makemigrations --check --dry-run probe_tickets

# Page benchmark (README "Performance"): seeds N cases (default 20,000) with journal and SLA
# clocks into a PostgreSQL database, created and migrated if needed and not seeded again when
# it already holds N bench cases; runs the portal under gunicorn (2 sync workers) with
# bench.settings and Redis as cache; measures each page against the ceiling endpoint in the
# same run and writes var/bench/results-N.md. Exits non-zero if any answer is not a 200.
#   make bench N=1000000        (each N has its own database, mhhs_bench_<N>)
#   make bench BENCH_ARGS="--duration 20 --concurrency 4"
N ?= 20000
# Knowledge articles the knowledge search is measured over (issue 12: 100,000).
ARTICLES ?= 100000
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mhhs_bench_$(N)
BENCH_CACHE_URL ?= redis://127.0.0.1:6379/5
BENCH_ARGS ?=
.PHONY: bench
bench: install var/secret_key
	DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL="$(BENCH_DATABASE_URL)" \
		CACHE_URL="$(BENCH_CACHE_URL)" $(PY) manage.py bench_run --cases $(N) --articles $(ARTICLES) $(BENCH_ARGS)

# SLA benchmark (docs/architecture.md §3): seeds N open tickets with their clocks (default
# 1,000,000) in a PostgreSQL database of its own, created and migrated if needed, and prints the
# time of one sweep and of a transition's clock work. DATABASE_URL picks the database;
# SLA_BENCH_ARGS="--tickets 100000" for a quicker run.
SLA_BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mhhs_sla_bench
SLA_BENCH_ARGS ?=
.PHONY: sla-bench
sla-bench: install var/secret_key
	DATABASE_URL="$${DATABASE_URL:-$(SLA_BENCH_DATABASE_URL)}" $(PY) manage.py sla_bench --setup $(SLA_BENCH_ARGS)

# Backups (docs/operations.md): `make backup` dumps DATABASE_URL (pg_dump, custom format) and the
# filesystem media into BACKUP_DIR (var/backups); `make restore BACKUP=var/backups/portal-….dump`
# puts one back, in one transaction. Both need DATABASE_URL to name a PostgreSQL database.
.PHONY: backup restore
backup:
	deploy/backup.sh

restore:
	deploy/restore.sh
