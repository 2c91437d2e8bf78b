"""Writes on incidents: creation from triage, assignment, classification, work notes,
transitions and the case cascade."""

from django.db import transaction

from comms import notifications
from core.errors import (
    ActionNotPermitted,
    TicketNotFound,
    TransitionNotAllowed,
    ValidationFailed,
)
from tickets.models import JournalEntry, TicketLink
from tickets.priority import priority_for
from tickets.selectors import linked_tickets, visible_tickets
from tickets.services import (
    journal_entry_add,
    ticket_classify,
    ticket_comment_add,
    ticket_created_announce,
    ticket_number_allocate,
    ticket_transition,
)

from .models import Incident


def incident_create(
    *,
    actor,
    short_description: str,
    description: str,
    category=None,
    organisation=None,
    caller=None,
    assignment_group=None,
    impact: int,
    urgency: int,
) -> Incident:
    """Create an incident with the mandatory fields of §5.4 and its matrix priority (§3.8)."""
    if not (actor and actor.is_staff and actor.has_perm("incidents.add_incident")):
        raise ActionNotPermitted("Only the service desk can raise incidents.")
    errors = {}
    if category is None:
        errors["category"] = ["An incident needs a category."]
    if not (short_description or "").strip():
        errors["short_description"] = ["An incident needs a subject."]
    if not (description or "").strip():
        errors["description"] = ["An incident needs a description."]
    if assignment_group is None:
        errors["assignment_group"] = ["Choose the resolver group that will work it."]
    try:
        priority = priority_for(impact, urgency)
    except ValueError:
        errors["impact"] = ["Choose impact and urgency."]
    if errors:
        raise ValidationFailed(
            "The incident could not be raised; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        incident = Incident.objects.create(
            number=ticket_number_allocate(prefix=Incident.NUMBER_PREFIX),
            short_description=short_description.strip(),
            description=description.strip(),
            category=category,
            organisation=organisation,
            caller=caller,
            opened_by=actor,
            assignment_group=assignment_group,
            impact=impact,
            urgency=urgency,
            priority=priority,
        )
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Incident raised with priority {incident.get_priority_display()}, assigned to {assignment_group}.",
            author=actor,
        )
        ticket_created_announce(ticket=incident, actor=actor)
    return incident


def incident_assign(*, incident: Incident, actor, assignment_group, assigned_to=None) -> Incident:
    """Move an incident between resolver groups (Appendix G) or to a person in the group."""
    if not (actor and actor.is_staff and actor.has_perm("incidents.change_incident")):
        raise ActionNotPermitted("You are not allowed to reassign incidents.")
    if assigned_to is not None and not assignment_group.members.filter(pk=assigned_to.pk).exists():
        raise ValidationFailed(
            f"{assigned_to} is not a member of {assignment_group}.",
            field_errors={"assigned_to": ["Choose a member of the group."]},
        )
    if assignment_group is None:
        raise ValidationFailed(
            "Choose a resolver group.", field_errors={"assignment_group": ["Required."]}
        )
    with transaction.atomic():
        # Lock the row: two people reassigning at once are applied one after the other.
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        old_group = incident.assignment_group
        changed_group = incident.assignment_group_id != assignment_group.pk
        changed_person = assigned_to is not None and incident.assigned_to_id != assigned_to.pk
        if (
            not changed_group
            and not changed_person
            and incident.assigned_to_id == getattr(assigned_to, "pk", None)
        ):
            return incident
        incident.assignment_group = assignment_group
        incident.assigned_to = assigned_to
        incident.save(update_fields=["assignment_group", "assigned_to", "updated_at"])
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Assigned to {assignment_group}"
            + (f" / {assigned_to}" if assigned_to else "")
            + ".",
            author=actor,
        )
        if changed_group and old_group is not None:
            notifications.incident_reassigned(incident, old_group)
        elif changed_group:
            notifications.incident_assigned(incident)
        if changed_person:
            notifications.ticket_assigned_to_person(incident)
    return incident


