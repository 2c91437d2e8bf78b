"""Writes on the change record (§8.2, §8.3, §9.2): raising a change (directly, from a case's
triage, an incident or a problem, or from the standard-change catalogue), editing it before
authorisation, and linking it to incidents and problems."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from incidents.models import Incident
from problems.models import Problem
from tickets.limits import DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import JournalEntry, Ticket, TicketLink
from tickets.priority import priority_for
from tickets.selectors import visible_tickets
from tickets.services import (
    journal_entry_add,
    ticket_changes_recorded,
    ticket_created_announce,
    ticket_link,
    ticket_number_allocate,
)

from ..models import Change, StandardChangeTemplate
from ..risk import ChangeType, Rating

# Fields a change's owner may edit before it is authorised (§8.3), with their labels.
EDITABLE_FIELDS = (
    "short_description",
    "description",
    "category",
    "reason",
    "probability",
    "impact",
    "urgency",
    "requested_by",
    "planned_start",
    "planned_end",
    "window_start",
    "window_end",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "assignment_group",
    "assigned_to",
)
# A Standard change follows its template's set process (§8.1.2): only its timing, owner and
# who asked for it are its own.
STANDARD_EDITABLE_FIELDS = (
    "planned_start",
    "planned_end",
    "window_start",
    "window_end",
    "requested_by",
    "assignment_group",
    "assigned_to",
)
EDITABLE_STATES = (Change.State.NEW, Change.State.ASSESS)


def require_raiser(actor) -> None:
    """§8.2: changes are raised by Elexon staff (service owners, project managers, service
    providers): staff holding `changes.add_change`."""
    if not (actor and actor.is_active and actor.is_staff and actor.has_perm("changes.add_change")):
        raise ActionNotPermitted(
            "Only Elexon service owners, project managers and service providers can raise changes."
        )


def require_visible(actor, change: Change) -> None:
    if not visible_tickets(Change.objects.filter(pk=change.pk), user=actor).exists():
        raise TicketNotFound(f"There is no change {change.number}, or you may not see it.")


def _visible(actor, model: type[Ticket], tickets: Iterable[Ticket], noun: str) -> list[Ticket]:
    tickets = list(tickets)
    if not tickets:
        return []
    seen = set(
        visible_tickets(
            model.objects.filter(pk__in=[t.pk for t in tickets]), user=actor
        ).values_list("pk", flat=True)
    )
    for ticket in tickets:
        if ticket.pk not in seen:
            raise TicketNotFound(f"There is no {noun} {ticket.number}, or you may not see it.")
    return tickets


def _check_times(errors: dict, fields: dict) -> None:
    for start_name, end_name, what in (
        ("planned_start", "planned_end", "planned end"),
        ("window_start", "window_end", "change window's end"),
    ):
        start, end = fields.get(start_name), fields.get(end_name)
        for name, value in ((start_name, start), (end_name, end)):
            if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
                errors[name] = ["Give a date and time."]
        if (
            start_name not in errors
            and end_name not in errors
            and start is not None
            and end is not None
            and end <= start
        ):
            errors[end_name] = [f"The {what} must be after its start."]


def _check_fields(fields: dict, *, creating: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if creating or "short_description" in fields:
        short = (fields.get("short_description") or "").strip()
        if not short:
            errors["short_description"] = ["A change needs a short description."]
        elif len(short) > SUBJECT_MAX_CHARS:
            errors["short_description"] = [f"Keep it to {SUBJECT_MAX_CHARS} characters."]
        fields["short_description"] = short
    if creating or "description" in fields:
        description = (fields.get("description") or "").strip()
        if not description:
            errors["description"] = ["Describe the change, its purpose and expected outcome."]
        elif len(description) > DESCRIPTION_MAX_CHARS:
            errors["description"] = [f"Keep it to {DESCRIPTION_MAX_CHARS:,} characters."]
        fields["description"] = description
    for name in ("probability", "impact", "urgency"):
        value = fields.get(name)
        if value is not None and value not in Rating.values:
            errors[name] = ["Choose 1 (High), 2 (Medium) or 3 (Low)."]
    for name in ("reason", "implementation_plan", "test_plan", "backout_plan"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
            if len(fields[name]) > DESCRIPTION_MAX_CHARS:
                errors[name] = [f"Keep it to {DESCRIPTION_MAX_CHARS:,} characters."]
    _check_times(errors, fields)
    group, person = fields.get("assignment_group"), fields.get("assigned_to")
    if group is not None and person is not None and not group.members.filter(pk=person.pk).exists():
        errors["assigned_to"] = [f"{person} is not a member of {group}."]
    return errors


def _priority_set(change: Change) -> None:
    """Priority from the change's impact and urgency by the §3.8 matrix (§8.3 Priority)."""
    if change.impact is not None and change.urgency is not None:
        change.priority = priority_for(change.impact, change.urgency)
    else:
        change.priority = None


