"""CI cannot go green on a missing service (issue 14, tests/ci_services.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from tests import ci_services

ROOT = Path(__file__).resolve().parents[1]


class _Report:
    def __init__(self, reason: str, **extra):
        self.longrepr = ("file.py", 1, f"Skipped: {reason}")
        self.outcome = "skipped"
        self.__dict__.update(extra)


def test_only_sqlite_behaviour_and_chance_skips_are_allowed_in_ci():
    assert ci_services.skip_allowed(_Report("the refusal is SQLite's"))
    assert ci_services.skip_allowed(_Report("the old code happens to equal a current one"))
    assert ci_services.skip_allowed(_Report("anything", wasxfail="known"))
    needs_redis = _Report("needs Redis as the broker: set CELERY_BROKER_URL=redis://...")
    assert not ci_services.skip_allowed(needs_redis)
    ci_services.fail_skip(needs_redis)
    assert needs_redis.outcome == "failed"
    assert "needs Redis as the broker" in needs_redis.longrepr


@override_settings(
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    CELERY_BROKER_URL="filesystem://",
)
def test_the_embedded_defaults_are_named_as_missing_services():
    problems = " ".join(ci_services.missing_services())
    assert "DATABASE_URL is not PostgreSQL" in problems
    assert "CACHE_URL is not Redis" in problems
    assert "CELERY_BROKER_URL is not Redis" in problems


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_a_broker_that_does_not_answer_is_named():
    assert any("Redis does not answer" in p for p in ci_services.missing_services())


def test_a_ci_run_on_sqlite_stops_before_any_test():
    """The guard end to end: pytest itself exits non-zero, naming what is missing."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CACHE_URL", "CELERY_BROKER_URL")
    }
    env.update(CI_REQUIRE_SERVICES="1", CACHE_URL="locmem://")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 3, run.stdout[-2000:]
    assert "DATABASE_URL is not PostgreSQL" in run.stdout + run.stderr
    assert " passed" not in run.stdout


@pytest.mark.skipif(
    not ci_services.required(), reason="what CI itself must have (SQLite runs skip)"
)
def test_this_ci_run_has_every_service():
    assert ci_services.missing_services() == []
