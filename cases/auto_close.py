"""The 5-day auto-close of resolved cases (§10.3) and its reminders.

§10.3: the caller confirms the resolution (the case closes) or asks for more (it reopens); "if
no response from the participant is received within 5 days, the ticket will be automatically
closed", after "follow-up reminders", and "the participant receives a final email notification
confirming the ticket's closure". The rules, as built:

- **Days are calendar days**, counted as elapsed 24-hour periods from the instant the case was
  resolved (`resolved_at`), whatever the weekday or holiday: §10.3 says "5 days" where the
  manual says "business days" whenever it means them (§3.10), the desk runs 24/7/365 (§3.1),
  and reminders and closure are automatic. Resolved Friday 16:00 → reminders Sunday 16:00 and
  Tuesday 16:00, closed Wednesday 16:00.
- **Reminders** go to the caller `AUTO_CLOSE_REMINDER_DAYS` days after resolution (default
  "2,4"); **closure** happens `AUTO_CLOSE_DAYS` days after it (default 5), through
  `case_transition(name="close", actor=None)` like a confirmation, which sends the final
  "case closed" email; a system journal entry says why.
- **A reply stops it.** Rejecting the resolution reopens the case (it is no longer Resolved).
  A customer comment made after `resolved_at` by someone on the participant side (the caller
  or anyone of their organisation who can see the case, in the portal, by API or by email
  reply; not desk staff and not the system) also stops it without reopening: the case stays
  Resolved and waits for the desk, which reads the reply and closes or reopens it by hand.
  A later resolution (after a rejection) starts the count again from its own `resolved_at`.
- **Once each.** A reminder is recorded as a customer-visible system entry on the case (the
  participant sees it in the case history), inserted by the statement that finds the case, and
  a reminder already recorded since the resolution, or a later one, is never sent again. When
  a run finds a case past several reminder days at once (the beat was down), only the latest
  reminder is sent; past the closing day it is closed without reminders.

`case_auto_close` runs every 15 minutes from Celery beat (`cases.tasks.case_auto_close_task`):
detection is set-based (one INSERT … SELECT per reminder day, one SELECT for the cases to
close); each closure is its own transaction, so one refused closure does not hold up the rest.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import User
from comms import notifications
from core.errors import DomainError
from sla.sweeps import db_datetime, sweep_lock
from tickets.models import JournalEntry
from tickets.services import journal_entry_add

from .models import Case
from .services import case_transition

logger = logging.getLogger(__name__)

# Entries in the participant's history (§10.3), so in their words: no manual references.
REMINDER_NOTE = (
    "Reminder sent {day} days after resolution: please confirm the resolution, or tell us it "
    "is not fixed."
)
CLOSED_NOTE = "Closed automatically: no reply was received within {days} days of the resolution."


def _days(value, *, name: str) -> int:
    try:
        days = int(str(value).strip())
    except ValueError:
        days = 0
    if days < 1:
        raise ImproperlyConfigured(f"{name} must be whole days of 1 or more, not {value!r}.")
    return days


def auto_close_days() -> int:
    """Days after resolution a case closes without a reply (§10.3: 5)."""
    return _days(getattr(settings, "AUTO_CLOSE_DAYS", 5), name="AUTO_CLOSE_DAYS")


def reminder_days() -> tuple[int, ...]:
    """Days after resolution the caller is reminded (default 2 and 4), before the closing day."""
    raw = getattr(settings, "AUTO_CLOSE_REMINDER_DAYS", "2,4")
    parts = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    days = sorted(
        {_days(part, name="AUTO_CLOSE_REMINDER_DAYS") for part in parts if str(part).strip()}
    )
    closing = auto_close_days()
    if any(day >= closing for day in days):
        raise ImproperlyConfigured(
            f"AUTO_CLOSE_REMINDER_DAYS ({raw!r}) must all fall before AUTO_CLOSE_DAYS ({closing})."
        )
    return tuple(days)


def participant_replies():
    """Customer comments on the outer case since it was resolved, by someone not on the desk.

    The author join leaves out system entries (no author); `is_staff` leaves out the desk.
    """
    return JournalEntry.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Case),
        ticket_id=OuterRef("pk"),
        kind=JournalEntry.Kind.COMMENT,
        created_at__gt=OuterRef("resolved_at"),
        author__is_staff=False,
    )


def case_auto_close_due(*, now: datetime) -> list[int]:
    """Resolved cases whose closing day has come and nobody on the participant side replied."""
    closing = now - timedelta(days=auto_close_days())
    return list(
        Case.objects.filter(state=Case.State.RESOLVED, resolved_at__lte=closing)
        .exclude(Exists(participant_replies()))
        .order_by("resolved_at", "pk")
        .values_list("pk", flat=True)
    )


def _reminder_sql() -> str:
    journal = JournalEntry._meta.db_table
    cases = Case._meta.db_table
    users = User._meta.db_table
    return (
        f"INSERT INTO {journal} (ticket_type_id, ticket_id, kind, author_id, body, created_at) "  # noqa: S608 - names from model meta, values bound
        f"SELECT %s, c.id, %s, NULL, %s, %s FROM {cases} c "
        f"WHERE c.state = %s AND c.resolved_at <= %s AND c.resolved_at > %s "
        # Not reminded of this day or a later one since this resolution.
        f"AND NOT EXISTS (SELECT 1 FROM {journal} j WHERE j.ticket_type_id = %s "
        f"AND j.ticket_id = c.id AND j.kind = %s AND j.author_id IS NULL "
        f"AND j.created_at >= c.resolved_at AND j.body IN ({{seen}})) "
        # Nobody on the participant side has replied since this resolution.
        f"AND NOT EXISTS (SELECT 1 FROM {journal} r INNER JOIN {users} u ON u.id = r.author_id "
        f"WHERE r.ticket_type_id = %s AND r.ticket_id = c.id AND r.kind = %s "
        f"AND r.created_at > c.resolved_at AND u.is_staff = %s) "
        f"RETURNING ticket_id"
    )


@dataclass
class AutoCloseResult:
    now: datetime
    reminded: dict[int, list[int]] = field(default_factory=dict)  # day → case ids
    closed: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    skipped: bool = False


def case_resolution_reminders_send(*, now: datetime) -> dict[int, list[int]]:
    """Record and send the reminders due at `now`: {day: case ids reminded}. Idempotent."""
    days = reminder_days()
    closing = now - timedelta(days=auto_close_days())
    case_type = ContentType.objects.get_for_model(Case)
    notes = {day: REMINDER_NOTE.format(day=day) for day in days}
    reminded: dict[int, list[int]] = {}
    with transaction.atomic():
        if not sweep_lock("case_auto_close_reminders"):
            return reminded
        for day in sorted(days, reverse=True):
            # The latest reminder due goes first; an earlier one is not sent after it.
            seen = [notes[d] for d in days if d >= day]
            sql = _reminder_sql().format(seen=", ".join(["%s"] * len(seen)))
            params = [
                case_type.pk,
                JournalEntry.Kind.SYSTEM.value,
                notes[day],
                db_datetime(now),
                Case.State.RESOLVED.value,
                db_datetime(now - timedelta(days=day)),
                db_datetime(closing),
                case_type.pk,
                JournalEntry.Kind.SYSTEM.value,
                *seen,
                case_type.pk,
                JournalEntry.Kind.COMMENT.value,
                False,
            ]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                reminded[day] = sorted(row[0] for row in cursor.fetchall())
        closing_days = auto_close_days()
        for day, case_ids in sorted(reminded.items()):
            cases = Case.objects.filter(pk__in=case_ids).select_related("caller")
            for case in cases.order_by("resolved_at", "pk"):
                notifications.case_resolution_reminder(case, days_left=closing_days - day)
    return reminded


def case_auto_close_one(*, case_pk: int, now: datetime) -> Case | None:
    """Close one case whose five days have passed, as the system (§10.3), unless it has moved
    on or been replied to meanwhile. Returns the closed case, or None."""
    days = auto_close_days()
    with transaction.atomic():
        case = (
            Case.objects.select_for_update()
            .filter(
                pk=case_pk,
                state=Case.State.RESOLVED,
                resolved_at__lte=now - timedelta(days=days),
            )
            .exclude(Exists(participant_replies()))
            .first()
        )
        if case is None:
            return None
        closed = case_transition(
            case=case, actor=None, name="close", expected_state=Case.State.RESOLVED
        )
        journal_entry_add(
            ticket=closed, kind=JournalEntry.Kind.SYSTEM, body=CLOSED_NOTE.format(days=days)
        )
    return closed


def case_auto_close(*, now: datetime | None = None) -> AutoCloseResult:
    """Send the reminders due and close the cases due (§10.3); safe to run at any interval."""
    now = now or timezone.now()
    result = AutoCloseResult(now=now)
    for case_pk in case_auto_close_due(now=now):
        try:
            closed = case_auto_close_one(case_pk=case_pk, now=now)
        except DomainError as refusal:
            logger.warning("auto-close of case %s refused: %s", case_pk, refusal.message)
            result.refused.append(case_pk)
            continue
        if closed is not None:
            result.closed.append(case_pk)
    result.reminded = case_resolution_reminders_send(now=now)
    return result
