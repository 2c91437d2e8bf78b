"""The SLA sweeps that Celery beat runs every minute (docs/architecture.md §3, docs/conventions.md §5).

`sla_sweep` marks running clocks at risk (their stored `at_risk_at`, the definition's share of
the target, 75% by default, has passed) and breached (their stored `deadline` has passed), and
tells the assignee, else the assignment group, and the desk lead (the service management
mailbox) through `comms.notifications`. `case_triage_check` alerts service management when a
portal case is still New 15 and again 30 minutes after it was raised (§4.1 step 2, §5.17).

Detection is set-based: a few UPDATE … RETURNING or INSERT … SELECT … RETURNING statements
whose number does not depend on how many clocks or cases exist, served by the partial indexes
on `TicketSLA` (`sla_clock_breach_due`, `sla_clock_risk_due`) and by `case_state_opened`. Only
the rows a statement has just flagged are loaded and notified, in batches of `SWEEP_BATCH`, each
batch in one transaction with its outbox rows, so a flag is never set without its alert being
queued and never queued twice. Both sweeps are idempotent: a flag is set once (the UPDATE only
touches rows not yet flagged) and a triage alert is recorded once (a desk-only journal entry on
the case, checked by the same statement that inserts it).

On PostgreSQL concurrent runs are safe: flagged rows are claimed with FOR UPDATE SKIP LOCKED
(a clock a transition holds right now is left for the next minute), and the triage check runs
under a transaction-level advisory lock. SQLite serialises writers, so neither is needed there.
"""

import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from cases.models import Case
from comms import notifications
from tickets.models import JournalEntry

from .models import TicketSLA

# Clocks flagged per statement and transaction; in steady state a minute's worth is far fewer.
SWEEP_BATCH = 500

# Flagged like every other clock (reports count them) but not alerted by `sla_sweep`: the
# triage check tells the desk at 15 and 30 minutes instead (§4.1), in its own words.
SILENT_TARGET_TYPES = frozenset({"triage"})

# §4.1 step 2: first-line triage "within 15 mins of raising case"; the desk hears when a case
# is still New at 15 minutes and again at 30.
TRIAGE_ALERT_MINUTES = (15, 30)
TRIAGE_ALERT_NOTE = (
    "Triage overdue: this case has been New for {minutes} minutes without first-line triage "
    "(§4.1); service management has been alerted."
)


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def db_datetime(value: datetime):
    """A datetime as a raw-SQL parameter, stored the way the ORM stores it (UTC)."""
    return connection.ops.adapt_datetimefield_value(value)


def sweep_lock(name: str) -> bool:
    """Take the transaction-level lock of one sweep; False when another run holds it.

    PostgreSQL only: two overlapping runs (a slow minute, two beat processes) would otherwise
    both pass an INSERT … SELECT's NOT EXISTS before either commits. SQLite allows one writer.
    """
    if not _is_postgres():
        return True
    key = zlib.crc32(f"mhhs:{name}".encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
        return bool(cursor.fetchone()[0])


def _ids(cursor) -> list[int]:
    return [row[0] for row in cursor.fetchall()]


# --- at risk and breached ----------------------------------------------------------------------


@dataclass
class SweepResult:
    """What one `sla_sweep` did; the timings are for `sla_bench`."""

    now: datetime
    breached: int = 0
    at_risk: int = 0
    notified: int = 0
    statements: int = 0
    detect_seconds: float = 0.0
    notify_seconds: float = 0.0
    flagged_ids: list[int] = field(default_factory=list, repr=False)


# Flag → (the stored instant compared with now, the SET list). The WHERE repeats the predicate
# of the partial index serving it in literals (not parameters, which a generic plan could not
# match against the index predicate), so the planner reads only the due rows of that index.
_FLAGS = {
    "breached": (
        "deadline",
        # `breached_at` is the instant the target passed, as the engine and the replay record
        # it; a breached clock is past its at-risk share too.
        "breached = TRUE, breached_at = deadline, at_risk = TRUE, updated_at = %s",
    ),
    "at_risk": ("at_risk_at", "at_risk = TRUE, updated_at = %s"),
}


def _flag_sql(flag: str, *, batch: int) -> str:
    instant, assignments = _FLAGS[flag]
    table = TicketSLA._meta.db_table
    # Breached when the deadline is behind us (met exactly on time is met), at risk from the
    # at-risk instant on: the same comparisons as `sla.services.machine` and the replay.
    compare = "<" if flag == "breached" else "<="
    lock = " FOR UPDATE SKIP LOCKED" if _is_postgres() else ""
    return (
        f"UPDATE {table} SET {assignments} WHERE id IN ("  # noqa: S608 - names from model meta, values bound
        f"SELECT id FROM {table} WHERE stopped_at IS NULL AND paused_since IS NULL "
        f"AND {flag} = FALSE AND {instant} {compare} %s "
        f"ORDER BY {instant} LIMIT {int(batch)}{lock}"
        f") RETURNING id"
    )


def _flag_params(flag: str, now: datetime) -> list:
    stamp = db_datetime(now)
    return [stamp, stamp]


def _tickets_by_ref(refs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], object]:
    """The tickets behind (content type, id) pairs: one query per ticket type."""
    by_type: dict[int, list[int]] = defaultdict(list)
    for type_id, ticket_id in refs:
        by_type[type_id].append(ticket_id)
    found: dict[tuple[int, int], object] = {}
    for type_id, ticket_ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        related = [
            name
            for name in ("assigned_to", "assignment_group")
            if any(f.name == name for f in model._meta.get_fields())
        ]
        for ticket in model._base_manager.filter(pk__in=ticket_ids).select_related(*related):
            found[(type_id, ticket.pk)] = ticket
    return found


