"""Writes on problems (§6): raising one (directly, from an incident, or from a post-incident
review), recording the analysis and assignment, linking incidents, work notes and the
lifecycle. The §6.5 closure rules are the lifecycle's preconditions (`problems.models`)."""

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from comms import notifications
from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from incidents.models import Incident
from incidents.services import incident_transition
from tickets.limits import COMMENT_MAX_CHARS, DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import JournalEntry, TicketLink
from tickets.priority import priority_for
from tickets.selectors import linked_tickets, visible_tickets
from tickets.services import (
    journal_entry_add,
    ticket_changes_recorded,
    ticket_classify,
    ticket_comment_add,
    ticket_created_announce,
    ticket_link,
    ticket_number_allocate,
    ticket_transition,
)

from .models import Problem, ProblemReviewCheck
from .selectors import incidents_of_problem, problem_fields_from_incident

# A problem's closure code as the code of the incidents its resolution resolves (§6.5 → §5.5).
INCIDENT_CODE_FOR = {
    Problem.ResolutionCode.RESOLVED: Incident.ResolutionCode.SOLVED,
    Problem.ResolutionCode.KNOWN_ERROR: Incident.ResolutionCode.KNOWN_ERROR,
}
# Cases linked to a problem at triage (§6.4 steps 1–4) hear its customer-visible updates.
CASE_PROBLEM_LINK = "case_problem"

# Left unchanged by `problem_update` (None is a value there: "no one assigned").
UNCHANGED = object()


def _require_raiser(actor) -> None:
    if not (
        actor and actor.is_active and actor.is_staff and actor.has_perm("problems.add_problem")
    ):
        raise ActionNotPermitted("Only the service desk and problem managers can raise problems.")


def _require_worker(actor, problem: Problem, action: str) -> None:
    """Staff holding `problems.change_problem` who may see the problem (§10.4)."""
    if not (
        actor and actor.is_active and actor.is_staff and actor.has_perm("problems.change_problem")
    ):
        raise ActionNotPermitted(f"You are not allowed to {action} problems.")
    if not visible_tickets(Problem.objects.filter(pk=problem.pk), user=actor).exists():
        raise TicketNotFound(f"There is no problem {problem.number}, or you may not see it.")


def _visible_incidents(actor, incidents: Iterable[Incident]) -> list[Incident]:
    incidents = list(incidents)
    if not incidents:
        return []
    ids = {incident.pk for incident in incidents}
    seen = set(
        visible_tickets(Incident.objects.filter(pk__in=ids), user=actor).values_list(
            "pk", flat=True
        )
    )
    for incident in incidents:
        if incident.pk not in seen:
            raise TicketNotFound(f"There is no incident {incident.number}, or you may not see it.")
    return incidents


def _member_error(assignment_group, assigned_to) -> str:
    if assigned_to is None or assignment_group is None:
        return ""
    if assignment_group.members.filter(pk=assigned_to.pk).exists():
        return ""
    return f"{assigned_to} is not a member of {assignment_group}."


