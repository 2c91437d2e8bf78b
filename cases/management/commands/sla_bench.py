"""Benchmark the SLA engine on PostgreSQL (docs/architecture.md §3, issue point 8).

    manage.py sla_bench                     # 1,000,000 open tickets, each with an open clock
    manage.py sla_bench --tickets 100000    # a quicker run
    manage.py sla_bench --setup             # first create the database if needed, and migrate

Seeds N open cases and one open resolution clock each with two set-based INSERT … SELECT
generate_series statements (P2 on the 24x7 calendar, P3 and P4 on the business calendar;
about one in ten On Hold, so paused; ages spread so that about a quarter are already past
their deadline and flagged by earlier sweeps, as in a desk that has been running). The flags
are set as of one minute ago, so the sweep that is timed finds what one minute of a real desk
brings due. Then it times that sweep, a second (idempotent) one, and the clock work of a
ticket's transitions (`ticket_sla_sync`, with its query count) on a case raised through the
services, and prints the figures. Bench cases are numbered BN…; earlier ones are removed first.

PostgreSQL only: on SQLite a million clocks say nothing about production. The command lives
with the cases because it seeds cases; what it measures is the SLA engine (`sla.sweeps`,
`sla.services`).
"""

import logging
import time
from datetime import timedelta

from celery import current_app as celery_app
from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.models import User
from accounts.services import organisation_create
from cases.models import Case
from cases.services import case_classify, case_create, case_transition
from core.bulk_seed import database_ensure, insert_select_sql
from sla.models import SLADefinition, TicketSLA
from sla.services import ticket_sla_sync
from sla.sweeps import _flag_params, _flag_sql, sla_sweep
from tickets.models import Category
from tickets.priority import Impact, Urgency

BENCH_PREFIX = "BN"
BENCH_SUBJECT = "SLA bench"
DEFAULT_TICKETS = 1_000_000

# Priority → (definition, wall-clock span of its target used to spread the seeded deadlines):
# P2 1 day on 24x7; P3 5 business days ≈ 7 calendar days; P4 20 business days ≈ 28.
SEEDED = {
    2: ("Case P2 resolution", timedelta(days=1)),
    3: ("Case P3 resolution", timedelta(days=7)),
    4: ("Case P4 resolution", timedelta(days=28)),
}


