"""The §4.1 first-line triage check that Celery beat runs every minute (`cases.tasks`).

§4.1 step 2: first-line triage "within 15 mins of raising case". `case_triage_check` alerts
service management (§5.17) when a portal case is still New 15 and again 30 minutes after it was
raised, once each. The SLA engine keeps the case's triage clock (a silent clock: `sla_sweep`
flags it but leaves the telling to this check, in its own words).

Detection is set-based: one INSERT … SELECT … RETURNING per alert, whose cost does not depend on
how many cases exist, served by `case_state_opened`. Each alert is recorded as a desk-only
journal entry on the case, checked by the same statement that inserts it, so the check is
idempotent. On PostgreSQL it runs under a transaction-level advisory lock
(`sla.sweeps.sweep_lock`), so two overlapping runs never alert twice; SQLite serialises writers.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from comms import notifications
from sla.sweeps import db_datetime, sweep_lock
from tickets.models import JournalEntry

from .models import TRIAGE_TARGET, Case

# §4.1 step 2: first-line triage "within 15 mins of raising case"; the desk hears when a case
# is still New at 15 minutes and again at 30.
TRIAGE_ALERT_MINUTES = (int(TRIAGE_TARGET.total_seconds() // 60), 30)
TRIAGE_ALERT_NOTE = (
    "Triage overdue: this case has been New for {minutes} minutes without first-line triage; "
    "service management has been alerted."
)


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
                result.alerted[minutes] = sorted(row[0] for row in cursor.fetchall())
        for minutes, case_ids in sorted(result.alerted.items()):
            for case in Case.objects.filter(pk__in=case_ids).order_by("opened_at", "pk"):
                notifications.triage_overdue(case, minutes)
    return result