def problem_raise_from(
    *,
    actor,
    source_label: str = "",
    incidents: Iterable[Incident] = (),
    short_description: str,
    description: str,
    category,
    assignment_group,
    impact: int | None,
    urgency: int | None,
    service=None,
    assigned_to=None,
    root_cause: str = "",
    workaround: str = "",
) -> Problem:
    """Raise a problem with the §6.5 mandatory fields and its §3.8 priority, linked to
    `incidents` (incident → problem) and journalled on each of them and on the problem.

    `source_label` names where it came from, in words ("post-incident review of MI0000003");
    the journals say "Raised from …". A post-incident review (§5.23) calls this with its own
    data; an incident's console page calls `problem_raise_from_incident`.
    """
    _require_raiser(actor)
    incidents = _visible_incidents(actor, incidents)
    short_description = (short_description or "").strip()
    description = (description or "").strip()
    errors: dict[str, list[str]] = {}
    if not short_description:
        errors["short_description"] = ["A problem needs a short description."]
    elif len(short_description) > SUBJECT_MAX_CHARS:
        errors["short_description"] = [f"Keep it to {SUBJECT_MAX_CHARS} characters."]
    if not description:
        errors["description"] = ["Describe the symptoms, impact and any initial findings."]
    elif len(description) > DESCRIPTION_MAX_CHARS:
        errors["description"] = [f"Keep it to {DESCRIPTION_MAX_CHARS:,} characters."]
    if category is None:
        errors["category"] = ["A problem needs a category."]
    if assignment_group is None:
        errors["assignment_group"] = ["Choose the resolver group that will investigate it."]
    try:
        priority = priority_for(impact, urgency)
    except ValueError:
        errors.setdefault("impact", []).append("Choose impact and urgency (§3.8).")
        priority = None
    member_error = _member_error(assignment_group, assigned_to)
    if member_error:
        errors["assigned_to"] = [member_error]
    if errors:
        raise ValidationFailed(
            "The problem could not be raised; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        problem = Problem.objects.create(
            number=ticket_number_allocate(prefix=Problem.NUMBER_PREFIX),
            short_description=short_description,
            description=description,
            category=category,
            opened_by=actor,
            assignment_group=assignment_group,
            assigned_to=assigned_to,
            impact=impact,
            urgency=urgency,
            priority=priority,
            service=service,
            root_cause=(root_cause or "").strip(),
            workaround=(workaround or "").strip(),
        )
        body = (
            f"Problem raised with priority {problem.get_priority_display()}, "
            f"assigned to {assignment_group}."
        )
        if source_label:
            body += f" Raised from {source_label}."
        if incidents:
            body += f" Linked incidents: {', '.join(i.number for i in incidents)}."
        journal_entry_add(ticket=problem, kind=JournalEntry.Kind.SYSTEM, body=body, author=actor)
        for incident in incidents:
            _link(problem=problem, incident=incident, actor=actor, source_label=source_label)
        ticket_created_announce(ticket=problem, actor=actor)
        if assigned_to is not None:
            notifications.ticket_assigned_to_person(problem)
    return problem


def _link(*, problem: Problem, incident: Incident, actor, source_label: str = "") -> None:
    ticket_link(from_ticket=incident, to_ticket=problem, kind=TicketLink.Kind.INCIDENT_PROBLEM)
    where = f" from {source_label}" if source_label else ""
    journal_entry_add(
        ticket=incident,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"Problem {problem.number} raised{where} and linked to this incident.",
        author=actor,
    )


def problem_create(
    *,
    actor,
    short_description: str,
    description: str,
    category,
    assignment_group,
    impact: int | None,
    urgency: int | None,
    service=None,
    assigned_to=None,
) -> Problem:
    """Raise a problem directly (§6.4), with the §6.5 mandatory fields."""
    return problem_raise_from(
        actor=actor,
        short_description=short_description,
        description=description,
        category=category,
        assignment_group=assignment_group,
        impact=impact,
        urgency=urgency,
        service=service,
        assigned_to=assigned_to,
    )


def problem_raise_from_incident(*, incident: Incident, actor, **fields) -> Problem:
    """§5.5 steps 16–18: raise a problem record from an incident, linked to it and starting
    from its subject, description, category, resolver group, impact, urgency and first
    affected service (`problem_fields_from_incident`); any of these may be given instead."""
    _require_raiser(actor)
    values = {**problem_fields_from_incident(incident), **fields}
    return problem_raise_from(
        actor=actor, source_label=f"incident {incident.number}", incidents=[incident], **values
    )


def problem_link_incident(*, problem: Problem, incident: Incident, actor) -> Problem:
    """Link one more incident to a problem (§6.2: recurring incidents, one cause)."""
    _require_worker(actor, problem, "link incidents to")
    _visible_incidents(actor, [incident])
    with transaction.atomic():
        locked = Problem.objects.select_for_update().get(pk=problem.pk)
        if locked.state not in Problem.OPEN_STATES:
            raise TransitionNotAllowed(
                f"You can't link incidents to {locked.number}: it is {locked.get_state_display()}."
            )
        if incidents_of_problem(locked).filter(pk=incident.pk).exists():
            return locked
        ticket_link(from_ticket=incident, to_ticket=locked, kind=TicketLink.Kind.INCIDENT_PROBLEM)
        journal_entry_add(
            ticket=locked,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Incident {incident.number} linked.",
            author=actor,
        )
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Linked to problem {locked.number}.",
            author=actor,
        )
    return locked