class Command(BaseCommand):
    help = "Seed N open tickets' SLA clocks on PostgreSQL and time a sweep and a transition."
    # The database may not exist yet when `--setup` is given: no checks before handle().
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets", type=int, default=DEFAULT_TICKETS, help="Open tickets to seed."
        )
        parser.add_argument(
            "--setup",
            action="store_true",
            help="Create the database if it does not exist, then migrate it.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though the database holds cases that are not the bench's own.",
        )

    def handle(self, *args, tickets: int, setup: bool, force: bool, **options):
        database = settings.DATABASES["default"]
        if connection.vendor != "postgresql":
            raise CommandError(
                "sla_bench runs on PostgreSQL only: set DATABASE_URL=postgres://… (make sla-bench "
                "uses postgres://postgres@127.0.0.1:5432/mhhs_sla_bench). SQLite is refused: a "
                "million clocks there say nothing about production."
            )
        if tickets < 1:
            raise CommandError("--tickets must be 1 or more.")
        if setup:
            self._create_database(database)
            call_command("migrate", verbosity=0, interactive=False)
        self._refuse_real_data(force)
        # Alerts are queued in the outbox as in production; their delivery tasks go to an
        # in-memory broker so a bench run never feeds a real worker (or a shared var/ queue).
        # The current app is the project's (`mhhs_portal` loads it when Django starts).
        celery_app.conf.broker_url = "memory://"
        celery_app.conf.broker_transport_options = {}
        logging.getLogger("kombu.connection").setLevel(logging.ERROR)

        out = self.stdout.write
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        out(f"sla_bench: PostgreSQL {version}, database {connection.settings_dict['NAME']}")

        removed, seconds = self._timed(self._remove_earlier)
        if removed:
            out(f"removed {removed:,} earlier bench tickets in {seconds:.1f} s")
        now = timezone.now()
        cases_s, clocks_s, analyze_s = self._seed(tickets, now=now)
        out(
            f"seeded {tickets:,} open tickets and {tickets:,} open clocks in "
            f"{cases_s + clocks_s + analyze_s:.1f} s (tickets {cases_s:.1f} s, clocks "
            f"{clocks_s:.1f} s, analyze {analyze_s:.1f} s)"
        )
        out(self._census())

        first = None
        for label in ("sweep", "sweep again (same instant)"):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                result = sla_sweep(now=first.now if first else None)
                elapsed = time.perf_counter() - started
            first = first or result
            out(
                f"{label}: {elapsed:.3f} s, {len(queries)} queries; "
                f"{result.breached} breached, {result.at_risk} at risk, "
                f"{result.notified} alerted (detection {result.detect_seconds:.3f} s in "
                f"{result.statements} statements, alerts {result.notify_seconds:.3f} s)"
            )
        out(self._plan())
        for line in self._transitions():
            out(line)

    # --- setup ---------------------------------------------------------------------------------

    def _create_database(self, database: dict) -> None:

        if database_ensure(database):
            self.stdout.write(f"created database {database['NAME']}")

    def _refuse_real_data(self, force: bool) -> None:

        real = (
            Case.objects.exclude(number__startswith=BENCH_PREFIX)
            .exclude(short_description__startswith=BENCH_SUBJECT)
            .exists()
        )
        if real and not force:
            raise CommandError(
                "This database holds cases that are not the bench's own; sla_bench seeds a "
                "million rows into it. Point DATABASE_URL at a bench database, or pass --force."
            )

    @staticmethod
    def _timed(function, *args):
        started = time.perf_counter()
        value = function(*args)
        return value, time.perf_counter() - started

    # --- seeding ---------------------------------------------------------------------------------

    def _remove_earlier(self) -> int:

        case_type = ContentType.objects.get_for_model(Case)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {TicketSLA._meta.db_table} WHERE ticket_type_id = %s AND ticket_id "  # noqa: S608 - names from model meta
                f"IN (SELECT id FROM {Case._meta.db_table} WHERE number LIKE %s)",
                [case_type.pk, f"{BENCH_PREFIX}%"],
            )
            cursor.execute(
                f"DELETE FROM {Case._meta.db_table} WHERE number LIKE %s",  # noqa: S608 - names from model meta
                [f"{BENCH_PREFIX}%"],
            )
            return cursor.rowcount

    def _seed(self, tickets: int, *, now) -> tuple[float, float, float]:

        definitions = {
            priority: SLADefinition.objects.get(name=name)
            for priority, (name, _span) in SEEDED.items()
        }
        case_type = ContentType.objects.get_for_model(Case)
        with transaction.atomic():
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SELECT setseed(0.42)")
                sql, params = self._cases_sql(tickets, now)
                cursor.execute(sql, params)
            cases_done = time.perf_counter()
            with connection.cursor() as cursor:
                sql, params = self._clocks_sql(case_type, definitions, now)
                cursor.execute(sql, params)
            clocks_done = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Case._meta.db_table}")
            cursor.execute(f"ANALYZE {TicketSLA._meta.db_table}")
        analyzed = time.perf_counter()
        return cases_done - started, clocks_done - cases_done, analyzed - clocks_done

    def _cases_sql(self, tickets: int, now) -> tuple[str, dict]:
        """INSERT … SELECT generate_series: open cases of priority 2 (10%), 3 (50%), 4 (40%),
        one in ten On Hold, opened up to 1.3 target spans ago."""
        spans = {p: span.total_seconds() for p, (_name, span) in SEEDED.items()}
        priority = "(CASE WHEN s.i %% 10 = 0 THEN 2 WHEN s.i %% 10 < 6 THEN 3 ELSE 4 END)"
        span = (
            f"(CASE {priority} WHEN 2 THEN {spans[2]} WHEN 3 THEN {spans[3]} ELSE {spans[4]} END)"
        )
        explicit = {
            "number": f"'{BENCH_PREFIX}' || lpad(s.i::text, 10, '0')",
            "short_description": f"'{BENCH_SUBJECT} ' || s.i",
            "description": "'Seeded by sla_bench.'",
            "priority": priority,
            "state": "(CASE WHEN s.i %% 10 = 7 THEN 'on_hold' ELSE 'in_progress' END)",
            "hold_reason": "(CASE WHEN s.i %% 10 = 7 THEN 'awaiting_vendor' ELSE '' END)",
            "opened_at": f"%(now)s - make_interval(secs => random() * 1.3 * {span})",
            "updated_at": "%(now)s",
            "no_party_id": "TRUE",
        }
        sql, params = insert_select_sql(
            Case, explicit, source=f"FROM generate_series(1, {int(tickets)}) AS s(i)"
        )
        params["now"] = now
        return sql, params

    def _clocks_sql(self, case_type, definitions, now) -> tuple[str, dict]:
        """One open resolution clock per bench case, its instants spread by the case's age."""
        spans = {p: span.total_seconds() for p, (_name, span) in SEEDED.items()}
        by_priority = lambda values: (  # noqa: E731
            f"(CASE c.priority WHEN 2 THEN {values[2]} WHEN 3 THEN {values[3]} ELSE {values[4]} END)"
        )
        definition_id = by_priority({p: d.pk for p, d in definitions.items()})
        calendar = by_priority({p: f"'{d.calendar}'" for p, d in definitions.items()})
        target = by_priority(
            {
                p: f"make_interval(secs => {d.duration.total_seconds()})"
                for p, d in definitions.items()
            }
        )
        span = by_priority(spans)
        deadline = f"(c.opened_at + make_interval(secs => {span}))"
        at_risk_at = f"(c.opened_at + make_interval(secs => 0.75 * {span}))"
        held = "c.state = 'on_hold'"
        # Earlier sweeps have flagged what was due a minute ago; the timed sweep finds the rest.
        swept = "(%(now)s - interval '1 minute')"
        values = {
            "ticket_type_id": "%(case_type)s",
            "ticket_id": "c.id",
            "definition_id": definition_id,
            "replaces_id": "NULL",
            "target_type": "'resolution'",
            "calendar": calendar,
            "target": target,
            "at_risk_percent": "75",
            "started_at": "c.opened_at",
            "deadline": deadline,
            "at_risk_at": at_risk_at,
            "running_since": f"(CASE WHEN {held} THEN NULL ELSE c.opened_at END)",
            "paused_since": f"(CASE WHEN {held} THEN %(now)s - interval '2 hours' ELSE NULL END)",
            "stopped_at": "NULL",
            "stop_reason": "''",
            "cancelled": "FALSE",
            "elapsed": f"LEAST(%(now)s - c.opened_at, make_interval(secs => {span}))",
            "paused_total": "interval '0'",
            "at_risk": f"(NOT {held} AND {at_risk_at} <= {swept})",
            "breached": f"(NOT {held} AND {deadline} < {swept})",
            "breached_at": f"(CASE WHEN NOT {held} AND {deadline} < {swept} THEN {deadline} END)",
            "synced_history_id": "0",
            "created_at": "%(now)s",
            "updated_at": "%(now)s",
        }
        sql, _params = insert_select_sql(
            TicketSLA,
            values,
            source=f"FROM {Case._meta.db_table} c WHERE c.number LIKE %(prefix)s",
            fill_defaults=False,
        )
        return sql, {"now": now, "case_type": case_type.pk, "prefix": f"{BENCH_PREFIX}%"}

    # --- reporting -------------------------------------------------------------------------------

    def _census(self) -> str:

        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*), count(*) FILTER (WHERE paused_since IS NULL), "  # noqa: S608 - names from model meta
                f"count(*) FILTER (WHERE paused_since IS NOT NULL), count(*) FILTER (WHERE breached), "
                f"count(*) FILTER (WHERE at_risk AND NOT breached) "
                f"FROM {TicketSLA._meta.db_table} WHERE stopped_at IS NULL"
            )
            total, running, paused, breached, at_risk = cursor.fetchone()
        return (
            f"open clocks: {total:,} ({running:,} running, {paused:,} paused; already flagged: "
            f"{breached:,} breached, {at_risk:,} at risk)"
        )

    def _plan(self) -> str:
        """Which index the breach detection reads (it must be the partial one)."""

        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN " + _flag_sql("breached", batch=500),
                _flag_params("breached", timezone.now()),
            )
            plan = [row[0] for row in cursor.fetchall()]
        indexes = sorted(
            {word for line in plan for word in line.split() if word.startswith("sla_clock_")}
        )
        return f"breach detection reads index {', '.join(indexes) or '(none: sequential scan!)'}"

    def _transitions(self) -> list[str]:
        """The clock work of each lifecycle transition on a case among the seeded million."""

        stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
        organisation = organisation_create(name=f"{BENCH_SUBJECT} {stamp}", party_id="")
        caller = User.objects.create_user(
            email=f"bench-caller-{stamp}@bench.invalid", password=None, organisation=organisation
        )
        caller.groups.add(Group.objects.get(name=roles.SERVICE_USER))
        agent = User.objects.create_user(
            email=f"bench-agent-{stamp}@bench.invalid", password=None, is_staff=True
        )
        agent.groups.add(Group.objects.get(name=roles.SERVICE_DESK_AGENT))
        case = case_create(
            actor=caller,
            organisation=organisation,
            category=Category.objects.filter(active=True).first(),
            short_description=f"{BENCH_SUBJECT} transition",
            description="Raised by sla_bench to time a transition's clock work.",
            no_party_id=True,
        )
        case = case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.HIGH)
        lines = ["transition clock work (ticket_sla_sync on a P3 case among the seeded clocks):"]
        steps = [
            ("start", {}),
            ("hold", {"reason": Case.HoldReason.AWAITING_VENDOR}),
            ("resume", {}),
            ("resolve", {"notes": "Bench resolution.", "code": ""}),
        ]
        for name, arguments in steps:
            with transaction.atomic():
                # What `ticket_transition` does before its clock work: the row lock, the FSM
                # transition and its save (which records the history row the clocks follow).
                locked = Case.objects.select_for_update().get(pk=case.pk)
                getattr(locked, name)(**arguments)
                locked.save()
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    ticket_sla_sync(ticket=locked)
                    elapsed = time.perf_counter() - started
            lines.append(f"  {name:<8} {len(queries):>2} queries  {elapsed * 1000:7.2f} ms")
            case = locked
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            case_transition(case=case, actor=agent, name="reject_resolution", note="Bench reopen.")
            elapsed = time.perf_counter() - started
        lines.append(
            f"whole transition through case_transition (reject_resolution, with journal and "
            f"emails): {len(queries)} queries, {elapsed * 1000:.2f} ms"
        )
        return lines
