"""The target of a Custom service request, agreed with the requester (§7.2 Custom: "Within 2
Business Days" response, "Custom Timeline" resolution; §7.3 Custom: kick-off and progress
updates).

The desk agrees a date and time by which the request will be fulfilled, and why; the SLA engine
holds targets as working time on the clock's calendar, so the agreed instant becomes the working
time already counted plus the working time from now until then. The clock's deadline is then the
agreed instant (or, when that falls outside working hours, the end of the working time before
it). The requester sees the agreed date on their case; the reason stays with the desk.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from sla.calendar import LONDON, get_calendar
from sla.models import TicketSLA
from sla.selectors import agreed_target_clock_for
from sla.services import ticket_sla_agree_target
from tickets.models import JournalEntry, is_desk_member
from tickets.services import journal_entry_add

from .models import Case

REASON_MAX = 250
OPEN_STATES = (Case.State.NEW, Case.State.IN_PROGRESS, Case.State.ON_HOLD)


def case_custom_target_open(case: Case) -> bool:
    """Whether a Custom target can be agreed on the case now: an open Custom service request."""
    return (
        case.is_service_request
        and case.request_type == Case.RequestType.CUSTOM
        and case.state in OPEN_STATES
    )


def case_custom_target_agree(
    *, case: Case, actor, due_at: datetime | None, reason: str
) -> TicketSLA:
    """Agree the Custom request's resolution target: fulfilled by `due_at`, for `reason`.

    Refused for anyone but the desk, for a case that is not an open Custom service request, and
    for a time that is not ahead of now in working time; every field error is collected first.
    Records the agreement on the clock's timeline (with the reason, for the desk), a work note
    with the reason, and a system entry the requester reads.
    """
    if actor is None or not is_desk_member(case, actor):
        raise ActionNotPermitted("Only the service desk can agree a target.")
    if not case_custom_target_open(case):
        raise TransitionNotAllowed(
            f"{case.number} is not an open Custom service request; only those have a target "
            "agreed per request."
        )
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Say why this date was agreed, e.g. what the requester agreed to."]
    elif len(reason) > REASON_MAX:
        errors["reason"] = [f"Keep the reason to {REASON_MAX} characters or fewer."]
    now = timezone.now()
    clock = agreed_target_clock_for(case)
    if due_at is None:
        errors["due_at"] = ["Enter the agreed date and time."]
    elif timezone.is_naive(due_at):
        raise ValueError("due_at must be timezone-aware")
    elif due_at <= now:
        errors["due_at"] = ["The agreed date and time must be in the future."]
    elif clock is not None:
        ahead = get_calendar(clock.calendar).between(now, due_at)
        if not ahead:
            errors["due_at"] = [
                "There is no working time between now and then; choose a time within business "
                "hours (08:30 to 17:30, Monday to Friday)."
            ]
    if clock is None and not errors:
        raise ValidationFailed(
            "This request has no clock waiting for an agreed target; check the SLA definitions."
        )
    if errors:
        raise ValidationFailed(
            "The target could not be agreed; check the highlighted fields.", field_errors=errors
        )
    target = clock.elapsed_at(now) + get_calendar(clock.calendar).between(now, due_at)
    with transaction.atomic():
        clock = ticket_sla_agree_target(clock=clock, target=target, actor=actor, reason=reason)
        shown = (clock.deadline or due_at).astimezone(LONDON).strftime("%a %-d %b %Y, %H:%M")
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.WORK_NOTE,
            body=f"Custom target agreed: fulfilled by {shown} (UK time). Reason: {reason}",
            author=actor,
        )
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Target date agreed for this request: {shown} (UK time).",
            author=actor,
        )
    return clock