def _lock_open(problem: Problem, action: str) -> Problem:
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    if locked.state not in Problem.OPEN_STATES:
        raise TransitionNotAllowed(
            f"You can't {action} {locked.number} while it is {locked.get_state_display()}; "
            "reopen it first."
        )
    return locked


def problem_update(
    *,
    problem: Problem,
    actor,
    root_cause=UNCHANGED,
    workaround=UNCHANGED,
    service=UNCHANGED,
    category=UNCHANGED,
    assignment_group=UNCHANGED,
    assigned_to=UNCHANGED,
    impact=UNCHANGED,
    urgency=UNCHANGED,
) -> Problem:
    """Record the investigation on an open problem (§6.4 step 6): root cause, workaround,
    configuration item, category, assignment and impact/urgency (the priority follows by the
    §3.8 matrix). Each change is journalled; the new group or assignee is told."""
    _require_worker(actor, problem, "update")
    with transaction.atomic():
        locked = _lock_open(problem, "update")
        group = locked.assignment_group if assignment_group is UNCHANGED else assignment_group
        person = locked.assigned_to if assigned_to is UNCHANGED else assigned_to
        # A new group: the old assignee goes unless they are in it.
        if (
            assignment_group is not UNCHANGED
            and assigned_to is UNCHANGED
            and person is not None
            and _member_error(group, person)
        ):
            person = None
        if group is None:
            raise ValidationFailed(
                "A problem needs a resolver group.",
                field_errors={"assignment_group": ["Choose the resolver group."]},
            )
        member_error = _member_error(group, person)
        if member_error:
            raise ValidationFailed(member_error, field_errors={"assigned_to": [member_error]})
        if category is not UNCHANGED and category is None:
            raise ValidationFailed(
                "A problem needs a category.", field_errors={"category": ["Choose a category."]}
            )
        entries: list[str] = []
        changed: list[str] = []
        for name, value, label in (
            ("root_cause", root_cause, "Root cause"),
            ("workaround", workaround, "Workaround"),
        ):
            if value is UNCHANGED:
                continue
            value = (value or "").strip()
            if value != getattr(locked, name):
                setattr(locked, name, value)
                changed.append(name)
                entries.append(f"{label} recorded: {value}" if value else f"{label} cleared.")
        for name, value, label in (
            ("service", service, "Configuration item"),
            ("category", category, "Category"),
        ):
            if value is UNCHANGED or getattr(locked, f"{name}_id") == getattr(value, "pk", None):
                continue
            setattr(locked, name, value)
            changed.append(name)
            entries.append(f"{label} set to {value or 'none'}.")
        new_group = locked.assignment_group_id != group.pk
        new_person = person is not None and locked.assigned_to_id != person.pk
        if new_group or locked.assigned_to_id != getattr(person, "pk", None):
            locked.assignment_group, locked.assigned_to = group, person
            changed += ["assignment_group", "assigned_to"]
            entries.append(f"Assigned to {group}" + (f" / {person}" if person else "") + ".")
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        for body in entries:
            journal_entry_add(ticket=locked, kind=JournalEntry.Kind.SYSTEM, body=body, author=actor)
        if impact is not UNCHANGED or urgency is not UNCHANGED:
            locked = ticket_classify(
                ticket=locked,
                impact=locked.impact if impact is UNCHANGED else impact,
                urgency=locked.urgency if urgency is UNCHANGED else urgency,
                actor=actor,
            )
        if changed:
            # Assignment and the configuration item are on record for the SLA engine too.
            ticket_changes_recorded(ticket=locked)
        if new_group:
            notifications.problem_assigned(locked)
        if new_person:
            notifications.ticket_assigned_to_person(locked)
        if "workaround" in changed:
            notifications.problem_updated(
                locked,
                what="a workaround was recorded"
                if locked.workaround
                else "its workaround was withdrawn",
                actor=actor,
            )
    return locked