def _link_sources(*, change: Change, incidents, problems, actor, source_label: str) -> None:
    where = f" from {source_label}" if source_label else ""
    for incident in incidents:
        ticket_link(from_ticket=incident, to_ticket=change, kind=TicketLink.Kind.INCIDENT_CHANGE)
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Change {change.number} raised{where} and linked to this incident.",
            author=actor,
        )
    for problem in problems:
        ticket_link(from_ticket=problem, to_ticket=change, kind=TicketLink.Kind.PROBLEM_CHANGE)
        journal_entry_add(
            ticket=problem,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Change {change.number} raised{where} and linked to this problem.",
            author=actor,
        )


def change_create(
    *,
    actor,
    change_type: str,
    short_description: str,
    description: str,
    category=None,
    reason: str = "",
    probability: int | None = None,
    impact: int | None = None,
    urgency: int | None = None,
    requested_by=None,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    services: Iterable = (),
    implementation_plan: str = "",
    test_plan: str = "",
    backout_plan: str = "",
    assignment_group=None,
    assigned_to=None,
    incidents: Iterable[Incident] = (),
    problems: Iterable[Problem] = (),
    source_label: str = "",
) -> Change:
    """Raise a Normal or Emergency change (§8.2, §8.3, §9.2) in New, as a draft: the §8.3
    mandatory fields are required on submission (`change_submit`), not now. Standard changes
    come from the catalogue (`standard_change_from_template`).

    `incidents` and `problems` it fixes are linked (§5.5 steps 11–13, §6.4); `source_label`
    names where it was raised from ("triage of CS0000012") in the journals. Requested By
    defaults to the person raising it (§8.3).
    """
    require_raiser(actor)
    if change_type == ChangeType.STANDARD:
        raise ValidationFailed(
            "Standard changes are raised from the catalogue of pre-approved changes.",
            field_errors={"change_type": ["Choose a template from the standard change catalogue."]},
        )
    if change_type not in ChangeType.values:
        raise ValidationFailed(
            "Choose the type of change: Normal or Emergency.",
            field_errors={"change_type": ["Choose Normal or Emergency."]},
        )
    incidents = _visible(actor, Incident, incidents, "incident")
    problems = _visible(actor, Problem, problems, "problem")
    fields = {
        "short_description": short_description,
        "description": description,
        "category": category,
        "reason": reason,
        "probability": probability,
        "impact": impact,
        "urgency": urgency,
        "requested_by": requested_by or actor,
        "planned_start": planned_start,
        "planned_end": planned_end,
        "window_start": window_start,
        "window_end": window_end,
        "implementation_plan": implementation_plan,
        "test_plan": test_plan,
        "backout_plan": backout_plan,
        "assignment_group": assignment_group,
        "assigned_to": assigned_to,
    }
    errors = _check_fields(fields, creating=True)
    if errors:
        raise ValidationFailed(
            "The change could not be raised; check the highlighted fields.", field_errors=errors
        )
    services = list(services)
    with transaction.atomic():
        change = Change(
            number=ticket_number_allocate(prefix=Change.NUMBER_PREFIX),
            change_type=change_type,
            opened_by=actor,
            **fields,
        )
        change.rating_refresh()
        _priority_set(change)
        change.save()
        change.services.set(services)
        body = f"{change.get_change_type_display()} change raised."
        if source_label:
            body += f" Raised from {source_label}."
        linked = [t.number for t in (*incidents, *problems)]
        if linked:
            body += f" Linked: {', '.join(linked)}."
        journal_entry_add(ticket=change, kind=JournalEntry.Kind.SYSTEM, body=body, author=actor)
        _link_sources(
            change=change,
            incidents=incidents,
            problems=problems,
            actor=actor,
            source_label=source_label,
        )
        ticket_created_announce(ticket=change, actor=actor)
    return change


def _require_editor(actor, change: Change) -> None:
    """The person who raised or requested it, its assignee, or the Change Manager."""
    if not (
        actor and actor.is_active and actor.is_staff and actor.has_perm("changes.change_change")
    ):
        raise ActionNotPermitted(f"You are not allowed to edit {change.number}.")
    require_visible(actor, change)
    if actor.is_superuser or actor.has_perm("changes.manage_change"):
        return
    if actor.pk not in (change.opened_by_id, change.requested_by_id, change.assigned_to_id):
        raise ActionNotPermitted(
            f"Only whoever raised or requested {change.number}, its assignee or the Change "
            "Manager can edit it."
        )


