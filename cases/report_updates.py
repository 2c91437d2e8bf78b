"""Status updates on report requests (§14.2, §14.4) and the reminder the desk gets when one is
due, run by Celery beat every 15 minutes (`cases.tasks.report_update_check_task`).

§14.2: a participant asks for a report by raising a case whose subject is "Report Request";
the desk triages it as a service request. §14.4 "Status Updates — keep Service Users informed on
case progress: Minor Issues: update every 48 business hours. Moderate Issues: update every 24
business hours." As built:

- **Which cases.** Service requests whose subject starts "Report Request" (ignoring case, as
  the §14.4 SLA definitions match them), In Progress, or On Hold for anything but the caller
  (while the desk waits for the requester, the requester owes the next word).
- **Minor or moderate.** The desk's impact assessment says which: a case of Low impact (single
  user) is a minor issue and is updated every 48 business hours; any other, or one not yet
  assessed, every 24 — the stricter cadence until the desk says otherwise.
- **What counts as an update.** Anything the desk put on the case that the requester reads: a
  customer-visible comment, or a status change or other entry written by desk staff (every
  status change is emailed to the requester, §10.2). Work notes do not count, nor the
  requester's own comments. The cadence starts when the case is triaged.
- **When it is due.** The last update plus the cadence, on the SLA business calendar (08:30 to
  17:30 Monday to Friday, excluding bank holidays: "business hours").
- **Once per due point.** The reminder goes to whoever is assigned the case, else the service
  management mailbox, and is recorded as a work note naming the due point, so the same due point
  is never reminded twice; a later update makes a new due point. On PostgreSQL the check runs
  under a transaction-level advisory lock, so overlapping runs never both remind.

The candidates are the open report requests (a handful, found through the `case_state_opened`
index by state), each read with its last update in one query; the due points are computed in
Python because business hours are not SQL arithmetic.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from comms import notifications
from sla.calendar import LONDON, business_hours, get_calendar
from sla.sweeps import sweep_lock
from tickets.models import JournalEntry
from tickets.priority import Impact

from .models import Case

REPORT_REQUEST_PREFIX = "Report Request"
MINOR_CADENCE = business_hours(48)
MODERATE_CADENCE = business_hours(24)
REMINDER_NOTE = (
    "Status update to the requester due {due} (UK time): no update has been given for "
    "{hours} business hours (report requests are updated every {hours} business hours)."
)


@dataclass
class ReportUpdateCheckResult:
    now: datetime
    reminded: list[int] = field(default_factory=list)  # case ids
    skipped: bool = False


def is_report_request(case: Case) -> bool:
    """§14.2: a service request whose subject starts "Report Request" (ignoring case)."""
    return case.is_service_request and case.short_description.lower().startswith(
        REPORT_REQUEST_PREFIX.lower()
    )


def report_update_cadence(case: Case) -> timedelta:
    """§14.4: 48 business hours for a minor issue (Low impact), else 24."""
    return MINOR_CADENCE if case.impact == Impact.LOW else MODERATE_CADENCE


def _reminder_note(due: datetime, cadence: timedelta) -> str:
    hours = int(cadence.total_seconds() // 3600)
    shown = due.astimezone(LONDON).strftime("%a %-d %b %Y, %H:%M")
    return REMINDER_NOTE.format(due=shown, hours=hours)


def report_requests_owing_updates():
    """Open report requests the desk owes updates on, each with `last_update_at`."""
    case_type = ContentType.objects.get_for_model(Case)
    last_update = (
        JournalEntry.objects.filter(
            ticket_type=case_type,
            ticket_id=OuterRef("pk"),
            kind__in=(JournalEntry.Kind.COMMENT, JournalEntry.Kind.SYSTEM),
            author__is_staff=True,
        )
        .order_by()
        .values("ticket_id")
        .annotate(latest=Max("created_at"))
        .values("latest")
    )
    return (
        Case.objects.filter(
            Q(state=Case.State.IN_PROGRESS)
            | (Q(state=Case.State.ON_HOLD) & ~Q(hold_reason=Case.HoldReason.AWAITING_CALLER)),
            triage_outcome=Case.TriageOutcome.REQUEST,
            short_description__istartswith=REPORT_REQUEST_PREFIX,
        )
        .select_related("assigned_to")
        .annotate(
            last_update_at=Coalesce(Subquery(last_update), "triaged_at", "opened_at"),
        )
        .order_by("pk")
    )


def report_update_due_at(case: Case) -> datetime:
    """When the next update is due: the last update plus the cadence, in business hours."""
    return get_calendar("business").add(case.last_update_at, report_update_cadence(case))


def report_update_check(*, now: datetime | None = None) -> ReportUpdateCheckResult:
    """Remind the desk of every report request whose status update is due (§14.4), once per
    due point: a work note on the case and a notification to its assignee or the service
    management mailbox."""
    now = now or timezone.now()
    result = ReportUpdateCheckResult(now=now)
    case_type = ContentType.objects.get_for_model(Case)
    with transaction.atomic():
        if not sweep_lock("report_update_check"):
            result.skipped = True
            return result
        due = []
        for case in report_requests_owing_updates():
            due_at = report_update_due_at(case)
            if due_at <= now:
                due.append((case, due_at, _reminder_note(due_at, report_update_cadence(case))))
        if not due:
            return result
        already = set(
            JournalEntry.objects.filter(
                ticket_type=case_type,
                ticket_id__in=[case.pk for case, _, _ in due],
                kind=JournalEntry.Kind.WORK_NOTE,
                author__isnull=True,
                body__in=[note for _, _, note in due],
            ).values_list("ticket_id", "body")
        )
        fresh = [
            (case, due_at, note) for case, due_at, note in due if (case.pk, note) not in already
        ]
        JournalEntry.objects.bulk_create(
            JournalEntry(
                ticket_type=case_type,
                ticket_id=case.pk,
                kind=JournalEntry.Kind.WORK_NOTE,
                body=note,
                author=None,
                created_at=now,
            )
            for case, _, note in fresh
        )
        for case, due_at, _ in fresh:
            notifications.report_update_due(case, due_at=due_at)
            result.reminded.append(case.pk)
    return result