def problem_work_note_add(*, problem: Problem, actor, body: str) -> JournalEntry:
    """A note on the investigation; it stays with the desk and resolver groups."""
    _require_worker(actor, problem, "add work notes to")
    with transaction.atomic():
        locked = _lock_open(problem, "add a work note to")
        return ticket_comment_add(ticket=locked, actor=actor, body=body, work_note=True)


def problem_transition(
    *,
    problem: Problem,
    actor,
    name: str,
    expected_state: str | None = None,
    note: str = "",
    **arguments,
) -> Problem:
    """Run a lifecycle transition on a problem; §6.5's root cause and Known Error rules and
    the §6.4 step 10 review checklist are the lifecycle's preconditions, checked on the locked
    row. Resolving with `linked_incidents="resolve"` resolves its open linked incidents in the
    same transaction (`_resolve_linked_incidents`). Whoever raised the problem is told of the
    new status (§6.4 step 7)."""
    with transaction.atomic():
        result = ticket_transition(
            ticket=problem,
            name=name,
            actor=actor,
            expected_state=expected_state,
            note=note,
            **arguments,
        )
        locked = result.ticket
        if (
            name == "resolve"
            and arguments.get("linked_incidents") == Problem.LinkedIncidents.RESOLVE
        ):
            _resolve_linked_incidents(locked, actor=actor)
        if result.old_state != result.new_state:
            notifications.problem_updated(
                locked, what=f"its status changed to {locked.get_state_display()}", actor=actor
            )
    return locked


def _resolve_linked_incidents(problem: Problem, *, actor) -> list[Incident]:
    """§6.2, §6.4 step 9: the problem's resolution resolves each of its open linked incidents
    through the incidents' own lifecycle (an incident On Hold is resumed first), with the
    problem's resolution as the notes and its closure code as theirs. Each incident's cases
    then get the resolution as a proposed update for the desk to check and send (the cases'
    link rule, Appendix G): nobody outside the desk writes to a caller.

    The problem's worker is allowed to change the problem, not necessarily every incident, so
    the incidents move as the system, and each journal names who resolved the problem."""
    code = INCIDENT_CODE_FOR.get(problem.resolution_code, Incident.ResolutionCode.SOLVED)
    notes = f"Resolved with problem {problem.number}: {problem.resolution_notes}"
    resolved: list[Incident] = []
    for incident in incidents_of_problem(problem).filter(state__in=Incident.OPEN_STATES):
        if incident.state == Incident.State.ON_HOLD:
            incident = incident_transition(incident=incident, actor=None, name="resume")
        incident = incident_transition(
            incident=incident, actor=None, name="resolve", notes=notes, code=code
        )
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Resolved by {actor} with the resolution of problem {problem.number}.",
            author=actor,
        )
        resolved.append(incident)
    if resolved:
        journal_entry_add(
            ticket=problem,
            kind=JournalEntry.Kind.SYSTEM,
            body="Linked incidents resolved with this resolution: "
            f"{', '.join(incident.number for incident in resolved)}.",
            author=actor,
        )
    return resolved


def problem_unlink_incident(*, problem: Problem, incident: Incident, actor) -> Problem:
    """Remove an incident linked to a problem by mistake; both journals say so."""
    _require_worker(actor, problem, "unlink incidents from")
    with transaction.atomic():
        locked = _lock_open(problem, "unlink incidents from")
        removed, _ = TicketLink.objects.filter(
            pk__in=incidents_of_problem_links(locked, incident)
        ).delete()
        if not removed:
            raise ValidationFailed(
                f"{incident.number} is not linked to {locked.number}.",
                field_errors={"incident": [f"{incident.number} is not linked to this problem."]},
            )
        journal_entry_add(
            ticket=locked,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Incident {incident.number} unlinked.",
            author=actor,
        )
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Unlinked from problem {locked.number}.",
            author=actor,
        )
    return locked