def change_update(*, change: Change, actor, services: Iterable | None = None, **fields) -> Change:
    """Edit a change before it goes for authorisation (New or Assess, §8.3). Ratings give the
    risk (§8.4), CAB need (§8.9.2) and priority again; a Standard change keeps its template's
    plans (§8.1.2)."""
    _require_editor(actor, change)
    allowed = STANDARD_EDITABLE_FIELDS if change.is_standard else EDITABLE_FIELDS
    unknown = sorted(set(fields) - set(allowed))
    if unknown or (services is not None and change.is_standard):
        names = ", ".join(unknown or ["services"])
        raise ValidationFailed(
            f"These fields cannot be changed on {change.number}: {names}.",
            field_errors={name: ["This field cannot be changed here."] for name in unknown},
        )
    with transaction.atomic():
        locked = Change.objects.select_for_update().get(pk=change.pk)
        if locked.state not in EDITABLE_STATES:
            raise TransitionNotAllowed(
                f"{locked.number} is {locked.get_state_display()}; it can only be edited while "
                "New or in Assess."
            )
        merged = {name: getattr(locked, name) for name in allowed} | fields
        errors = _check_fields(merged, creating=False)
        errors = {name: messages for name, messages in errors.items() if name in fields}
        if errors:
            raise ValidationFailed(
                f"{locked.number} was not changed; check the highlighted fields.",
                field_errors=errors,
            )
        changed = [name for name in fields if getattr(locked, name) != merged[name]]
        for name in changed:
            setattr(locked, name, merged[name])
        locked.rating_refresh()
        _priority_set(locked)
        locked.save()
        if services is not None:
            services = list(services)
            before = set(locked.services.values_list("pk", flat=True))
            if before != {service.pk for service in services}:
                locked.services.set(services)
                changed.append("services")
        if changed:
            labels = ", ".join(str(Change._meta.get_field(name).verbose_name) for name in changed)
            journal_entry_add(
                ticket=locked,
                kind=JournalEntry.Kind.SYSTEM,
                body=f"Updated: {labels}.",
                author=actor,
            )
        ticket_changes_recorded(ticket=locked)
    return locked


def _link_journalled(*, change: Change, other, model, label: str, kind, actor) -> TicketLink:
    """Link another ticket to the change, journalled on both (only by an editor of the change
    who may see the other ticket)."""
    _require_editor(actor, change)
    _visible(actor, model, [other], label)
    with transaction.atomic():
        link = ticket_link(from_ticket=other, to_ticket=change, kind=kind)
        for ticket, linked in ((change, other), (other, change)):
            journal_entry_add(
                ticket=ticket,
                kind=JournalEntry.Kind.SYSTEM,
                body=f"Linked to {linked.number}.",
                author=actor,
            )
    return link


def change_link_incident(*, change: Change, incident: Incident, actor) -> TicketLink:
    """Link an incident the change fixes (§5.5 steps 11–13), journalled on both."""
    return _link_journalled(
        change=change,
        other=incident,
        model=Incident,
        label="incident",
        kind=TicketLink.Kind.INCIDENT_CHANGE,
        actor=actor,
    )


def change_link_problem(*, change: Change, problem: Problem, actor) -> TicketLink:
    """Link a problem whose permanent fix the change is (§6.4), journalled on both."""
    return _link_journalled(
        change=change,
        other=problem,
        model=Problem,
        label="problem",
        kind=TicketLink.Kind.PROBLEM_CHANGE,
        actor=actor,
    )


def standard_change_from_template(
    *,
    template: StandardChangeTemplate,
    actor,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    requested_by=None,
    assignment_group=None,
    assigned_to=None,
    urgency: int = Rating.LOW,
) -> Change:
    """Raise a Standard change from an accepted catalogue template (§8.1.2): its description,
    category, services, ratings and plans are the template's, fixed."""
    require_raiser(actor)
    if template.state != StandardChangeTemplate.State.ACCEPTED:
        raise ValidationFailed(
            f"“{template.name}” is {template.get_state_display().lower()}, not an accepted "
            "standard change; raise a Normal change or propose the template at CAB.",
            field_errors={"template": ["Choose an accepted standard change."]},
        )
    fields = {
        "planned_start": planned_start,
        "planned_end": planned_end,
        "window_start": window_start,
        "window_end": window_end,
        "urgency": urgency,
        "assignment_group": assignment_group,
        "assigned_to": assigned_to,
    }
    errors = _check_fields(fields, creating=False)
    if errors:
        raise ValidationFailed(
            "The standard change could not be raised; check the highlighted fields.",
            field_errors=errors,
        )
    with transaction.atomic():
        change = Change(
            number=ticket_number_allocate(prefix=Change.NUMBER_PREFIX),
            change_type=ChangeType.STANDARD,
            template=template,
            short_description=template.short_description,
            description=template.description,
            category_id=template.category_id,
            reason=template.reason,
            probability=template.probability,
            impact=template.impact,
            implementation_plan=template.implementation_plan,
            test_plan=template.test_plan,
            backout_plan=template.backout_plan,
            requested_by=requested_by or actor,
            opened_by=actor,
            **fields,
        )
        change.rating_refresh()
        _priority_set(change)
        change.save()
        change.services.set(template.services.all())
        journal_entry_add(
            ticket=change,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Standard change raised from the catalogue: {template.name}.",
            author=actor,
        )
        ticket_created_announce(ticket=change, actor=actor)
    return change
