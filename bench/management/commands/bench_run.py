"""Measure the portal's pages against the ceiling, on a seeded database, under gunicorn.

    DJANGO_SETTINGS_MODULE=bench.settings DATABASE_URL=postgres://…/mhhs_bench \
        CACHE_URL=redis://127.0.0.1:6379/5 manage.py bench_run --cases 20000

(`make bench N=…` sets all of that.) Seeds the database if it does not hold N bench cases yet
(`bench_seed`), signs the bench participant and agent in by writing their sessions — the
agent's with the second factor recorded, as the console requires (§10.5.2) — checks each page
once in-process (status and query count), then starts gunicorn with sync workers on a free
local port and drives each page for a warm-up and a fixed window (`bench.load`). It prints
one table — requests per second, p50 and p95 latency, the share of the ceiling's requests per
second measured in the same run, non-200 answers, queries — and writes it as markdown to
var/bench/results-<N>.md. Any answer other than 200 fails the run (exit status 1): a figure
measured on 429s, 403s or 500s is not a figure.
"""

import cProfile
import io
import os
import pstats
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench import load, seed, seed_knowledge
from cases.selectors import case_list_for
from sla.models import TicketSLA
from tickets.models import JournalEntry

from .bench_seed import bench_seed_command

HOST = "127.0.0.1"