# Closed and cancelled incidents are finished records: nothing is added to them (§5.12, §5.13).
FINISHED_STATES = (Incident.State.CLOSED, Incident.State.CANCELLED)


def _require_incident_worker(actor, incident: Incident, action: str) -> None:
    """Staff holding `incidents.change_incident` who may see the incident (§10.4): the desk,
    incident managers, and resolvers of the group it is assigned to."""
    if not (
        actor and actor.is_active and actor.is_staff and actor.has_perm("incidents.change_incident")
    ):
        raise ActionNotPermitted(f"You are not allowed to {action} incidents.")
    visible = visible_tickets(Incident.objects.filter(pk=incident.pk), user=actor)
    if not visible.exists():
        raise TicketNotFound(f"There is no incident {incident.number}, or you may not see it.")


def _lock_open_incident(incident: Incident, action: str) -> Incident:
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.state in FINISHED_STATES:
        raise TransitionNotAllowed(
            f"You can't {action} {locked.number}: it is {locked.get_state_display()}."
        )
    return locked


def incident_classify(*, incident: Incident, actor, impact: int, urgency: int) -> Incident:
    """Re-prioritise an incident from impact and urgency by the §3.8 matrix.

    The kernel's `ticket_classify` journals the change and syncs the SLA clocks, so a new
    priority cancels the old resolution clock and starts its replacement (§3.8, §3.10).
    """
    _require_incident_worker(actor, incident, "re-prioritise")
    with transaction.atomic():
        locked = _lock_open_incident(incident, "re-prioritise")
        return ticket_classify(ticket=locked, impact=impact, urgency=urgency, actor=actor)


def incident_work_note_add(*, incident: Incident, actor, body: str) -> JournalEntry:
    """A resolver's technical note on the incident (Appendix G).

    Work notes never leave the desk: no notification and no email are queued for them.
    """
    _require_incident_worker(actor, incident, "add work notes to")
    if not (body or "").strip():
        raise ValidationFailed(
            "Write the work note before adding it.",
            field_errors={"body": ["This field is required."]},
        )
    with transaction.atomic():
        locked = _lock_open_incident(incident, "add a work note to")
        return journal_entry_add(
            ticket=locked, kind=JournalEntry.Kind.WORK_NOTE, body=body, author=actor
        )


def incident_caller_update_add(*, incident: Incident, actor, body: str) -> JournalEntry:
    """An update the resolvers write for the callers of the linked cases (Appendix G).

    It never reaches a caller directly: recorded on the incident as a customer-visible
    comment, it becomes a proposed update on each open linked case (the cases' comment link
    rule), which the desk checks, edits and sends.
    """
    _require_incident_worker(actor, incident, "write caller updates on")
    if not (body or "").strip():
        raise ValidationFailed(
            "Write the update before adding it.",
            field_errors={"body": ["This field is required."]},
        )
    with transaction.atomic():
        locked = _lock_open_incident(incident, "add a caller update to")
        return ticket_comment_add(ticket=locked, actor=actor, body=body)


def linked_cases(incident: Incident) -> list:
    """The cases raised this incident at triage (§4.1 step 4), oldest first."""
    return linked_tickets(incident, kind=TicketLink.Kind.CASE_INCIDENT, ticket_is="to")


def incident_transition(
    *,
    incident: Incident,
    actor,
    name: str,
    expected_state: str | None = None,
    note: str = "",
    **arguments,
) -> Incident:
    """Run a lifecycle transition on an incident.

    What it does to linked cases (resolving it proposes its resolution to each open case for
    the desk to check and send, §5.5 steps 14–15, Appendix G) is the cases' link rule, run by
    the kernel after the transition.
    """
    with transaction.atomic():
        result = ticket_transition(
            ticket=incident,
            name=name,
            actor=actor,
            expected_state=expected_state,
            note=note,
            **arguments,
        )
    return result.ticket
