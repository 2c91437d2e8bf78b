"""Writes on incidents: raising one (from triage or directly), updating its §5.4/§5.7 fields,
assignment with its history, classification and the §5.17 priority notification, engaging
people, work notes and caller updates, transitions and the incident report (§5.5)."""

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from comms import notifications
from core.dates import uk_datetime
from core.errors import (
    ActionNotPermitted,
    TicketNotFound,
    TransitionNotAllowed,
    ValidationFailed,
)
from tickets.limits import DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import JournalEntry, Service, TicketLink
from tickets.priority import Priority, priority_for
from tickets.selectors import linked_tickets, visible_tickets
from tickets.services import (
    journal_entry_add,
    ticket_changes_recorded,
    ticket_classify,
    ticket_comment_add,
    ticket_created_announce,
    ticket_number_allocate,
    ticket_transition,
)

from .models import Incident, IncidentAssignment, IncidentEngagement, IncidentReport
from .selectors import incident_managers, incident_product_owners_for

# The short texts of the assignment history and of engagements: their columns' lengths.
REASON_MAX_CHARS = IncidentAssignment._meta.get_field("reason").max_length


# The fields `incident_update` may change (§5.4, §5.7); assignment, priority and state have
# their own services.
UPDATABLE_FIELDS = (
    "short_description",
    "description",
    "category",
    "subcategory",
    "services",
    "symptoms",
    "detected_at",
    "detection_method",
    "initial_severity",
)

# A clock a few minutes fast (another desk's system, a monitoring tool) must not make "detected
# now" a refusal.
DETECTION_CLOCK_SKEW = timedelta(minutes=5)

_LABELS = {
    "short_description": "subject",
    "description": "description",
    "category": "category",
    "subcategory": "subcategory",
    "services": "systems affected",
    "symptoms": "observed symptoms",
    "detected_at": "detected at",
    "detection_method": "how detected",
    "initial_severity": "initial severity",
}


def incident_may_raise(actor) -> bool:
    """Desk staff holding `incidents.add_incident`, or an integration account holding it (a
    monitoring tool or another desk raising over the API, §13); never a participant."""
    return bool(
        actor
        and actor.is_authenticated
        and actor.is_active
        and (actor.is_staff or actor.is_integration)
        and actor.has_perm("incidents.add_incident")
    )


