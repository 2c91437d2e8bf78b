"""Writes on CAB meetings (§8.9) and Emergency CABs (§9.4): the weekly meeting created ahead,
an ECAB convened as required, who attends, decisions recorded in the workbench, minutes,
actions, closing, and sending the agenda or minutes to the CAB list."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from comms.lists import CAB_MEMBERS
from comms.models import DistributionList
from comms.services import outbound_message_queue
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from sla.calendar import LONDON

from ..authority import may_act_as
from ..lead_time import CAB_WEEKDAY, cab_meeting_day, cab_meeting_starts_at
from ..models import Change, ChangeApproval
from ..models_cab import CabAction, CabAttendee, CabDecision, CabMeeting, may_chair
from ..risk import ChangeType
from .lifecycle import change_record_approval

Kind = CabMeeting.Kind


def _require_chair(actor, meeting: CabMeeting, what: str) -> None:
    if not may_chair(meeting, actor):
        raise ActionNotPermitted(f"Only the chair of the {meeting.get_kind_display()} can {what}.")


def _require_open(meeting: CabMeeting) -> None:
    if not meeting.is_open:
        raise TransitionNotAllowed(f"The {meeting} is closed; nothing more can be recorded.")


def _locked(meeting: CabMeeting) -> CabMeeting:
    return CabMeeting.objects.select_for_update().get(pk=meeting.pk)


def next_cab_day(now: datetime) -> date:
    """The day of the first weekly CAB starting after `now` (§8.9.8: Tuesdays at 12:00; a
    bank-holiday Tuesday's CAB meets the next working day, `lead_time.cab_meeting_day`)."""
    today = now.astimezone(LONDON).date()
    tuesday = today + timedelta(days=(CAB_WEEKDAY - today.weekday()) % 7)
    while cab_meeting_starts_at(cab_meeting_day(tuesday)) <= now:
        tuesday += timedelta(days=7)
    return cab_meeting_day(tuesday)


def cab_meeting_for_day(*, day: date) -> CabMeeting:
    """The weekly CAB of `day`, created if it does not exist yet (idempotent: one CAB a day)."""
    starts_at = cab_meeting_starts_at(day)
    try:
        with transaction.atomic():
            meeting, _ = CabMeeting.objects.get_or_create(
                kind=Kind.CAB, meets_on=day, defaults={"starts_at": starts_at}
            )
    except IntegrityError:
        # Another worker created it between our read and insert (the unique constraint).
        meeting = CabMeeting.objects.get(kind=Kind.CAB, meets_on=day)
    return meeting


def cab_meeting_schedule_next(*, now: datetime | None = None) -> CabMeeting:
    """The beat's task (§8.9.8): make sure the next Tuesday's CAB exists, at 12:00 London
    whatever the clock change does to UTC. Running it again changes nothing."""
    now = now or timezone.now()
    return cab_meeting_for_day(day=next_cab_day(now))


def ecab_convene(*, actor, reason: str, major_incident=None, at: datetime | None = None):
    """Convene an Emergency CAB now or at `at` (§9.4.1, §9.4.4 "as required"), for a major
    incident when there is one (§9.4.2). The Change Manager or the Major Incident Manager
    convenes it (§9.4.3)."""
    if not (may_act_as(actor, ChangeApproval.Kind.ECAB)):
        raise ActionNotPermitted(
            "Only the Change Manager or the Major Incident Manager can convene an Emergency CAB."
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the Emergency CAB is needed.",
            field_errors={"reason": ["Say which emergency change it must authorise and why."]},
        )
    starts_at = at or timezone.now()
    if timezone.is_naive(starts_at):
        raise ValidationFailed(
            "Give the meeting time with its time zone.", field_errors={"at": ["Not a UK time."]}
        )
    with transaction.atomic():
        return CabMeeting.objects.create(
            kind=Kind.ECAB,
            meets_on=starts_at.astimezone(LONDON).date(),
            starts_at=starts_at,
            reason=reason,
            major_incident=major_incident,
            convened_by=actor,
        )


def cab_attendee_add(
    *, meeting: CabMeeting, actor, user, membership: str, deputy_for=None
) -> CabAttendee:
    """Record who sits on the meeting (§8.9.7): permanent or ad-hoc, or a deputy nominated by
    a permanent member who cannot attend (a deputy names that member)."""
    _require_chair(actor, meeting, "record who attends")
    if membership not in CabAttendee.Membership.values:
        raise ValidationFailed(
            "Choose permanent, ad-hoc or deputy.",
            field_errors={"membership": ["Choose a membership."]},
        )
    is_deputy = membership == CabAttendee.Membership.DEPUTY
    if is_deputy and deputy_for is None:
        raise ValidationFailed(
            "Say which permanent member the deputy attends for (§8.9.7).",
            field_errors={"deputy_for": ["Choose the member they stand in for."]},
        )
    if not is_deputy:
        deputy_for = None
    if deputy_for is not None and deputy_for.pk == user.pk:
        raise ValidationFailed(
            "A member cannot be their own deputy.",
            field_errors={"deputy_for": ["Choose another member."]},
        )
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_open(meeting)
        if CabAttendee.objects.filter(meeting=meeting, user=user).exists():
            raise ValidationFailed(
                f"{user} is already recorded at this meeting.",
                field_errors={"user": ["Already attending."]},
            )
        return CabAttendee.objects.create(
            meeting=meeting, user=user, membership=membership, deputy_for=deputy_for
        )


def _on_agenda(meeting: CabMeeting, change: Change) -> bool:
    """Whether the meeting decides on `change`: a weekly CAB the Normal changes needing CAB
    whose CAB date has come (§8.7, §8.9.2), an ECAB the Emergency changes (§9.4)."""
    if meeting.kind == Kind.ECAB:
        return change.change_type == ChangeType.EMERGENCY
    return (
        change.change_type == ChangeType.NORMAL
        and change.cab_required
        and change.cab_date is not None
        and change.cab_date <= meeting.meets_on
    )


def cab_decision_record(
    *, meeting: CabMeeting, change: Change, actor, decision: str, comment: str = ""
) -> CabDecision:
    """A CAB member records the board's approve / reject / more-information decision on a
    change in the workbench (§8.9.4, §8.9.5); at an ECAB, the ECAB's (§9.4). The change moves
    through `change_record_approval`, which checks the authority; the decision is tied to
    the meeting for its minutes."""
    kind = ChangeApproval.Kind.ECAB if meeting.is_emergency else ChangeApproval.Kind.CAB
    with transaction.atomic():
        # Locked so a decision cannot slip in while the chair closes the meeting.
        meeting = _locked(meeting)
        if not meeting.is_open:
            raise TransitionNotAllowed(f"The {meeting} is closed; decisions are no longer taken.")
        if not _on_agenda(meeting, change):
            raise ValidationFailed(
                f"{change.number} is not for the {meeting} to decide.",
                field_errors={"change": ["Not on this meeting's agenda."]},
            )
        approval = change_record_approval(
            change=change, actor=actor, kind=kind, decision=decision, comment=comment
        )
        return CabDecision.objects.create(meeting=meeting, approval=approval)


def cab_meeting_record_minutes(
    *, meeting: CabMeeting, actor, outcome: str, minutes: str
) -> CabMeeting:
    """The chair records the outcome and the minutes (§8.9.6: the next CAB reviews them)."""
    _require_chair(actor, meeting, "record the minutes")
    outcome, minutes = (outcome or "").strip(), (minutes or "").strip()
    errors = {}
    if not outcome:
        errors["outcome"] = ["Summarise what the meeting decided."]
    if not minutes:
        errors["minutes"] = ["Write the minutes."]
    if errors:
        raise ValidationFailed("Record both the outcome and the minutes.", field_errors=errors)
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_open(meeting)
        meeting.outcome, meeting.minutes = outcome, minutes
        meeting.save(update_fields=["outcome", "minutes"])
    return meeting


def cab_action_add(
    *, meeting: CabMeeting, actor, description: str, owner, due_on: date | None
) -> CabAction:
    """An action from the meeting, with its owner and due date (§8.9.6 "action items")."""
    _require_chair(actor, meeting, "add actions")
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = ["Say what is to be done."]
    if owner is None:
        errors["owner"] = ["Choose who owns the action."]
    elif not owner.is_active:
        errors["owner"] = [f"{owner} no longer has an active account."]
    if due_on is None:
        errors["due_on"] = ["Give the due date."]
    elif due_on < meeting.meets_on:
        errors["due_on"] = ["The due date cannot be before the meeting."]
    if errors:
        raise ValidationFailed("The action was not added; check the fields.", field_errors=errors)
    with transaction.atomic():
        meeting = _locked(meeting)
        _require_open(meeting)
        return CabAction.objects.create(
            meeting=meeting, description=description, owner=owner, due_on=due_on
        )


def cab_action_complete(*, action: CabAction, actor) -> CabAction:
    """Its owner or the Change Manager marks an action done; it leaves the next agenda."""
    if not (
        actor
        and actor.is_active
        and (
            actor.pk == action.owner_id
            or actor.is_superuser
            or actor.has_perm("changes.manage_change")
        )
    ):
        raise ActionNotPermitted("Only the action's owner or the Change Manager can complete it.")
    with transaction.atomic():
        locked = CabAction.objects.select_for_update().get(pk=action.pk)
        if locked.done_at is not None:
            raise TransitionNotAllowed("This action was already completed.")
        locked.done_at, locked.done_by = timezone.now(), actor
        locked.save(update_fields=["done_at", "done_by"])
    return locked


def cab_meeting_close(*, meeting: CabMeeting, actor) -> CabMeeting:
    """The chair closes the meeting once the outcome and minutes are on record (§8.9.6)."""
    with transaction.atomic():
        meeting = _locked(meeting)
        if meeting.state != CabMeeting.State.PLANNED:
            raise TransitionNotAllowed(f"The {meeting} is already closed.")
        # The permission first: django-fsm's has_transition_perm also needs the conditions met,
        # and a chair without minutes is told to record them, not that they may not close.
        _require_chair(actor, meeting, "close it")
        if not can_proceed(meeting.close):
            raise ValidationFailed(
                "Record the outcome and the minutes before closing the meeting.",
                field_errors={"minutes": ["The minutes are required to close the meeting."]},
            )
        if not has_transition_perm(meeting.close, actor):
            raise ActionNotPermitted(
                f"Only the chair of the {meeting.get_kind_display()} can close it."
            )
        meeting.close(by=actor)
        meeting.save()
    return meeting


def cab_meeting_send(*, meeting: CabMeeting, actor, what: str) -> int:
    """Email the agenda or the minutes to the CAB members list through the outbox (§8.9.6,
    §8.9.7); the mail carries the headings and a link to the printable page. Returns how
    many were emailed."""
    from ..cab_selectors import cab_agenda

    _require_chair(actor, meeting, "send the pack")
    if what not in ("agenda", "minutes"):
        raise ValidationFailed(
            "Choose the agenda or the minutes.", field_errors={"what": ["Choose one."]}
        )
    if what == "minutes" and not meeting.minutes.strip():
        raise ValidationFailed(
            "There are no minutes to send yet; record them first.",
            field_errors={"what": ["No minutes yet."]},
        )
    cab_list = DistributionList.objects.filter(name=CAB_MEMBERS, active=True).first()
    if cab_list is None:
        raise ValidationFailed(f"The {CAB_MEMBERS} list is not in use.")
    addresses: dict[str, str] = {}
    for member in cab_list.members.select_related("user").order_by("pk"):
        if member.user is not None and not member.user.is_active:
            continue
        address = member.user.email if member.user is not None else member.email
        if address:
            addresses.setdefault(address.lower(), address)
    if not addresses:
        raise ValidationFailed(f"The {CAB_MEMBERS} list has nobody on it; add members first.")
    agenda = cab_agenda(meeting) if what == "agenda" else None
    link = settings.PORTAL_BASE_URL + reverse("changes_cab:print", args=[meeting.pk])
    # §10.5.5: minutes, outcomes, actions and change subjects are typed by people and may hold
    # an MPAN, so the email carries the headings, counts and change numbers; the text itself
    # is on the printable page the link opens (staff sign in to read it).
    context = {
        "meeting": str(meeting),
        "starts_at": meeting.starts_at,
        "what": what,
        "sections": [
            {
                "title": section.title,
                "count": len(section.items),
                "numbers": [
                    item.obj.number
                    for item in section.items
                    if isinstance(getattr(item.obj, "number", None), str)
                ],
            }
            for section in agenda.sections
        ]
        if agenda
        else [],
        "actions_count": meeting.actions.count() if what == "minutes" else 0,
        "actions_open": meeting.actions.filter(done_at__isnull=True).count()
        if what == "minutes"
        else 0,
        "link": link,
    }
    with transaction.atomic():
        for address in addresses.values():
            outbound_message_queue(template="cab_pack", to_email=address, context=context)
    return len(addresses)