def _notify_clocks(ids: list[int], notify: Callable) -> int:
    """Tell the desk about clocks just flagged: the notification fan-out, newly flagged only."""
    if not ids:
        return 0
    clocks = list(
        TicketSLA.objects.filter(pk__in=ids)
        .exclude(target_type__in=SILENT_TARGET_TYPES)
        .select_related("definition")
        .order_by("deadline", "id")
    )
    tickets = _tickets_by_ref((clock.ticket_type_id, clock.ticket_id) for clock in clocks)
    sent = 0
    for clock in clocks:
        ticket = tickets.get((clock.ticket_type_id, clock.ticket_id))
        if ticket is None:
            continue
        notify(ticket, clock.definition.name, clock.deadline)
        sent += 1
    return sent


def sla_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> SweepResult:
    """Mark running clocks breached and at risk, and alert the desk about those just marked.

    Breaches are marked first, so a clock that passes both instants between two sweeps gets
    the breach alert only. Each batch (one UPDATE … RETURNING, one read of the flagged clocks,
    one read of their tickets per ticket type, then the alerts) commits on its own; a sweep in
    steady state is one batch per flag. Idempotent: run again at the same instant it changes
    and sends nothing.
    """
    now = now or timezone.now()
    result = SweepResult(now=now)
    senders = {"breached": notifications.sla_breached, "at_risk": notifications.sla_at_risk}
    for flag in ("breached", "at_risk"):
        sql = _flag_sql(flag, batch=batch)
        while True:
            with transaction.atomic():
                started = time.perf_counter()
                with connection.cursor() as cursor:
                    cursor.execute(sql, _flag_params(flag, now))
                    ids = _ids(cursor)
                result.statements += 1
                flagged = time.perf_counter()
                result.detect_seconds += flagged - started
                result.notified += _notify_clocks(ids, senders[flag])
                result.notify_seconds += time.perf_counter() - flagged
            setattr(result, flag, getattr(result, flag) + len(ids))
            result.flagged_ids.extend(ids)
            if len(ids) < batch:
                break
    return result


# --- the 15-minute triage check (§4.1, §5.17) ---------------------------------------------------


@dataclass
class TriageCheckResult:
    now: datetime
    alerted: dict[int, list[int]] = field(default_factory=dict)  # minutes → case ids
    skipped: bool = False

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.alerted.values())


def _triage_alert_sql() -> str:
    journal = JournalEntry._meta.db_table
    cases = Case._meta.db_table
    return (
        f"INSERT INTO {journal} (ticket_type_id, ticket_id, kind, author_id, body, created_at) "  # noqa: S608 - names from model meta, values bound
        f"SELECT %s, c.id, %s, NULL, %s, %s FROM {cases} c "
        f"WHERE c.state = %s AND c.channel = %s AND c.triage_outcome = '' AND c.opened_at <= %s "
        f"AND NOT EXISTS (SELECT 1 FROM {journal} j WHERE j.ticket_type_id = %s "
        f"AND j.ticket_id = c.id AND j.kind = %s AND j.author_id IS NULL AND j.body IN (%s, %s)) "
        f"RETURNING ticket_id"
    )


def case_triage_check(*, now: datetime | None = None) -> TriageCheckResult:
    """Alert service management about portal cases still New 15 and 30 minutes after they
    were raised (§4.1 step 2, §5.17), once each.

    Each alert is recorded as a desk-only work note on the case (author: the system), inserted
    by the same statement that finds the case, so the check never alerts twice and the agent
    sees on the case when the desk was told. The 30-minute alert is looked for first: a case
    first seen at 31 minutes (the beat was down) gets that one alert, not both at once. A case
    that has left New (triaged, picked up, resolved as re-routed, cancelled) is not alerted.
    """
    now = now or timezone.now()
    result = TriageCheckResult(now=now)
    case_type = ContentType.objects.get_for_model(Case)
    notes = {minutes: TRIAGE_ALERT_NOTE.format(minutes=minutes) for minutes in TRIAGE_ALERT_MINUTES}
    first, second = TRIAGE_ALERT_MINUTES
    sql = _triage_alert_sql()
    with transaction.atomic():
        if not sweep_lock("case_triage_check"):
            result.skipped = True
            return result
        for minutes in sorted(TRIAGE_ALERT_MINUTES, reverse=True):
            # A case alerted at 30 needs no 15; one alerted at 15 still gets its 30.
            seen = (notes[first], notes[second]) if minutes == first else (notes[minutes],) * 2
            params = [
                case_type.pk,
                JournalEntry.Kind.WORK_NOTE.value,
                notes[minutes],
                db_datetime(now),
                Case.State.NEW.value,
                Case.Channel.PORTAL.value,
                db_datetime(now - timedelta(minutes=minutes)),
                case_type.pk,
                JournalEntry.Kind.WORK_NOTE.value,
                *seen,
            ]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                result.alerted[minutes] = sorted(_ids(cursor))
        for minutes, case_ids in sorted(result.alerted.items()):
            for case in Case.objects.filter(pk__in=case_ids).order_by("opened_at", "pk"):
                notifications.triage_overdue(case, minutes)
    return result