def _check_text(errors, name: str, value, *, max_length: int, required: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        errors[name] = [required]
    elif len(value) > max_length:
        errors[name] = [f"Keep it to {max_length:,} characters."]
    return value


def _check_classification(errors, *, category, subcategory, check_active: bool = True) -> None:
    """§5.4, §5.16: a category from the list, and a subcategory only under it."""
    if category is None:
        errors["category"] = ["An incident needs a category."]
        return
    if subcategory is None:
        return
    if subcategory.category_id != category.pk:
        errors["subcategory"] = [
            f"“{subcategory.name}” is not a subcategory of {category.name}: choose one listed "
            f"under {category.name}, or none."
        ]
    elif check_active and not subcategory.active:
        errors["subcategory"] = [f"“{subcategory.name}” is no longer offered; choose another."]


def _check_logging(
    errors, *, detected_at, detection_method, initial_severity, services, kept_services=()
) -> None:
    """The §5.7 logging fields: when and how it was detected, the systems affected and the
    initial severity."""
    if detected_at is not None:
        if timezone.is_naive(detected_at):
            raise ValueError("detected_at must be an aware datetime")
        if detected_at > timezone.now() + DETECTION_CLOCK_SKEW:
            errors["detected_at"] = ["The detection time cannot be in the future."]
    if detection_method and detection_method not in Incident.DetectionMethod.values:
        errors["detection_method"] = ["Choose how it was detected from the list."]
    if initial_severity is not None and initial_severity not in Incident.Severity.values:
        errors["initial_severity"] = ["Choose an initial severity from the list."]
    kept = {service.pk for service in kept_services}
    retired = [s.name for s in services if not s.active and s.pk not in kept]
    if retired:
        errors["services"] = [f"No longer in service: {', '.join(retired)}."]


def _check_assignee(errors, *, assignment_group, assigned_to) -> None:
    if assignment_group is None:
        errors["assignment_group"] = ["Choose the resolver group that will work it."]
    elif not assignment_group.active:
        errors["assignment_group"] = [f"{assignment_group} is no longer active; choose another."]
    elif (
        assigned_to is not None
        and not assignment_group.members.filter(pk=assigned_to.pk, is_active=True).exists()
    ):
        errors["assigned_to"] = ["Choose a member of the group."]


def incident_create(
    *,
    actor,
    short_description: str,
    description: str,
    category=None,
    subcategory=None,
    organisation=None,
    caller=None,
    assignment_group=None,
    assigned_to=None,
    impact: int,
    urgency: int,
    detected_at: datetime | None = None,
    detection_method: str = "",
    services: Iterable[Service] = (),
    symptoms: str = "",
    initial_severity: int | None = None,
) -> Incident:
    """Raise an incident: from a case at triage (§4.1 step 4) or by staff directly, in the
    console or over the API. The §5.4 mandatory fields (category, subject, description), the
    §5.7 logging fields, the resolver group that works it and its matrix priority (§3.8).

    The group is told (§5.17 resolver assignment notification) and the first row of the
    assignment history is written.
    """
    if not incident_may_raise(actor):
        raise ActionNotPermitted("Only the service desk can raise incidents.")
    errors: dict[str, list[str]] = {}
    services = list(services or ())
    short_description = _check_text(
        errors,
        "short_description",
        short_description,
        max_length=SUBJECT_MAX_CHARS,
        required="An incident needs a subject.",
    )
    description = _check_text(
        errors,
        "description",
        description,
        max_length=DESCRIPTION_MAX_CHARS,
        required="An incident needs a description.",
    )
    symptoms = _check_text(errors, "symptoms", symptoms, max_length=DESCRIPTION_MAX_CHARS)
    _check_classification(errors, category=category, subcategory=subcategory)
    _check_logging(
        errors,
        detected_at=detected_at,
        detection_method=detection_method,
        initial_severity=initial_severity,
        services=services,
    )
    _check_assignee(errors, assignment_group=assignment_group, assigned_to=assigned_to)
    try:
        priority = priority_for(impact, urgency)
    except ValueError:
        errors["impact"] = ["Choose impact and urgency."]
    if errors:
        raise ValidationFailed(
            "The incident could not be raised; check the highlighted fields.", field_errors=errors
        )
    if organisation is None and caller is not None:
        organisation = caller.organisation
    with transaction.atomic():
        incident = Incident.objects.create(
            number=ticket_number_allocate(prefix=Incident.NUMBER_PREFIX),
            short_description=short_description,
            description=description,
            category=category,
            subcategory=subcategory,
            organisation=organisation,
            caller=caller,
            opened_by=actor,
            assignment_group=assignment_group,
            assigned_to=assigned_to,
            impact=impact,
            urgency=urgency,
            priority=priority,
            detected_at=detected_at,
            detection_method=detection_method or "",
            symptoms=symptoms,
            initial_severity=initial_severity,
        )
        if services:
            incident.services.set(services)
        IncidentAssignment.objects.create(
            incident=incident,
            to_group=assignment_group,
            to_person=assigned_to,
            assigned_by=actor,
            assigned_at=incident.opened_at,
        )
        who = f"{assignment_group} / {assigned_to}" if assigned_to else f"{assignment_group}"
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Incident raised with priority {incident.get_priority_display()}, "
            f"assigned to {who}.",
            author=actor,
        )
        ticket_created_announce(ticket=incident, actor=actor)
        if assigned_to is not None and assigned_to.pk != actor.pk:
            notifications.ticket_assigned_to_person(incident)
    return incident


