"""The change lifecycle (§8.1.1, §8.7–§8.9, §9.3–§9.4): submission with the lead-time check,
assessment, authorisation by the right authority, implementation, closure and the
post-implementation review items that closure opens."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.models import JournalEntry
from tickets.services import journal_entry_add, ticket_transition

from ..authority import approval_kinds_for, authority_label, may_act_as
from ..lead_time import lead_time_check
from ..models import Change, ChangeApproval, ChangeReviewItem
from ..risk import Rating
from .records import require_visible

Kind = ChangeApproval.Kind
Decision = ChangeApproval.Decision


def _require_worker(actor, change: Change, action: str) -> None:
    if not (
        actor and actor.is_active and actor.is_staff and actor.has_perm("changes.change_change")
    ):
        raise ActionNotPermitted(f"You are not allowed to {action} changes.")
    require_visible(actor, change)


def _run(change: Change, name: str, *, actor, **arguments) -> Change:
    return ticket_transition(
        ticket=change, name=name, actor=actor, expected_state=change.state, **arguments
    ).ticket


def change_submit(
    *, change: Change, actor, justification: str = "", now: datetime | None = None
) -> Change:
    """Submit a change for assessment (New → Assess), with the §8.3 mandatory fields.

    The §8.7 lead time is checked at this moment: a late change is still accepted when it
    carries a justification, and is flagged; without one the refusal says what the rule is
    and when it could start on time. A change needing CAB learns the date of its CAB.
    """
    _require_worker(actor, change, "submit")
    now = now or timezone.now()
    with transaction.atomic():
        locked = Change.objects.select_for_update().get(pk=change.pk)
        if locked.state == Change.State.NEW:
            missing = locked.missing_for_submission()
            if not locked.services.exists():
                missing.append(("services", "Name the affected services."))
            if missing:
                raise ValidationFailed(
                    f"Complete {locked.number} before submitting it: "
                    f"{' '.join(message for _, message in missing)}",
                    field_errors={name: [message] for name, message in missing},
                )
        result = None
        if locked.state == Change.State.NEW:
            locked.rating_refresh()
            result = lead_time_check(
                change_type=locked.change_type,
                risk=locked.risk,
                impact=locked.impact,
                submitted_at=now,
                planned_start=locked.planned_start,
            )
            if result.late and not (justification or "").strip():
                raise ValidationFailed(
                    result.message,
                    field_errors={
                        "justification": ["This change is late: justify why it cannot wait."]
                    },
                )
        change = _run(
            change,
            "submit",
            actor=actor,
            justification=justification or "",
            submitted_at=now,
            late=bool(result and result.late),
            cab_date=result.cab_date if result else None,
        )
        if result is not None and (result.late or result.cab_date):
            flag = "Late change. " if result.late else ""
            body = flag + (result.message if not result.late else "")
            if result.late:
                body += f"Justification: {change.late_justification}"
            if result.cab_date and result.late:
                body += f" CAB date: {result.cab_date:%a %d %b %Y}."
            journal_entry_add(
                ticket=change, kind=JournalEntry.Kind.WORK_NOTE, body=body.strip(), author=actor
            )
    return change


def change_assess(
    *, change: Change, actor, probability: int | None = None, impact: int | None = None
) -> Change:
    """The Change Manager's assessment (§8.4–§8.7): confirm or correct the ratings, then the
    change waits for the authority it needs (Assess → Authorise). A Standard change is
    scheduled instead (`change_schedule`)."""
    _require_worker(actor, change, "assess")
    if change.is_standard:
        raise TransitionNotAllowed(
            f"{change.number} is a pre-approved standard change: schedule it instead."
        )
    with transaction.atomic():
        locked = Change.objects.select_for_update().get(pk=change.pk)
        updates = {}
        for name, value in (("probability", probability), ("impact", impact)):
            if value is None:
                continue
            if value not in Rating.values:
                raise ValidationFailed(
                    "Choose 1 (High), 2 (Medium) or 3 (Low).",
                    field_errors={name: ["Choose 1 (High), 2 (Medium) or 3 (Low)."]},
                )
            updates[name] = value
        if updates and locked.state == Change.State.ASSESS and not locked.is_standard:
            for name, value in updates.items():
                setattr(locked, name, value)
            locked.rating_refresh()
            locked.save(update_fields=[*updates, "risk", "cab_required", "updated_at"])
            journal_entry_add(
                ticket=locked,
                kind=JournalEntry.Kind.SYSTEM,
                body=f"Assessed: risk {locked.get_risk_display()}, impact "
                f"{locked.get_impact_display()}.",
                author=actor,
            )
        change = _run(change, "assess", actor=actor)
        kinds = approval_kinds_for(change, at=timezone.now())
        journal_entry_add(
            ticket=change,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Awaiting authorisation by the {authority_label(kinds)}.",
            author=actor,
        )
    return change


def change_schedule(*, change: Change, actor) -> Change:
    """A Standard change is pre-approved (§8.1.2): Assess → Scheduled, skipping Authorise."""
    _require_worker(actor, change, "schedule")
    with transaction.atomic():
        return _run(change, "schedule", actor=actor)


def change_record_approval(
    *, change: Change, actor, kind: str, decision: str, comment: str = ""
) -> ChangeApproval:
    """Record an approver's decision on a change in Authorise (§8.3 Approval fields).

    The authority must be the one the change needs (`changes.authority`): the Change Manager
    for Low risk and Low impact Normal changes (§8.7), CAB for the other Normal changes
    (§8.9.2), the ECAB for Emergency changes, or out of hours the Major Incident Manager alone
    (§9.4.3). Approve authorises it (→ Scheduled), Reject cancels it, More information sends
    it back to Assess. A rejection or a request for information says why.
    """
    if kind not in Kind.values:
        raise ValidationFailed(
            "Choose the authority you decide under.",
            field_errors={"kind": ["Choose an authority."]},
        )
    if decision not in Decision.values:
        raise ValidationFailed(
            "Choose approve, reject or more information.",
            field_errors={"decision": ["Choose a decision."]},
        )
    comment = (comment or "").strip()
    if decision != Decision.APPROVE and not comment:
        raise ValidationFailed(
            "Say why, so the change's owner knows what to do next.",
            field_errors={"comment": ["A comment is required to reject or ask for more."]},
        )
    if not may_act_as(actor, kind):
        raise ActionNotPermitted(f"You cannot decide on changes as the {Kind(kind).label}.")
    require_visible(actor, change)
    now = timezone.now()
    with transaction.atomic():
        locked = Change.objects.select_for_update().get(pk=change.pk)
        if locked.state != Change.State.AUTHORISE:
            raise TransitionNotAllowed(
                f"{locked.number} is {locked.get_state_display()}, not awaiting authorisation."
            )
        kinds = approval_kinds_for(locked, at=now)
        if kind not in kinds:
            raise ValidationFailed(
                f"{locked.number} is authorised by the {authority_label(kinds) or 'catalogue'},"
                f" not the {Kind(kind).label}.",
                field_errors={"kind": [f"Needs the {authority_label(kinds)}."]},
            )
        approval = ChangeApproval.objects.create(
            change=locked, approver=actor, kind=kind, decision=decision, comment=comment, at=now
        )
        body = f"{Decision(decision).label} by {actor} as the {Kind(kind).label}."
        if comment:
            body += f" {comment}"
        journal_entry_add(ticket=locked, kind=JournalEntry.Kind.SYSTEM, body=body, author=actor)
        if decision == Decision.APPROVE:
            _run(change, "authorise", actor=actor, by=actor, via=kind)
        elif decision == Decision.REJECT:
            _run(change, "reject", actor=actor, notes=f"Rejected: {comment}")
        else:
            _run(change, "return_for_information", actor=actor)
    return approval


def change_authorise(*, change: Change, actor, kind: str, comment: str = "") -> Change:
    """Authorise a change under `kind` (see `change_record_approval`)."""
    change_record_approval(
        change=change, actor=actor, kind=kind, decision=Decision.APPROVE, comment=comment
    )
    return Change.objects.get(pk=change.pk)


def change_start_implementation(*, change: Change, actor, at: datetime | None = None) -> Change:
    """Implementation starts (Scheduled → Implement); its real start is kept (§8.8)."""
    _require_worker(actor, change, "implement")
    with transaction.atomic():
        return _run(change, "start_implementation", actor=actor, at=at)


def change_complete(*, change: Change, actor, at: datetime | None = None) -> Change:
    """Implementation finished (Implement → Review); a change that ran outside its window is
    noted for the Change Manager, who may mark it Unauthorised (§8.8)."""
    _require_worker(actor, change, "complete")
    with transaction.atomic():
        change = _run(change, "complete", actor=actor, at=at)
        if change.outside_window:
            journal_entry_add(
                ticket=change,
                kind=JournalEntry.Kind.WORK_NOTE,
                body="Implemented outside its change window: the Change Manager may "
                "close it as Unauthorised.",
                author=actor,
            )
    return change


def _review_item_open(change: Change) -> ChangeReviewItem | None:
    """§8.8 / §9.3: every outcome but Successful or Cancelled follows the post-implementation
    review; the item waits for the next CAB (§8.9.6, §8.9.9)."""
    if not change.needs_review:
        return None
    item, _ = ChangeReviewItem.objects.get_or_create(
        change=change, defaults={"closure_code": change.closure_code}
    )
    journal_entry_add(
        ticket=change,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"Closed as {change.get_closure_code_display()}: a post-implementation review "
        "item is open for the next CAB.",
    )
    return item


def change_close(*, change: Change, actor, code: str, notes: str) -> Change:
    """Close an implemented change with its outcome and closure notes (§8.8, §9.3): Review →
    Closed. Anything but Successful opens a post-implementation review item."""
    _require_worker(actor, change, "close")
    with transaction.atomic():
        change = _run(change, "close", actor=actor, code=code, notes=(notes or "").strip())
        _review_item_open(change)
    return change


def change_cancel(*, change: Change, actor, notes: str) -> Change:
    """Cancel a change before implementation (§8.8 Cancelled). Whoever raised, requested or
    owns it, or the Change Manager."""
    _require_worker(actor, change, "cancel")
    if not (
        actor.is_superuser
        or actor.has_perm("changes.manage_change")
        or actor.pk in (change.opened_by_id, change.requested_by_id, change.assigned_to_id)
    ):
        raise ActionNotPermitted(
            f"Only whoever raised or requested {change.number}, its assignee or the Change "
            "Manager can cancel it."
        )
    with transaction.atomic():
        return _run(change, "cancel", actor=actor, notes=(notes or "").strip())


def change_mark_unauthorised(*, change: Change, actor, notes: str) -> Change:
    """Close a change as Unauthorised (§8.8): made without authorisation, or egregiously
    outside its approved plan (outside its window, different CIs). Change Manager only; a
    post-implementation review item opens. The journal says what the record shows."""
    _require_worker(actor, change, "mark unauthorised")
    with transaction.atomic():
        change = _run(change, "mark_unauthorised", actor=actor, notes=(notes or "").strip())
        facts = []
        if change.authorised_at is None and not change.is_standard:
            facts.append("it was never authorised")
        if change.outside_window:
            facts.append("it was implemented outside its change window")
        if facts:
            journal_entry_add(
                ticket=change,
                kind=JournalEntry.Kind.WORK_NOTE,
                body=f"Marked Unauthorised: {' and '.join(facts)}.",
                author=actor,
            )
        _review_item_open(change)
    return change


def change_review_item_complete(*, item: ChangeReviewItem, actor, lessons: str) -> ChangeReviewItem:
    """The CAB has reviewed a change that was not Successful (§8.9.9): the outcome and lessons
    learned are recorded and the item leaves the agenda."""
    if not (
        actor
        and actor.is_active
        and actor.is_staff
        and (
            actor.is_superuser
            or actor.has_perm("changes.manage_change")
            or actor.has_perm("changes.approve_change")
        )
    ):
        raise ActionNotPermitted("Only the Change Manager and CAB members review changes.")
    lessons = (lessons or "").strip()
    if not lessons:
        raise ValidationFailed(
            "Record the outcome and the lessons learned.",
            field_errors={"lessons": ["The lessons learned are required."]},
        )
    with transaction.atomic():
        locked = (
            ChangeReviewItem.objects.select_for_update().select_related("change").get(pk=item.pk)
        )
        if locked.reviewed_at is not None:
            raise TransitionNotAllowed(
                f"The review of {locked.change.number} was already completed."
            )
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor
        locked.lessons = lessons
        locked.save(update_fields=["reviewed_at", "reviewed_by", "lessons"])
        journal_entry_add(
            ticket=locked.change,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Post-implementation review completed. Lessons learned: {lessons}",
            author=actor,
        )
    return locked
