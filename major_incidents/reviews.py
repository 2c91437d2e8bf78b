"""The post major incident review (§5.11 steps 23–25, §5.23, Appendix E): opened when the
major incident is resolved, prefilled from the war room, its timed milestones counted in real
hours from the resolution instant, follow-up actions tracked to done, signed off by a service
manager and distributed to the Major Incident comms list.

Services and selectors in one module: every page, console view, API endpoint and task of the
review calls these. Nothing here looks at business hours: §5.23 counts wall-clock hours after
the resolution, so a review resolved before the clocks change is still due exactly N hours
later.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from comms import notifications
from comms.lists import MAJOR_INCIDENT_COMMS, distribution_list_message_send
from comms.models import DistributionList, DistributionListMessage
from core.dates import UK_TIME, uk_datetime
from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from tickets.models import JournalEntry

from .models import (
    MajorIncident,
    PostIncidentReview,
    ReviewAction,
    ReviewMilestone,
    ReviewTimelineRow,
    TimelineEntry,
)
from .records import timeline_add

VIEW_PERMISSION = "major_incidents.view_postincidentreview"
CHANGE_PERMISSION = "major_incidents.change_postincidentreview"
SIGNOFF_PERMISSION = "major_incidents.signoff_postincidentreview"


# --- the timed milestones of §5.23 (and the follow-up meeting of §5.19.1) --------------------


@dataclass(frozen=True)
class MilestoneSpec:
    """One timed step: due `hours` real hours after the resolution instant."""

    code: str
    title: str
    hours: int
    section: str
    description: str


# §5.23 "Timing – Post Incident", in the manual's order, with its words; §5.19.1 puts the
# follow-up review meeting "within 1-2 weeks post-incident" (due at the outer bound).
MILESTONES: tuple[MilestoneSpec, ...] = (
    MilestoneSpec(
        "initial_summary",
        "Initial incident summary and context",
        2,
        "§5.23",
        "Assemble key stakeholders; review the incident timeline; outline scope and immediate "
        "impact.",
    ),
    MilestoneSpec(
        "root_cause_analysis",
        "Root cause analysis started",
        6,
        "§5.23",
        "Gather data, conduct a rapid root cause analysis and identify contributing factors: "
        "to start within this period; it can continue through the process.",
    ),
    MilestoneSpec(
        "response_assessment",
        "Assessment of incident response",
        8,
        "§5.23",
        "Evaluate response actions, review communication protocols, identify gaps or "
        "inefficiencies.",
    ),
    MilestoneSpec(
        "impact_analysis",
        "Impact analysis",
        12,
        "§5.23",
        "Assess market and participant impact, including any data integrity issues.",
    ),
    MilestoneSpec(
        "recommendations",
        "Draft recommendations and action plan",
        18,
        "§5.23",
        "Identify immediate corrective actions; assign action owners and timelines.",
    ),
    MilestoneSpec(
        "report_drafting",
        "PIR report drafting and stakeholder review",
        22,
        "§5.23",
        "Create the PIR document: findings, root cause analysis, impact assessment and "
        "recommendations.",
    ),
    MilestoneSpec(
        "signoff",
        "Final PIR review and sign-off",
        24,
        "§5.23",
        "Obtain formal sign-off (22–24 hours after resolution) and distribute the final PIR.",
    ),
    MilestoneSpec(
        "follow_up_meeting",
        "Follow-up review meeting",
        14 * 24,
        "§5.19.1",
        "Follow-up review meeting within 1–2 weeks of the incident.",
    ),
)
MILESTONES_BY_CODE = {spec.code: spec for spec in MILESTONES}
SIGNOFF_CODE = "signoff"
# The steps that must be done or skipped before the review can be signed off.
BEFORE_SIGNOFF = tuple(
    spec.code for spec in MILESTONES if spec.hours < MILESTONES_BY_CODE[SIGNOFF_CODE].hours
)
# Still worked after sign-off: the follow-up meeting comes a week or two later.
AFTER_SIGNOFF = tuple(
    spec.code for spec in MILESTONES if spec.hours > MILESTONES_BY_CODE[SIGNOFF_CODE].hours
)
# Reminded this long before a milestone falls due (and again never: once per milestone).
REMINDER_LEAD = timedelta(hours=1)


def milestone_due_at(resolved_at: datetime, spec: MilestoneSpec) -> datetime:
    """Real hours after the resolution (an aware UTC instant plus a timedelta, so a change of
    the clocks in between moves nothing)."""
    return resolved_at + timedelta(hours=spec.hours)


# --- permissions ---------------------------------------------------------------------------


def _is_staff_with(actor, permission: str) -> bool:
    return bool(actor and actor.is_active and actor.is_staff and actor.has_perm(permission))


def _require(actor, permission: str, doing: str) -> None:
    if not _is_staff_with(actor, permission):
        raise ActionNotPermitted(f"You are not allowed to {doing}.")


def may_edit_review(user) -> bool:
    return _is_staff_with(user, CHANGE_PERMISSION)


def may_sign_off_review(user) -> bool:
    return _is_staff_with(user, SIGNOFF_PERMISSION)


def _lock(review: PostIncidentReview) -> PostIncidentReview:
    return PostIncidentReview.objects.select_for_update().get(pk=review.pk)


def _require_draft(review: PostIncidentReview, doing: str) -> None:
    if review.state == PostIncidentReview.State.SIGNED_OFF:
        raise TransitionNotAllowed(
            f"You can't {doing}: the review of {review.incident_ref} is signed off and read-only."
        )


# --- opening the review on resolution -----------------------------------------------------


def _manager_names(major_incident: MajorIncident) -> str:
    return (
        ", ".join(str(person) for person in (major_incident.manager,) if person is not None)
        or "Not assigned"
    )


def _timeline_rows_since(
    review: PostIncidentReview, major_incident: MajorIncident, *, after: datetime | None
) -> list[ReviewTimelineRow]:
    """One row per war-room entry and per incident journal entry the participants' side of
    the record holds (system events and customer-visible comments; work notes stay out), in
    time order: two queries however long the incident ran."""
    war_room = TimelineEntry.objects.filter(major_incident=major_incident).select_related("author")
    if after is not None:
        war_room = war_room.filter(created_at__gt=after)
    events = [
        (entry.created_at, 0, entry.pk, entry.body, f"War room — {entry.get_kind_display()}", entry)
        for entry in war_room.order_by("created_at", "id")
    ]
    incident = major_incident.incident
    if incident is not None:
        journal = JournalEntry.objects.filter(
            ticket_type=ContentType.objects.get_for_model(incident),
            ticket_id=incident.pk,
            kind__in=(JournalEntry.Kind.SYSTEM, JournalEntry.Kind.COMMENT),
        ).select_related("author")
        if after is not None:
            journal = journal.filter(created_at__gt=after)
        events += [
            (
                entry.created_at,
                1,
                entry.pk,
                entry.body,
                f"{incident.number} — {entry.get_kind_display()}",
                entry,
            )
            for entry in journal.order_by("created_at", "id")
        ]
    events.sort(key=lambda event: event[:3])
    rows = []
    for occurred_at, _source, _pk, body, where, entry in events:
        text = " ".join(body.split())
        event = text if len(text) <= 300 else text[:299] + "…"
        comments = f"{where}; by {entry.author or 'the system'}."
        if len(text) > 300:
            comments = f"{body}\n\n{comments}"
        rows.append(
            ReviewTimelineRow(
                review=review, occurred_at=occurred_at, event=event, comments=comments
            )
        )
    return rows


def review_open(*, major_incident: MajorIncident, actor=None) -> PostIncidentReview:
    """Open the review of a resolved major incident (§5.11 step 23, §5.23), prefilled from
    Appendix E's incident details, the incident's description and resolution, and the war
    room's timeline, with its milestones due from the resolution instant.

    Idempotent: a review that exists is returned; after a rejected resolution its milestones
    move to the new resolution instant (unless it is signed off) and the timeline gains what
    happened since. A fixed number of queries however long the timeline (bulk inserts).
    """
    with transaction.atomic():
        major_incident = (
            MajorIncident.objects.select_for_update(of=("self",))
            .select_related("incident", "manager")
            .get(pk=major_incident.pk)
        )
        resolved_at = major_incident.resolved_at
        if resolved_at is None:
            raise TransitionNotAllowed(
                f"{major_incident.number} is not resolved: its review opens on resolution."
            )
        review = PostIncidentReview.objects.filter(major_incident=major_incident).first()
        if review is not None:
            return _review_follow_resolution(review, major_incident, actor=actor)
        incident = major_incident.incident
        now = timezone.now()
        review = PostIncidentReview.objects.create(
            major_incident=major_incident,
            incident_title=(major_incident.public_title or major_incident.title)[:160],
            incident_ref=(incident.number if incident else major_incident.number)[:40],
            incident_report_ref=major_incident.number,
            service_impacted_at=major_incident.started_at,
            service_restored_at=resolved_at,
            major_incident_managers=_manager_names(major_incident)[:300],
            incident_description=incident.description
            if incident
            else major_incident.public_summary,
            incident_resolution=incident.resolution_notes if incident else "",
            resolved_at=resolved_at,
            created_at=now,
            prefilled_until=now,
        )
        review.services.set(major_incident.service_impacts.values_list("service_id", flat=True))
        ReviewMilestone.objects.bulk_create(
            ReviewMilestone(
                review=review,
                code=spec.code,
                title=spec.title,
                hours_after_resolution=spec.hours,
                due_at=milestone_due_at(resolved_at, spec),
            )
            for spec in MILESTONES
        )
        ReviewTimelineRow.objects.bulk_create(
            _timeline_rows_since(review, major_incident, after=None)
        )
        timeline_add(
            major_incident=major_incident,
            kind=TimelineEntry.Kind.ACTION,
            body=(
                "Post-incident review opened (§5.23); final sign-off due by "
                f"{uk_datetime(milestone_due_at(resolved_at, MILESTONES_BY_CODE[SIGNOFF_CODE]))}."
            ),
            author=actor,
        )
    return review


def _review_follow_resolution(
    review: PostIncidentReview, major_incident: MajorIncident, *, actor
) -> PostIncidentReview:
    """The same review after a re-resolution: milestones move to the new instant (a signed-off
    review keeps its record), the restoration time follows and the timeline gains what came
    since the last prefill."""
    resolved_at = major_incident.resolved_at
    review = _lock(review)
    if review.state == PostIncidentReview.State.SIGNED_OFF or review.resolved_at == resolved_at:
        return review
    now = timezone.now()
    ReviewTimelineRow.objects.bulk_create(
        _timeline_rows_since(review, major_incident, after=review.prefilled_until)
    )
    review.resolved_at = resolved_at
    review.service_restored_at = resolved_at
    review.prefilled_until = now
    review.save(update_fields=["resolved_at", "service_restored_at", "prefilled_until"])
    milestones = list(review.milestones.all())
    for milestone in milestones:
        spec = MILESTONES_BY_CODE.get(milestone.code)
        hours = spec.hours if spec else milestone.hours_after_resolution
        milestone.due_at = resolved_at + timedelta(hours=hours)
        if milestone.completed_at is None:
            # Due again at a new time: remind again.
            milestone.reminded_at = None
    ReviewMilestone.objects.bulk_update(milestones, ["due_at", "reminded_at"])
    timeline_add(
        major_incident=major_incident,
        kind=TimelineEntry.Kind.ACTION,
        body=(
            "Resolved again: the post-incident review's milestones now run from "
            f"{uk_datetime(resolved_at)}."
        ),
        author=actor,
    )
    return review


def review_mark_reopened(*, major_incident: MajorIncident, actor=None) -> PostIncidentReview | None:
    """The incident's resolution was rejected: the review stays (it is not duplicated on the
    next resolution) and is marked reopened."""
    review = PostIncidentReview.objects.filter(major_incident=major_incident).first()
    if review is None:
        return None
    now = timezone.now()
    PostIncidentReview.objects.filter(pk=review.pk).update(reopened_at=now)
    review.reopened_at = now
    timeline_add(
        major_incident=major_incident,
        kind=TimelineEntry.Kind.ACTION,
        body="Resolution rejected: the post-incident review stays open and its milestones will "
        "run from the next resolution.",
        author=actor,
    )
    return review


# --- editing the review ---------------------------------------------------------------------

# The Appendix E fields the review's form edits, in the template's order.
EDITABLE_FIELDS = (
    "incident_title",
    "service_impacted_at",
    "service_restored_at",
    "major_incident_managers",
    "incident_description",
    "business_impact",
    "summary_and_actions",
    "incident_resolution",
    "affected_services_notes",
    "affected_users",
    "root_cause",
    "process_review",
    "additional_notes",
)
_REQUIRED_TEXT = {
    "incident_title": "Give the incident a title.",
    "major_incident_managers": "Name the Major Incident Manager(s).",
}


def review_update(
    *, review: PostIncidentReview, actor, services=None, **fields
) -> PostIncidentReview:
    """Save the Appendix E sections written by the reviewers. Refused once signed off."""
    _require(actor, CHANGE_PERMISSION, "edit post-incident reviews")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not review fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    for name, message in _REQUIRED_TEXT.items():
        if name in fields and not (fields[name] or "").strip():
            errors[name] = [message]
    impacted = fields.get("service_impacted_at", review.service_impacted_at)
    restored = fields.get("service_restored_at", review.service_restored_at)
    if impacted and restored and restored < impacted:
        errors["service_restored_at"] = ["The service can't be restored before it was impacted."]
    if errors:
        raise ValidationFailed(
            "The review was not saved; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        locked = _lock(review)
        _require_draft(locked, "edit it")
        for name, value in fields.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        locked.save(update_fields=list(fields) or None)
        if services is not None:
            locked.services.set(services)
    return locked


def _timeline_row_errors(occurred_at, event: str) -> dict[str, list[str]]:
    errors = {}
    if occurred_at is None:
        errors["occurred_at"] = ["Give the date and time of the event."]
    if not (event or "").strip():
        errors["event"] = ["Describe the event."]
    elif len(event.strip()) > 300:
        errors["event"] = ["Keep the event to 300 characters; put the rest in the comments."]
    return errors


def review_timeline_row_add(
    *,
    review: PostIncidentReview,
    actor,
    occurred_at: datetime | None,
    event: str,
    comments: str = "",
) -> ReviewTimelineRow:
    """Add one row to "Major Activities and Timeline of Events" (Appendix E)."""
    _require(actor, CHANGE_PERMISSION, "edit post-incident reviews")
    errors = _timeline_row_errors(occurred_at, event)
    if errors:
        raise ValidationFailed(
            "The row was not added; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        _require_draft(_lock(review), "add to its timeline")
        return ReviewTimelineRow.objects.create(
            review=review,
            occurred_at=occurred_at,
            event=event.strip(),
            comments=(comments or "").strip(),
        )


def review_timeline_row_update(
    *, row: ReviewTimelineRow, actor, occurred_at: datetime | None, event: str, comments: str = ""
) -> ReviewTimelineRow:
    """Correct one row of the timeline."""
    _require(actor, CHANGE_PERMISSION, "edit post-incident reviews")
    errors = _timeline_row_errors(occurred_at, event)
    if errors:
        raise ValidationFailed(
            "The row was not saved; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        _require_draft(_lock(row.review), "change its timeline")
        row.occurred_at, row.event, row.comments = (
            occurred_at,
            event.strip(),
            (comments or "").strip(),
        )
        row.save(update_fields=["occurred_at", "event", "comments"])
    return row


def review_timeline_row_delete(*, row: ReviewTimelineRow, actor) -> None:
    """Take a row that does not belong in the review off its timeline."""
    _require(actor, CHANGE_PERMISSION, "edit post-incident reviews")
    with transaction.atomic():
        _require_draft(_lock(row.review), "change its timeline")
        row.delete()


# --- milestones -------------------------------------------------------------------------------


def _milestone_locked(milestone: ReviewMilestone) -> tuple[ReviewMilestone, PostIncidentReview]:
    review = _lock(milestone.review)
    milestone = ReviewMilestone.objects.select_for_update().get(pk=milestone.pk)
    if review.state == PostIncidentReview.State.SIGNED_OFF and milestone.code not in AFTER_SIGNOFF:
        _require_draft(review, "change its milestones")
    return milestone, review


def review_milestone_complete(*, milestone: ReviewMilestone, actor) -> ReviewMilestone:
    """Record a §5.23 step as done, by whom and when. Sign-off itself is done by signing off."""
    _require(actor, CHANGE_PERMISSION, "work on post-incident reviews")
    if milestone.code == SIGNOFF_CODE:
        raise TransitionNotAllowed("The final review is done by signing the review off.")
    with transaction.atomic():
        milestone, _review = _milestone_locked(milestone)
        if milestone.completed_at is not None:
            raise TransitionNotAllowed(f"“{milestone.title}” is already closed.")
        milestone.completed_at = timezone.now()
        milestone.completed_by = actor
        milestone.skip_reason = ""
        milestone.save(update_fields=["completed_at", "completed_by", "skip_reason"])
    return milestone


def review_milestone_skip(*, milestone: ReviewMilestone, actor, reason: str) -> ReviewMilestone:
    """Close a step that does not apply to this incident, with the reason on record (it then
    counts as closed for sign-off, and is shown as skipped, not done)."""
    _require(actor, CHANGE_PERMISSION, "work on post-incident reviews")
    reason = " ".join((reason or "").split())
    if milestone.code == SIGNOFF_CODE:
        raise TransitionNotAllowed("The final review and sign-off can't be skipped.")
    if not reason:
        raise ValidationFailed(
            "Say why this step is skipped.", field_errors={"reason": ["Give the reason."]}
        )
    if len(reason) > 300:
        raise ValidationFailed(
            "Keep the reason to 300 characters.", field_errors={"reason": ["Too long."]}
        )
    with transaction.atomic():
        milestone, _review = _milestone_locked(milestone)
        if milestone.completed_at is not None:
            raise TransitionNotAllowed(f"“{milestone.title}” is already closed.")
        milestone.completed_at = timezone.now()
        milestone.completed_by = actor
        milestone.skip_reason = reason
        milestone.save(update_fields=["completed_at", "completed_by", "skip_reason"])
    return milestone


def review_milestone_reopen(*, milestone: ReviewMilestone, actor) -> ReviewMilestone:
    """Undo a step marked done or skipped by mistake (before sign-off)."""
    _require(actor, CHANGE_PERMISSION, "work on post-incident reviews")
    with transaction.atomic():
        milestone, _review = _milestone_locked(milestone)
        if milestone.code == SIGNOFF_CODE or milestone.completed_at is None:
            raise TransitionNotAllowed(f"“{milestone.title}” is not closed.")
        milestone.completed_at = None
        milestone.completed_by = None
        milestone.skip_reason = ""
        milestone.save(update_fields=["completed_at", "completed_by", "skip_reason"])
    return milestone


def review_milestone_remind_due(*, now: datetime | None = None) -> int:
    """Remind the Major Incident Manager of each open milestone due within the hour or
    overdue, once per milestone (§5.23). Each is claimed by a conditional UPDATE on
    `reminded_at`, so two workers never both send; a second run sends nothing."""
    now = now or timezone.now()
    candidates = (
        ReviewMilestone.objects.filter(
            completed_at__isnull=True,
            reminded_at__isnull=True,
            due_at__lte=now + REMINDER_LEAD,
        )
        # A major incident active again after a rejected resolution: its milestones move to
        # the next resolution, so the old due times are not chased meanwhile.
        .exclude(review__major_incident__state=MajorIncident.State.ACTIVE)
        .select_related("review__major_incident__manager", "review__major_incident__incident")
        .order_by("due_at", "id")
    )
    sent = 0
    for milestone in candidates:
        with transaction.atomic():
            claimed = ReviewMilestone.objects.filter(
                pk=milestone.pk, completed_at__isnull=True, reminded_at__isnull=True
            ).update(reminded_at=now)
            if claimed != 1:
                continue
            review = milestone.review
            notifications.review_milestone_due(
                review,
                milestone_title=milestone.title,
                due_at=milestone.due_at,
                overdue=milestone.due_at <= now,
                manager=review.major_incident.manager,
                ticket=review.major_incident.incident,
            )
            sent += 1
    return sent


# --- follow-up actions (Appendix E "Owner / Action / Due") -----------------------------------


def _uk_today() -> date:
    return timezone.localtime(timezone.now(), UK_TIME).date()


def _action_errors(owner, text: str, due_on: date | None, *, new: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if owner is None:
        errors["owner"] = ["Choose who owns the action."]
    elif not (owner.is_active and owner.is_staff):
        errors["owner"] = ["The owner must be an active member of staff."]
    if not (text or "").strip():
        errors["action"] = ["Describe the action."]
    if due_on is None:
        errors["due_on"] = ["Give a due date."]
    elif new and due_on < _uk_today():
        errors["due_on"] = ["The due date can't be in the past."]
    return errors


def review_action_add(
    *, review: PostIncidentReview, actor, owner, action: str, due_on: date | None
) -> ReviewAction:
    """Add a follow-up action; its owner is told (a portal notification and an email)."""
    _require(actor, CHANGE_PERMISSION, "add follow-up actions")
    errors = _action_errors(owner, action, due_on, new=True)
    if errors:
        raise ValidationFailed(
            "The action was not added; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        locked = _lock(review)
        _require_draft(locked, "add follow-up actions")
        created = ReviewAction.objects.create(
            review=locked, owner=owner, action=action.strip(), due_on=due_on
        )
        notifications.review_action_assigned(
            locked, owner=owner, due_on=due_on, ticket=locked.major_incident.incident
        )
    return created


def review_action_update(
    *, action: ReviewAction, actor, owner, text: str, due_on: date | None
) -> ReviewAction:
    """Change an open action's owner, words or due date; a new owner is told."""
    _require(actor, CHANGE_PERMISSION, "change follow-up actions")
    errors = _action_errors(owner, text, due_on, new=False)
    if due_on is not None and due_on != action.due_on and due_on < _uk_today():
        errors["due_on"] = ["A new due date can't be in the past."]
    if errors:
        raise ValidationFailed(
            "The action was not saved; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        review = _lock(action.review)
        _require_draft(review, "change its follow-up actions")
        locked = ReviewAction.objects.select_for_update().get(pk=action.pk)
        if locked.done_at is not None:
            raise TransitionNotAllowed("The action is done; reopen it to change it.")
        new_owner = locked.owner_id != owner.pk
        locked.owner, locked.action, locked.due_on = owner, text.strip(), due_on
        locked.save(update_fields=["owner", "action", "due_on"])
        if new_owner:
            notifications.review_action_assigned(
                review, owner=owner, due_on=due_on, ticket=review.major_incident.incident
            )
    return locked


def review_action_complete(*, action: ReviewAction, actor, note: str = "") -> ReviewAction:
    """Mark an action done with a note. Allowed after sign-off: actions are tracked to done."""
    if not (
        _is_staff_with(actor, CHANGE_PERMISSION)
        or (
            actor is not None and actor.is_active and actor.is_staff and actor.pk == action.owner_id
        )
    ):
        raise ActionNotPermitted("Only its owner or a review editor can mark an action done.")
    note = " ".join((note or "").split())
    if len(note) > 300:
        raise ValidationFailed(
            "Keep the note to 300 characters.", field_errors={"note": ["Too long."]}
        )
    with transaction.atomic():
        locked = ReviewAction.objects.select_for_update().get(pk=action.pk)
        if locked.done_at is not None:
            raise TransitionNotAllowed("The action is already done.")
        locked.done_at, locked.done_by, locked.done_note = timezone.now(), actor, note
        locked.save(update_fields=["done_at", "done_by", "done_note"])
    return locked


def review_action_reopen(*, action: ReviewAction, actor) -> ReviewAction:
    """Reopen an action marked done too soon."""
    _require(actor, CHANGE_PERMISSION, "reopen follow-up actions")
    with transaction.atomic():
        locked = ReviewAction.objects.select_for_update().get(pk=action.pk)
        if locked.done_at is None:
            raise TransitionNotAllowed("The action is not done.")
        locked.done_at, locked.done_by, locked.done_note = None, None, ""
        locked.save(update_fields=["done_at", "done_by", "done_note"])
    return locked


# --- sign-off and distribution ----------------------------------------------------------------


def review_sign_off(*, review: PostIncidentReview, actor) -> PostIncidentReview:
    """Formal sign-off by a service manager (§5.23 "Final PIR Review and Sign-Off").

    Refused unless the root cause (or the status of the investigation) is written and every
    step before sign-off is done or skipped with a reason. After it the review is read-only;
    follow-up actions and the follow-up meeting are still tracked to done.
    """
    _require(actor, SIGNOFF_PERMISSION, "sign off post-incident reviews")
    with transaction.atomic():
        locked = _lock(review)
        _require_draft(locked, "sign it off again")
        errors: dict[str, list[str]] = {}
        if not locked.root_cause.strip():
            errors["root_cause"] = [
                "Write the root cause, or the current status of the investigation."
            ]
        open_steps = list(
            locked.milestones.filter(code__in=BEFORE_SIGNOFF, completed_at__isnull=True)
            .order_by("due_at")
            .values_list("title", flat=True)
        )
        if open_steps:
            errors["milestones"] = [
                "Mark these done, or skip them with a reason: " + "; ".join(open_steps) + "."
            ]
        if errors:
            raise ValidationFailed("The review can't be signed off yet.", field_errors=errors)
        now = timezone.now()
        locked.state = PostIncidentReview.State.SIGNED_OFF
        locked.signed_off_by, locked.signed_off_at = actor, now
        locked.save(update_fields=["state", "signed_off_by", "signed_off_at"])
        locked.milestones.filter(code=SIGNOFF_CODE, completed_at__isnull=True).update(
            completed_at=now, completed_by=actor
        )
        timeline_add(
            major_incident=locked.major_incident,
            kind=TimelineEntry.Kind.ACTION,
            body=f"Post-incident review signed off by {actor}.",
            author=actor,
        )
    return locked


def _section(title: str, text: str, limit: int = 1200) -> str:
    text = (text or "").strip() or "Not recorded."
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"{title}\n{text}"


def review_distribution_text(review: PostIncidentReview) -> tuple[str, str]:
    """Subject and words of the final PIR for the comms list: a summary for the list, not
    the internal record (no description, timeline or process review)."""
    major_incident = review.major_incident
    services = ", ".join(str(service) for service in review.services.all()) or "None recorded"
    open_actions = sum(1 for action in review.actions.all() if action.done_at is None)
    total_actions = len(review.actions.all())
    subject = f"Post-incident review: {major_incident.public_title or review.incident_title}"
    subject = f"{subject[:130]} ({major_incident.number})"
    body = "\n\n".join(
        [
            f"The post-incident review of {major_incident.number} "
            f"({major_incident.public_title or review.incident_title}) has been signed off.",
            f"Services affected: {services}\n"
            f"Service impacted: {uk_datetime(review.service_impacted_at)} (UK time)\n"
            f"Service restored: {uk_datetime(review.service_restored_at)} (UK time)",
            _section("Business impact", review.business_impact),
            _section("Root cause", review.root_cause),
            _section("Resolution", review.incident_resolution),
            f"Follow-up actions: {total_actions} identified, {open_actions} still open; "
            "they are tracked to completion by the service desk.",
        ]
    )
    return subject, body[:5000]


def review_distribute(*, review: PostIncidentReview, actor) -> DistributionListMessage:
    """Distribute the final PIR (§5.23) to the Major Incident comms list (§5.19) as a PIR
    communication (§5.19.1 "Post-Incident Review"). Only a signed-off review, once."""
    _require(actor, CHANGE_PERMISSION, "distribute post-incident reviews")
    with transaction.atomic():
        locked = (
            PostIncidentReview.objects.select_for_update(of=("self",))
            .select_related("major_incident")
            .get(pk=review.pk)
        )
        if locked.state != PostIncidentReview.State.SIGNED_OFF:
            raise TransitionNotAllowed("Sign the review off before distributing it.")
        if locked.distributed_at is not None:
            raise TransitionNotAllowed(
                f"The review was distributed on {uk_datetime(locked.distributed_at)}."
            )
        distribution_list = DistributionList.objects.filter(name=MAJOR_INCIDENT_COMMS).first()
        if distribution_list is None:
            raise ValidationFailed(f"There is no {MAJOR_INCIDENT_COMMS} list to send to.")
        subject, body = review_distribution_text(locked)
        message = distribution_list_message_send(
            distribution_list=distribution_list,
            actor=actor,
            kind=DistributionListMessage.Kind.PIR,
            subject=subject,
            body=body,
        )
        locked.distributed_at = message.sent_at
        locked.save(update_fields=["distributed_at"])
        timeline_add(
            major_incident=locked.major_incident,
            kind=TimelineEntry.Kind.COMMS,
            body=f"Final post-incident review distributed to the {distribution_list.name} list.",
            author=actor,
        )
    return message


# --- selectors ---------------------------------------------------------------------------------


def _open_overdue_milestones(now: datetime):
    return ReviewMilestone.objects.filter(
        review=OuterRef("pk"), completed_at__isnull=True, due_at__lt=now
    )


def review_list_for(user, *, state: str = "", overdue: bool = False, search: str = "") -> QuerySet:
    """Reviews newest resolution first, each with `has_overdue` (an open milestone past its
    due time) and its major incident: one query per page."""
    if not _is_staff_with(user, VIEW_PERMISSION):
        return PostIncidentReview.objects.none()
    now = timezone.now()
    reviews = PostIncidentReview.objects.select_related("major_incident").annotate(
        has_overdue=Exists(_open_overdue_milestones(now))
    )
    if state:
        reviews = reviews.filter(state=state)
    if overdue:
        reviews = reviews.filter(has_overdue=True)
    search = (search or "").strip()
    if search:
        reviews = reviews.filter(
            Q(incident_ref__iexact=search)
            | Q(incident_report_ref__iexact=search)
            | Q(incident_title__icontains=search)
        )
    return reviews.order_by("-resolved_at", "-id")


def review_detail_queryset() -> QuerySet:
    """Reviews with everything their page shows: the major incident and its incident, the
    signer, services, timeline rows, milestones and actions with their people — six queries
    however long the timeline or the action list."""
    return PostIncidentReview.objects.select_related(
        "major_incident", "major_incident__incident", "signed_off_by"
    ).prefetch_related(
        "services",
        "timeline_rows",
        "milestones__completed_by",
        "actions__owner",
        "actions__done_by",
    )


def review_get_for(user, *, number: str) -> PostIncidentReview:
    """The review of major incident `number` (or of its incident), for staff who may view
    reviews; anyone else is told it does not exist."""
    if not _is_staff_with(user, VIEW_PERMISSION):
        raise TicketNotFound(f"There is no review for {number}, or you may not see it.")
    review = (
        review_detail_queryset()
        .filter(Q(major_incident__number=number) | Q(incident_ref=number))
        .first()
    )
    if review is None:
        raise TicketNotFound(f"There is no review for {number}, or you may not see it.")
    return review


def review_action_list_for(user, *, owner_id: int | None = None, overdue: bool = False) -> QuerySet:
    """Open follow-up actions across every review, soonest due first, with their owner and
    review: one query per page."""
    if not _is_staff_with(user, VIEW_PERMISSION):
        return ReviewAction.objects.none()
    actions = ReviewAction.objects.filter(done_at__isnull=True).select_related(
        "owner", "review", "review__major_incident"
    )
    if owner_id:
        actions = actions.filter(owner_id=owner_id)
    if overdue:
        actions = actions.filter(due_on__lt=_uk_today())
    return actions.order_by("due_on", "id")


def action_owner_choices() -> QuerySet:
    """Who may own a follow-up action: active staff."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .order_by("full_name", "email")
    )


@dataclass(frozen=True)
class MilestoneView:
    """A milestone as pages and the API show it."""

    milestone: ReviewMilestone
    status: str  # "done", "skipped", "overdue", "due" (within the reminder lead), "upcoming"
    section: str
    description: str


def milestone_views(review: PostIncidentReview, now: datetime | None = None) -> list[MilestoneView]:
    """The review's milestones (prefetched) with their badge."""
    now = now or timezone.now()
    views = []
    for milestone in review.milestones.all():
        spec = MILESTONES_BY_CODE.get(milestone.code)
        if milestone.completed_at is not None:
            status = "skipped" if milestone.skip_reason else "done"
        elif milestone.due_at < now:
            status = "overdue"
        elif milestone.due_at <= now + REMINDER_LEAD:
            status = "due"
        else:
            status = "upcoming"
        views.append(
            MilestoneView(
                milestone=milestone,
                status=status,
                section=spec.section if spec else "§5.23",
                description=spec.description if spec else "",
            )
        )
    return views


def action_is_overdue(action: ReviewAction, today: date | None = None) -> bool:
    return action.done_at is None and action.due_on < (today or _uk_today())


def uk_today() -> date:
    """Today in the UK, as due dates of actions are read."""
    return _uk_today()