def incident_assign(
    *, incident: Incident, actor, assignment_group, assigned_to=None, reason: str = ""
) -> Incident:
    """Move an incident between resolver groups (§5.15, Appendix G) or to a person in the
    group, recording the move in its assignment history with the reason given.

    The new group is told (§5.17 resolver assignment notification), and so is the person it
    is given to; assigning it where it already is changes nothing.
    """
    if not (
        actor and actor.is_active and actor.is_staff and actor.has_perm("incidents.change_incident")
    ):
        raise ActionNotPermitted("You are not allowed to reassign incidents.")
    errors: dict[str, list[str]] = {}
    reason = _check_text(errors, "reason", reason, max_length=REASON_MAX_CHARS)
    _check_assignee(errors, assignment_group=assignment_group, assigned_to=assigned_to)
    if errors:
        message = (
            f"{assigned_to} is not a member of {assignment_group}."
            if list(errors) == ["assigned_to"]
            else "The incident could not be reassigned; check the highlighted fields."
        )
        raise ValidationFailed(message, field_errors=errors)
    with transaction.atomic():
        # Lock the row: two people reassigning at once are applied one after the other.
        incident = _lock_open_incident(incident, "reassign")
        old_group, old_person = incident.assignment_group, incident.assigned_to
        changed_group = incident.assignment_group_id != assignment_group.pk
        new_person_id = getattr(assigned_to, "pk", None)
        if not changed_group and incident.assigned_to_id == new_person_id:
            return incident
        changed_person = assigned_to is not None and incident.assigned_to_id != assigned_to.pk
        incident.assignment_group = assignment_group
        incident.assigned_to = assigned_to
        incident.save(update_fields=["assignment_group", "assigned_to", "updated_at"])
        IncidentAssignment.objects.create(
            incident=incident,
            from_group=old_group,
            from_person=old_person,
            to_group=assignment_group,
            to_person=assigned_to,
            reason=reason,
            assigned_by=actor,
        )
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Assigned to {assignment_group}"
            + (f" / {assigned_to}" if assigned_to else "")
            + "."
            + (f" Reason: {reason}" if reason else ""),
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
    priority cancels the old resolution clock and starts its replacement (§3.8, §3.10). A
    priority set or changed sends the §5.17 "Priority Notification" to the resolver group,
    the product owners engaged and the incident managers.
    """
    _require_incident_worker(actor, incident, "re-prioritise")
    with transaction.atomic():
        locked = _lock_open_incident(incident, "re-prioritise")
        old_priority = locked.priority
        classified = ticket_classify(ticket=locked, impact=impact, urgency=urgency, actor=actor)
        if classified.priority != old_priority:
            notifications.incident_priority_set(
                classified,
                old_priority=Priority(old_priority).label if old_priority else "",
                product_owners=incident_product_owners_for(classified),
                incident_managers=incident_managers(),
            )
        return classified


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


# --- updating what the incident records ---------------------------------------------------


def _shown(name: str, value) -> str:
    """A changed value as the journal names it."""
    if value is None or value == "" or value == []:
        return "none"
    if name == "services":
        return ", ".join(service.abbreviation or service.name for service in value)
    if name == "detected_at":
        return uk_datetime(value)
    if name == "detection_method":
        return Incident.DetectionMethod(value).label
    if name == "initial_severity":
        return Incident.Severity(value).label
    if name == "subcategory":
        return value.name
    return str(value)


# Free text is named in the journal, not copied into it.
_FREE_TEXT = ("short_description", "description", "symptoms")


def incident_update(*, incident: Incident, actor, changes: Mapping[str, object]) -> Incident:
    """Correct what the incident records: its §5.4 fields (subject, description, category and
    subcategory) and its §5.7 logging fields (systems affected, symptoms, when and how it was
    detected, initial severity). Only the fields in `changes` are touched.

    Staff who may work the incident; not once it is Closed or Cancelled. The subcategory must
    belong to the category, as when it was raised. One system journal entry names every field
    that changed (with old and new values, except free text); nothing changed, nothing written.
    """
    unknown = set(changes) - set(UPDATABLE_FIELDS)
    if unknown:
        raise ValueError(f"incident_update cannot change {sorted(unknown)}")
    _require_incident_worker(actor, incident, "update")
    with transaction.atomic():
        locked = _lock_open_incident(incident, "update")
        current_services = list(locked.services.all())
        old = {name: getattr(locked, name) for name in UPDATABLE_FIELDS if name != "services"}
        old["services"] = current_services
        new = dict(old)
        errors: dict[str, list[str]] = {}
        for name, required in (
            ("short_description", "An incident needs a subject."),
            ("description", "An incident needs a description."),
            ("symptoms", ""),
        ):
            if name in changes:
                limit = SUBJECT_MAX_CHARS if name == "short_description" else DESCRIPTION_MAX_CHARS
                new[name] = _check_text(
                    errors, name, changes[name], max_length=limit, required=required
                )
        for name in ("category", "subcategory", "detected_at", "initial_severity"):
            if name in changes:
                new[name] = changes[name]
        if "detection_method" in changes:
            new["detection_method"] = changes["detection_method"] or ""
        if "services" in changes:
            new["services"] = list(changes["services"] or ())
        _check_classification(
            errors,
            category=new["category"],
            subcategory=new["subcategory"],
            check_active=new["subcategory"] != old["subcategory"],
        )
        _check_logging(
            errors,
            detected_at=new["detected_at"] if new["detected_at"] != old["detected_at"] else None,
            detection_method=new["detection_method"],
            initial_severity=new["initial_severity"],
            services=new["services"],
            kept_services=current_services,
        )
        if errors:
            raise ValidationFailed(
                f"{locked.number} could not be updated; check the highlighted fields.",
                field_errors=errors,
            )
        changed = [
            name
            for name in UPDATABLE_FIELDS
            if (
                {s.pk for s in new[name]} != {s.pk for s in old[name]}
                if name == "services"
                else new[name] != old[name]
            )
        ]
        if not changed:
            return locked
        fields = [name for name in changed if name != "services"]
        for name in fields:
            setattr(locked, name, new[name])
        # Saved even when only the systems affected changed: it is a change to the incident.
        locked.save(update_fields=[*fields, "updated_at"])
        if "services" in changed:
            locked.services.set(new["services"])
        parts = [
            f"{_LABELS[name]} changed"
            if name in _FREE_TEXT
            else f"{_LABELS[name]}: {_shown(name, old[name])} → {_shown(name, new[name])}"
            for name in changed
        ]
        journal_entry_add(
            ticket=locked,
            kind=JournalEntry.Kind.SYSTEM,
            body="Incident updated: " + "; ".join(parts) + ".",
            author=actor,
        )
        ticket_changes_recorded(ticket=locked)
    return locked


# --- people engaged (§5.5 step 7, §5.17) --------------------------------------------------

ENGAGEMENT_TEXT_LIMITS = {
    name: IncidentEngagement._meta.get_field(name).max_length
    for name in ("contact_name", "contact_details", "note")
}


def incident_engage(
    *,
    incident: Incident,
    actor,
    role: str,
    person=None,
    contact_name: str = "",
    contact_details: str = "",
    note: str = "",
) -> IncidentEngagement:
    """Engage someone on the incident (§5.5 step 7 "Engage Technical Resolver & Product
    Owners"; §5.17 "Resolver Assignment Notification" and "Engagement Notice"): a technical
    resolver, the product owner, a service user's support team…

    A person is desk staff who may see the incident, and is told (in the portal and by
    email); anyone else — a service user's support team, another provider — is named as a
    contact with their details, and the desk reaches them directly. Participants never see
    incidents (Appendix G), so they are engaged as contacts.
    """
    _require_incident_worker(actor, incident, "engage people on")
    errors: dict[str, list[str]] = {}
    if role not in IncidentEngagement.Role.values:
        errors["role"] = ["Choose the role they are engaged in."]
    texts = {
        name: _check_text(errors, name, value, max_length=ENGAGEMENT_TEXT_LIMITS[name])
        for name, value in (
            ("contact_name", contact_name),
            ("contact_details", contact_details),
            ("note", note),
        )
    }
    if person is None and not texts["contact_name"] and "contact_name" not in errors:
        errors["person"] = ["Choose a person, or name a contact outside the portal."]
    elif person is not None:
        if not (person.is_active and person.is_staff):
            errors["person"] = [
                "Only desk staff are engaged by account; name anyone else as a contact, with "
                "their details."
            ]
        elif not visible_tickets(Incident.objects.filter(pk=incident.pk), user=person).exists():
            errors["person"] = [
                f"{person} cannot see {incident.number}: add them to its resolver group, or "
                "name them as a contact."
            ]
    if errors:
        raise ValidationFailed(
            "Nobody was engaged; check the highlighted fields.", field_errors=errors
        )
    label = IncidentEngagement.Role(role).label
    with transaction.atomic():
        locked = _lock_open_incident(incident, "engage people on")
        if (
            person is not None
            and IncidentEngagement.objects.filter(
                incident=locked, person=person, role=role, released_at__isnull=True
            ).exists()
        ):
            message = f"{person} is already engaged as {label.lower()}."
            raise ValidationFailed(message, field_errors={"person": [message]})
        engagement = IncidentEngagement.objects.create(
            incident=locked, role=role, person=person, engaged_by=actor, **texts
        )
        who = person or texts["contact_name"]
        journal_entry_add(
            ticket=locked,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Engaged as {label.lower()}: {who}.",
            author=actor,
        )
        if person is not None and person.pk != actor.pk:
            notifications.incident_engaged(locked, person=person, role=label)
    return engagement


def incident_engagement_release(*, engagement: IncidentEngagement, actor) -> IncidentEngagement:
    """Someone engaged is no longer needed on the incident; the record stays, released."""
    incident = engagement.incident
    _require_incident_worker(actor, incident, "release people from")
    with transaction.atomic():
        locked = IncidentEngagement.objects.select_for_update().get(pk=engagement.pk)
        if locked.released_at is not None:
            raise TransitionNotAllowed(
                f"{locked.person or locked.contact_name} was already released on "
                f"{uk_datetime(locked.released_at)}."
            )
        locked.released_at = timezone.now()
        locked.save(update_fields=["released_at"])
        journal_entry_add(
            ticket=incident,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Released ({locked.get_role_display().lower()}): "
            f"{locked.person or locked.contact_name}.",
            author=actor,
        )
    return locked


# --- the incident report (§5.5 step 16) ------------------------------------------------------

# Written once the fix is in: "Post Incident and after the resolution" (§5.5 step 16).
REPORT_STATES = (Incident.State.RESOLVED, Incident.State.CLOSED)


def incident_report_write(
    *,
    incident: Incident,
    actor,
    fix_summary: str,
    problem_needed: bool | None,
    problem_reason: str,
    cause: str = "",
) -> IncidentReport:
    """Write or update the incident report (§5.5 step 16): a summary of the fix, the cause as
    far as known, and whether a problem record is needed and why (step 17).

    Only once the incident is Resolved or Closed; staff who may work it. The journal says
    when it was written and updated; the report keeps every version.
    """
    _require_incident_worker(actor, incident, "write incident reports on")
    errors: dict[str, list[str]] = {}
    values = {
        "fix_summary": _check_text(
            errors,
            "fix_summary",
            fix_summary,
            max_length=DESCRIPTION_MAX_CHARS,
            required="Summarise the fix.",
        ),
        "cause": _check_text(errors, "cause", cause, max_length=DESCRIPTION_MAX_CHARS),
        "problem_reason": _check_text(
            errors,
            "problem_reason",
            problem_reason,
            max_length=DESCRIPTION_MAX_CHARS,
            required="Say why a problem record is, or is not, needed.",
        ),
        "problem_needed": problem_needed,
    }
    if problem_needed not in (True, False):
        errors["problem_needed"] = ["Say whether a problem record is needed."]
    if errors:
        raise ValidationFailed(
            "The incident report was not saved; check the highlighted fields.",
            field_errors=errors,
        )
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.state not in REPORT_STATES:
            raise TransitionNotAllowed(
                f"The incident report is written once {locked.number} is resolved; it is "
                f"{locked.get_state_display()}."
            )
        now = timezone.now()
        report = IncidentReport.objects.select_for_update().filter(incident=locked).first()
        if report is None:
            report = IncidentReport.objects.create(
                incident=locked,
                written_by=actor,
                written_at=now,
                updated_by=actor,
                updated_at=now,
                **values,
            )
            verb = "written"
        else:
            if all(getattr(report, name) == value for name, value in values.items()):
                return report
            for name, value in values.items():
                setattr(report, name, value)
            report.updated_by, report.updated_at = actor, now
            report.save()
            verb = "updated"
        needed = "a problem record is needed" if problem_needed else "no problem record needed"
        journal_entry_add(
            ticket=locked,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Incident report {verb}: {needed}.",
            author=actor,
        )
    return report
