"""Due and late reminders for major-incident communications (§5.19.1), run every minute by
Celery beat (`major_incidents.tasks.comms_reminders_sweep`).

When an active major incident's next communication falls due within the lead time
(`MAJOR_INCIDENT_REMINDER_LEAD_MINUTES`, 5 by default) or is due now, its manager is reminded:
a portal notification and an email. Once it is past due, the desk lead — every active staff
member with the Service manager role — is alerted. Each is sent once per due time.

The claim is the record: one `UPDATE … RETURNING` per kind sets `reminded_for_due_at` (or
`late_alerted_for_due_at`) to the due time on exactly the rows not yet told about it, so two
sweeps running at once never both claim a row — on PostgreSQL the second waits for the
first's row lock, then finds the condition no longer holds; SQLite has one writer. The
notifications are written in the same transaction, so a failure leaves the row unclaimed for
the next minute.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from comms import notifications
from sla.sweeps import db_datetime

from .models import MajorIncident


def reminder_lead_minutes() -> int:
    return int(getattr(settings, "MAJOR_INCIDENT_REMINDER_LEAD_MINUTES", 5))


@dataclass
class ReminderResult:
    now: datetime
    reminded: list[int] = field(default_factory=list)  # major incident ids
    late_alerted: list[int] = field(default_factory=list)


def _claim_sql(column: str, *, strictly_before: bool) -> str:
    table = MajorIncident._meta.db_table
    comparison = "<" if strictly_before else "<="
    return (
        f"UPDATE {table} SET {column} = next_comms_due_at "  # noqa: S608 - names from model meta, values bound
        f"WHERE state = %s AND next_comms_due_at IS NOT NULL AND next_comms_due_at {comparison} %s "
        f"AND ({column} IS NULL OR {column} <> next_comms_due_at) "
        f"RETURNING id"
    )


def _claim(column: str, *, until: datetime, strictly_before: bool) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(column, strictly_before=strictly_before),
            [MajorIncident.State.ACTIVE.value, db_datetime(until)],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _desk_leads() -> list:
    """Active staff holding the Service manager role (the desk lead, §5.19.1)."""
    return list(
        get_user_model()
        .objects.filter(groups__name=roles.SERVICE_MANAGER, is_active=True, is_staff=True)
        .distinct()
        .order_by("pk")
    )


def _war_room_link(major_incident: MajorIncident) -> str:
    return reverse("admin:major_incidents_majorincident_change", args=[major_incident.pk])


def comms_reminders_sweep(*, now: datetime | None = None) -> ReminderResult:
    """Remind managers of comms due within the lead time, alert the desk lead of late ones;
    once per due time each (§5.19.1). Idempotent: a second run at once sends nothing."""
    now = now or timezone.now()
    result = ReminderResult(now=now)
    lead = timedelta(minutes=reminder_lead_minutes())
    with transaction.atomic():
        result.reminded = _claim("reminded_for_due_at", until=now + lead, strictly_before=False)
        result.late_alerted = _claim("late_alerted_for_due_at", until=now, strictly_before=True)
        ids = set(result.reminded) | set(result.late_alerted)
        if not ids:
            return result
        rows = {
            row.pk: row
            for row in MajorIncident.objects.filter(pk__in=ids).select_related("manager")
        }
        for pk in result.reminded:
            row = rows[pk]
            notifications.major_incident_comms_due(
                number=row.number,
                due_at=row.next_comms_due_at,
                late=row.next_comms_due_at < now,
                manager=row.manager,
                link=_war_room_link(row),
            )
        if result.late_alerted:
            leads = _desk_leads()
            for pk in result.late_alerted:
                row = rows[pk]
                notifications.major_incident_comms_late(
                    number=row.number,
                    due_at=row.next_comms_due_at,
                    desk_leads=leads,
                    link=_war_room_link(row),
                )
    return result
