"""The SLA sweep that Celery beat runs every minute (docs/architecture.md §3, docs/conventions.md §5).

`sla_sweep` marks running clocks at risk (their stored `at_risk_at`, the definition's share of
the target, 75% by default, has passed) and breached (their stored `deadline` has passed), and
announces each newly marked clock with the kernel's `tickets.signals.ticket_alert` (events
"sla_at_risk" and "sla_breached"); communications, listening there, tell the assignee, else the
assignment group, and the desk lead (the service management mailbox). The engine names no
ticket type and imports no communications code.

Detection is set-based: UPDATE … RETURNING statements whose number does not depend on how many
clocks exist, served by the partial indexes on `TicketSLA` (`sla_clock_breach_due`,
`sla_clock_risk_due`). Only the rows a statement has just flagged are loaded and announced, in
batches of `SWEEP_BATCH`, each batch in one transaction with the outbox rows its alerts write,
so a flag is never set without its alert being queued and never queued twice. The sweep is
idempotent: a flag is set once (the UPDATE only touches rows not yet flagged).

On PostgreSQL concurrent runs are safe: flagged rows are claimed with FOR UPDATE SKIP LOCKED
(a clock a transition holds right now is left for the next minute). SQLite serialises writers.

`sweep_lock` and `db_datetime` serve the ticket types' own set-based sweeps too (the case
triage check and auto-close, in the cases app).
"""

import time
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from tickets.registry import ticket_type_for
from tickets.signals import ticket_alert

from .models import TicketSLA

# Clocks flagged per statement and transaction; in steady state a minute's worth is far fewer.
SWEEP_BATCH = 500

# Flagged like every other clock (reports count them) but not alerted by `sla_sweep`: the
# ticket type's own check tells the desk instead (the case triage check at 15 and 30 minutes,
# §4.1), in its own words.
SILENT_TARGET_TYPES = frozenset({"triage"})


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


def _alert(ticket, event: str, target: str, deadline: datetime) -> None:
    """Announce one flagged clock: communications tells people (`comms.ticket_events`)."""
    ticket_alert.send(
        sender=type(ticket),
        ticket=ticket,
        ticket_type=ticket_type_for(ticket),
        event=event,
        context={"target": target, "deadline": deadline},
    )


def _notify_clocks(ids: list[int], event: str) -> int:
    """Announce the clocks just flagged (`ticket_alert`, `event`), newly flagged only."""
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
        _alert(ticket, event, clock.definition.name, clock.deadline)
        sent += 1
    return sent


def sla_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> SweepResult:
    """Mark running clocks breached and at risk, and announce those just marked.

    Breaches are marked first, so a clock that passes both instants between two sweeps gets
    the breach alert only. Each batch (one UPDATE … RETURNING, one read of the flagged clocks,
    one read of their tickets per ticket type, then the `ticket_alert` signals, whose receivers
    queue the messages in the same transaction) commits on its own; a sweep in
    steady state is one batch per flag. Idempotent: run again at the same instant it changes
    and sends nothing.
    """
    now = now or timezone.now()
    result = SweepResult(now=now)
    events = {"breached": "sla_breached", "at_risk": "sla_at_risk"}
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
                result.notified += _notify_clocks(ids, events[flag])
                result.notify_seconds += time.perf_counter() - flagged
            setattr(result, flag, getattr(result, flag) + len(ids))
            result.flagged_ids.extend(ids)
            if len(ids) < batch:
                break
    return result