def incidents_of_problem_links(problem: Problem, incident: Incident):
    """The link rows between one incident and one problem (at most one)."""
    return TicketLink.objects.filter(
        kind=TicketLink.Kind.INCIDENT_PROBLEM,
        from_type=ContentType.objects.get_for_model(Incident),
        from_id=incident.pk,
        to_type=ContentType.objects.get_for_model(Problem),
        to_id=problem.pk,
    ).values("pk")


def problem_progress_update_add(
    *, problem: Problem, actor, body: str, customer_visible: bool = False
) -> JournalEntry:
    """§6.4 step 7: a progress update on the investigation. Whoever raised the problem is
    told. A customer-visible update also reaches the callers: each open case linked to the
    problem at triage gets it as the desk's comment (the case's link rule), and each open
    linked incident gets it as an update for its callers, which the desk checks and sends
    through their cases (Appendix G)."""
    _require_worker(actor, problem, "post progress updates on")
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(
            "Write the progress update before posting it.",
            field_errors={"body": ["This field is required."]},
        )
    if len(body) > COMMENT_MAX_CHARS:
        raise ValidationFailed(
            f"Keep the update to {COMMENT_MAX_CHARS:,} characters.",
            field_errors={"body": [f"Keep it to {COMMENT_MAX_CHARS:,} characters."]},
        )
    with transaction.atomic():
        locked = _lock_open(problem, "post a progress update on")
        if not customer_visible:
            entry = ticket_comment_add(ticket=locked, actor=actor, body=body, work_note=True)
            notifications.problem_updated(locked, what="a progress update was added", actor=actor)
            return entry
        # A customer-visible comment: the kernel runs the cases' comment rule on this problem.
        entry = ticket_comment_add(ticket=locked, actor=actor, body=body)
        for incident in incidents_of_problem(locked).filter(state__in=Incident.OPEN_STATES):
            ticket_comment_add(
                ticket=incident, actor=actor, body=f"Update from problem {locked.number}: {body}"
            )
        notifications.problem_updated(
            locked, what="a progress update for the callers was added", actor=actor
        )
    return entry


def problem_linked_cases(problem: Problem) -> list:
    """The cases linked to the problem at triage (§6.4 steps 1–4), oldest first."""
    return linked_tickets(problem, kind=CASE_PROBLEM_LINK, ticket_is="to")


def problem_review_record(*, problem: Problem, actor, items: Iterable[str]) -> list[str]:
    """§6.4 step 10: the post-resolution review checklist of a Resolved problem. `items` are
    the ticked items (`ProblemReviewCheck.Item` values); an item no longer ticked is removed.
    Each change is journalled; returns the items ticked now."""
    _require_worker(actor, problem, "review")
    items = list(dict.fromkeys(items))
    unknown = [item for item in items if item not in ProblemReviewCheck.Item.values]
    if unknown:
        raise ValidationFailed(
            "Tick only items of the review checklist.",
            field_errors={"items": [f"Not a checklist item: {', '.join(unknown)}."]},
        )
    with transaction.atomic():
        locked = Problem.objects.select_for_update().get(pk=problem.pk)
        if locked.state != Problem.State.RESOLVED:
            raise TransitionNotAllowed(
                f"The post-resolution review is done while {locked.number} is Resolved; it is "
                f"{locked.get_state_display()}."
            )
        current = set(locked.review_checks.values_list("item", flat=True))
        added = [item for item in items if item not in current]
        removed = [item for item in current if item not in items]
        ProblemReviewCheck.objects.bulk_create(
            ProblemReviewCheck(
                problem=locked, item=item, checked_by=actor, checked_at=timezone.now()
            )
            for item in added
        )
        locked.review_checks.filter(item__in=removed).delete()
        labels = dict(ProblemReviewCheck.Item.choices)
        for item in added:
            journal_entry_add(
                ticket=locked,
                kind=JournalEntry.Kind.SYSTEM,
                body=f"Review: ticked “{labels[item]}”.",
                author=actor,
            )
        for item in sorted(removed):
            journal_entry_add(
                ticket=locked,
                kind=JournalEntry.Kind.SYSTEM,
                body=f"Review: unticked “{labels[item]}”.",
                author=actor,
            )
    return [value for value in ProblemReviewCheck.Item.values if value in set(items)]
