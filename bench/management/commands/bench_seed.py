"""Seed the page benchmark's PostgreSQL database (`bench.seed` says what and why).

    manage.py bench_seed --setup                 # create and migrate the database, 20,000 cases
    manage.py bench_seed --cases 1000000         # a million
    manage.py bench_seed --cases 20000 --reseed  # again, even though 20,000 are there

Run with DATABASE_URL pointing at a bench database (`make bench` does). A database that already
holds exactly N bench cases is left as it is, so repeated bench runs do not pay for the seed.
A database holding cases that are not the bench's is refused unless --force is given.
"""

import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from bench import seed, seed_knowledge
from core.bulk_seed import database_ensure


class Command(BaseCommand):
    help = "Seed N cases with journal and SLA clocks into a PostgreSQL bench database."
    # The database may not exist yet when `--setup` is given: no checks before handle().
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=seed.DEFAULT_CASES)
        parser.add_argument(
            "--setup", action="store_true", help="Create the database if needed, then migrate."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database holds cases that are not the bench's own.",
        )
        parser.add_argument(
            "--reseed",
            action="store_true",
            help="Seed again even when the database already holds N bench cases.",
        )
        parser.add_argument(
            "--articles",
            type=int,
            default=0,
            help="Also seed this many published knowledge articles for the search benchmark "
            f"(make bench: {seed_knowledge.DEFAULT_ARTICLES:,}); 0 leaves them as they are.",
        )

    def handle(self, *args, cases: int, setup: bool, force: bool, reseed: bool, **options):
        bench_seed_command(
            out=self.stdout.write,
            cases=cases,
            setup=setup,
            force=force,
            reseed=reseed,
            articles=options.get("articles", 0),
        )


def bench_seed_command(
    *,
    out,
    cases: int,
    setup: bool = False,
    force: bool = False,
    reseed: bool = False,
    articles: int = 0,
) -> seed.SeedReport | None:
    """The command's work, also called by `bench_run` so it can report the seeding time.
    Returns None when the database already held N bench cases."""
    if connection.vendor != "postgresql":
        raise CommandError(
            "bench_seed runs on PostgreSQL only: set DATABASE_URL=postgres://… (make bench uses "
            "postgres://postgres@127.0.0.1:5432/mhhs_bench). Page timings on SQLite say "
            "nothing about production."
        )
    if cases < 1:
        raise CommandError("--cases must be 1 or more.")
    if setup:
        database = settings.DATABASES["default"]
        if database_ensure(database):
            out(f"created database {database['NAME']}")
        pending = _pending_migrations()
        call_command("migrate", verbosity=0, interactive=False)
        if pending and seed.bench_cases().exists():
            # The pages are measured as a desk runs after autovacuum, not in the minutes after
            # a migration that rewrote every case (the plans differ until then).
            started = time.perf_counter()
            seed.bench_tables_vacuum()
            out(
                f"applied {pending} migration{'s' if pending != 1 else ''} to the seeded "
                f"database; VACUUM ANALYZE {time.perf_counter() - started:.1f} s"
            )
    if seed.real_cases_exist() and not force:
        raise CommandError(
            "This database holds cases that are not the bench's own (numbers other than "
            f"{seed.Case.NUMBER_PREFIX} and ten digits); bench_seed would add thousands of rows "
            "to it. Point DATABASE_URL at a bench database, or pass --force."
        )
    people = seed.bench_people_ensure()
    # The knowledge search benchmark's articles (issue 12), kept apart from the cases.
    seed_knowledge.knowledge_seed_ensure(articles, owner=people.agent, out=out)
    held = seed.bench_cases().count()
    if held == cases and not reseed:
        out(f"bench_seed: {connection.settings_dict['NAME']} already holds {held:,} bench cases")
        return None
    report = seed.bench_seed(cases, people=people)
    if report.removed:
        out(f"removed {report.removed:,} earlier bench cases")
    steps = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in report.timings.items())
    out(
        f"bench_seed: seeded {cases:,} cases into {connection.settings_dict['NAME']} in "
        f"{report.seconds:.1f} s ({seed.elapsed_text(report.seconds)}): {steps}"
    )
    inserted = (
        f"{label}{'' if label in ('cases', 'journal') else ' clock events'} {count:,}"
        for label, count in report.rows.items()
    )
    out("rows: " + ", ".join(inserted))
    out("census: " + ", ".join(f"{k} {v:,}" for k, v in seed.bench_census().items()))
    out(
        f"sign in as {seed.PARTICIPANT_EMAIL} (participant) or {seed.AGENT_EMAIL} (agent, TOTP "
        f"secret {seed.AGENT_TOTP_SECRET}), password {seed.BENCH_PASSWORD!r}"
    )
    return report


def _pending_migrations() -> int:
    """How many migrations `migrate` is about to apply (0 for a new, empty database too: it
    has no cases to vacuum)."""
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