def session_cookie(user, *, second_factor: bool) -> str:
    """A signed-in session written server-side, as `Client.force_login` would, and the Cookie
    header that presents it. With `second_factor`, the session records a TOTP step as allauth
    does after the code is entered (tests/conftest.py `mfa_client`, accounts/mfa.py)."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    now = time.time()
    records = [{"method": "password", "at": now, "email": user.email}]
    if second_factor:
        records.append({"method": "mfa", "at": now, "type": "totp"})
    store[AUTHENTICATION_METHODS_SESSION_KEY] = records
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def knowledge_pages(articles: int) -> list[dict]:
    """The knowledge search (issue 12: under 50 ms at p95 over 100,000 articles), by the
    portal's search page and by the API, each cycling through `seed_knowledge.search_queries`;
    none when the run seeds no articles."""
    if articles <= 0:
        return []
    queries = [urlencode({"q": q}) for q in seed_knowledge.search_queries()]
    page_paths = [f"{reverse('knowledge:search')}?{q}" for q in queries]
    api_paths = [f"/api/v1/knowledge/articles/?{q.replace('q=', 'search=', 1)}" for q in queries]
    return [
        {"name": "knowledge search", "user": "participant", "path": page_paths[0],
         "paths": page_paths, "queries": None},
        {"name": "API knowledge search", "user": "participant", "path": api_paths[0],
         "paths": api_paths, "queries": None},
    ]  # fmt: skip


# The profile lists the portal's own functions and the framework's big steps.
PROFILED_CODE = (
    r"/(accounts|access|bench|cases|comms|core|incidents|mhhs_portal|sla|tickets)/"
    r"|template/(base|loader_tags)\.py|db/models/query\.py|psycopg/connection\.py"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Command(BaseCommand):
    help = "Seed if needed, start gunicorn and measure the portal's pages against the ceiling."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=seed.DEFAULT_CASES)
        parser.add_argument("--duration", type=float, default=10.0, help="Seconds per page.")
        parser.add_argument("--warmup", type=float, default=3.0, help="Seconds not counted.")
        parser.add_argument("--concurrency", type=int, default=2, help="Client threads.")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers.")
        parser.add_argument("--force", action="store_true", help="Passed on to bench_seed.")
        parser.add_argument(
            "--articles",
            type=int,
            default=0,
            help="Seed this many knowledge articles (make bench: 100,000) and measure the "
            "knowledge search with varied queries.",
        )
        parser.add_argument(
            "--profile",
            default="",
            metavar="PAGE",
            help="Instead of the load run, profile one page in-process (cProfile, "
            "e.g. --profile 'My Cases') and print where its time goes.",
        )
        parser.add_argument(
            "--profile-sort",
            default="cumulative",
            choices=["cumulative", "tottime"],
            help="Order of the profile: time including callees (default) or each "
            "function's own time, which shows where the interpreter actually spends it.",
        )
        parser.add_argument(
            "--output",
            default="",
            help="Markdown file for the table (default var/bench/results-<N>.md).",
        )

    def handle(self, *args, **options):
        if settings.ROOT_URLCONF != "bench.urls":
            raise CommandError(
                "Run with DJANGO_SETTINGS_MODULE=bench.settings (make bench does): the ceiling "
                "endpoint exists only there."
            )
        n = options["cases"]
        out = self.stdout.write
        started = time.perf_counter()
        report = bench_seed_command(
            out=out, cases=n, setup=True, force=options["force"], articles=options["articles"]
        )
        seeding = (
            f"seeded in {report.seconds:.1f} s"
            if report
            else f"already seeded ({time.perf_counter() - started:.1f} s to check)"
        )
        pages, cookies = self._pages()
        pages += knowledge_pages(options["articles"])
        self._check_in_process(pages, cookies)
        if options["profile"]:
            self._profile(pages, cookies, options["profile"], sort=options["profile_sort"])
            return

        port = free_port()
        log_path = Path(settings.VAR_DIR) / "bench" / f"gunicorn-{n}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        server = self._start_gunicorn(port, options["workers"], log_path)
        results = []
        try:
            self._wait_ready(port, pages[0], cookies, server, log_path)
            for page in pages:
                result = load.drive(
                    host=HOST,
                    port=port,
                    path=page["path"],
                    cookie=cookies[page["user"]],
                    concurrency=options["concurrency"],
                    warmup=options["warmup"],
                    duration=options["duration"],
                    name=page["name"],
                    user=page["user"],
                    paths=tuple(page.get("paths", ())),
                )
                result.queries = page["queries"]
                results.append(result)
                out(f"  {page['name']}: {result.rate:.1f} req/s")
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()

        rows = load.table_rows(results, results[0])
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        heading = (
            f"{n:,} cases ({seeding}); gunicorn {options['workers']} sync workers, "
            f"{options['concurrency']} client threads, {options['warmup']:g} s warm-up + "
            f"{options['duration']:g} s per page; PostgreSQL {version}, {os.cpu_count()} CPUs"
        )
        out("")
        out(f"bench: {heading}")
        out(load.text_table(rows))
        output = Path(options["output"] or Path(settings.VAR_DIR) / "bench" / f"results-{n}.md")
        output.parent.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        output.write_text(f"Page benchmark, {stamp}: {heading}.\n\n{load.markdown_table(rows)}\n")
        out(f"written to {output}")
        failed = [r for r in results if r.failures]
        if failed:
            for result in failed:
                self.stderr.write(
                    f"FAILED: {result.name} ({result.path}) answered "
                    f"{load.failures_text(result.failures)} — see {log_path}"
                )
            raise CommandError("the bench run had answers other than 200; its figures are void")

    # --- what is measured ----------------------------------------------------------------------

    def _pages(self) -> tuple[list[dict], dict[str, str]]:
        """The pages, the ceiling first; the sample case is one the participant sees through
        the portal's own selector, In Progress and raised in the portal, so it has its journal
        and all its clocks (acknowledgement, triage, resolution)."""
        people = seed.bench_people_ensure()
        participant, agent = people.participant, people.agent
        case = case_list_for(participant, state="in_progress").filter(channel="portal").first()
        if case is None:
            raise CommandError("No In Progress case visible to the bench participant: reseed.")
        case_type = ContentType.objects.get_for_model(case)
        clocks = TicketSLA.objects.filter(ticket_type=case_type, ticket_id=case.pk).count()
        journal = JournalEntry.objects.filter(ticket_type=case_type, ticket_id=case.pk).count()
        self.stdout.write(
            f"sample case {case.number} (pk {case.pk}): {journal} journal entries, {clocks} clocks"
        )
        cookies = {
            "participant": session_cookie(participant, second_factor=False),
            "agent": session_cookie(agent, second_factor=True),
        }
        pages = [
            ("ceiling", "participant", reverse("bench_ceiling")),
            ("My Cases", "participant", reverse("portal:case_list")),
            ("API case list 50", "participant", "/api/v1/cases/?page_size=50"),
            ("API case detail", "participant", f"/api/v1/cases/{case.number}/"),
            (
                "case page",
                "participant",
                reverse("portal:case_detail", kwargs={"number": case.number}),
            ),
            ("console case list", "agent", reverse("admin:cases_case_changelist")),
            ("triage queue", "agent", reverse("admin:cases_case_triage_queue")),
            ("console case page", "agent", reverse("admin:cases_case_change", args=[case.pk])),
        ]
        return [
            {"name": name, "user": user, "path": path, "queries": None}
            for name, user, path in pages
        ], cookies

    def _check_in_process(self, pages: list[dict], cookies: dict[str, str]) -> None:
        """Two requests per page through Django's test client with the same sessions: the
        second's query count (warm, as under load) for the table, and a clear failure before
        the load if a page is not 200."""
        for page in pages:
            client = Client()
            name, _, key = cookies[page["user"]].partition("=")
            client.cookies[name] = key
            client.get(page["path"])  # the steady state: session and access cache warm
            with CaptureQueriesContext(connection) as queries:
                response = client.get(page["path"])
            if response.status_code != 200:
                raise CommandError(
                    f"{page['name']} ({page['path']}) answered {response.status_code} "
                    f"in-process for the {page['user']}; not measuring."
                )
            page["queries"] = len(queries)

    def _profile(
        self, pages: list[dict], cookies: dict[str, str], name: str, *, sort: str = "cumulative"
    ) -> None:
        """Where one page's time goes: 200 requests through Django's test client under
        cProfile (so the figures are relative; cProfile roughly doubles the time), the
        functions of the portal's own packages and the framework's big steps first."""
        chosen = [page for page in pages if page["name"].lower() == name.lower()]
        if not chosen:
            names = ", ".join(page["name"] for page in pages)
            raise CommandError(f"No page named {name!r}; choose one of: {names}.")
        page = chosen[0]
        client = Client()
        cookie_name, _, key = cookies[page["user"]].partition("=")
        client.cookies[cookie_name] = key
        for _ in range(10):
            client.get(page["path"])
        requests = 200
        started = time.perf_counter()
        for _ in range(requests):
            client.get(page["path"])
        plain = (time.perf_counter() - started) / requests * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(page["path"])
        profiler.disable()
        self.stdout.write(f"{page['name']}: {plain:.2f} ms a request in-process, unprofiled")
        report = io.StringIO()
        stats = pstats.Stats(profiler, stream=report).sort_stats(sort)
        if sort == "tottime":
            stats.print_stats(40)  # own time: every function counts, the framework's too
        else:
            stats.print_stats(PROFILED_CODE, 40)
        self.stdout.write(report.getvalue())

    # --- the server ----------------------------------------------------------------------------

    def _start_gunicorn(self, port: int, workers: int, log_path: Path) -> subprocess.Popen:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DJANGO_DEBUG": "0"}
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "mhhs_portal.wsgi:application",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"{HOST}:{port}",
            "--log-level",
            "warning",
            "--error-logfile",
            str(log_path),
        ]
        self.stdout.write(f"gunicorn on {HOST}:{port}, {workers} sync workers (log {log_path})")
        return subprocess.Popen(command, env=env, cwd=settings.BASE_DIR)  # noqa: S603 - our own argv

    def _wait_ready(self, port, page, cookies, server, log_path: Path) -> None:
        import http.client

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"gunicorn exited with {server.returncode}: see {log_path}")
            try:
                probe = http.client.HTTPConnection(HOST, port, timeout=5)
                probe.request("GET", page["path"], headers={"Cookie": cookies[page["user"]]})
                if probe.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise CommandError(f"gunicorn did not answer within 60 s: see {log_path}")
