"""Major incidents led by another central service provider (§5.24).

An industry-wide major incident is led by a central service provider's service-management
function (the DCC for the switching service, say), never by this desk. The desk records it —
who leads, their reference, the public title, the services affected, a manager here — links
its own incidents and cases to it, relays the lead provider's updates to the Major Incident
comms list and to the linked incidents' callers (through the desk's check, Appendix G), and
marks it resolved and closed when the lead provider says so. It never takes ownership: no
assignment on the linked incidents changes.
"""

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import ServiceDesk
from core.errors import TransitionNotAllowed, ValidationFailed
from incidents.models import Incident
from incidents.services import FINISHED_STATES, incident_caller_update_add
from tickets.registry import ticket_type_for_number
from tickets.selectors import visible_tickets

from .comms import comms_message_record
from .models import CommsMessage, LinkedTicket, MajorIncident, ServiceImpact, TimelineEntry
from .public import service_impacts_restore
from .records import major_incident_open, timeline_add
from .war_room import locked, require_manager, require_not_closed

RELAY_MAX = 4000


def lead_provider_suggestions() -> QuerySet:
    """The service-desk directory's desks (§18.4, Appendix H) as names to choose from; the
    form also takes free text, since only a central service provider can lead (§5.24)."""
    return ServiceDesk.objects.filter(active=True).order_by("name").values_list("name", flat=True)


def other_provider_major_incident_record(
    *,
    actor,
    lead_provider: str,
    title: str,
    public_title: str,
    manager,
    external_reference: str = "",
    services=(),
    service_status: str = ServiceImpact.Status.MAJOR_OUTAGE,
    public_summary: str = "",
) -> MajorIncident:
    """Record another provider's major incident (§5.24): the desk follows and relays it; its
    first notification falls due as for any major incident (§5.18)."""
    require_manager(actor, "record another provider's major incident")
    if manager is not None and not (
        manager.is_active
        and manager.is_staff
        and manager.has_perm("major_incidents.manage_majorincident")
    ):
        raise ValidationFailed(
            "Choose a Major Incident Manager.",
            field_errors={"manager": [f"{manager} cannot run major incidents."]},
        )
    if service_status not in ServiceImpact.Status.values:
        raise ValidationFailed(
            "Choose how the services are affected.",
            field_errors={"service_status": ["Choose a status."]},
        )
    return major_incident_open(
        actor=actor,
        title=title,
        public_title=public_title,
        manager=manager,
        services=services,
        service_status=service_status,
        public_summary=public_summary,
        led_by_other_provider=True,
        lead_provider=(lead_provider or "")[:150],
        external_reference=(external_reference or "")[:100],
    )


def _require_other_provider(row: MajorIncident, action: str) -> None:
    if not row.led_by_other_provider:
        raise TransitionNotAllowed(
            f"You can't {action}: {row.number} is led by this desk, not another provider."
        )


def _visible_ticket(actor, number: str):
    number = (number or "").strip().upper()
    ticket_type = ticket_type_for_number(number) if len(number) <= 20 else None
    ticket = None
    if ticket_type is not None:
        ticket = (
            visible_tickets(ticket_type.model.objects.filter(number=number), user=actor)
            .only("pk", "number", "state")
            .first()
        )
    if ticket is None:
        raise ValidationFailed(
            f"There is no ticket {number[:20] or 'with that number'}, or you may not see it.",
            field_errors={"number": ["Give the number of one of the desk's incidents or cases."]},
        )
    return ticket


def other_provider_ticket_link(*, major_incident: MajorIncident, actor, number: str):
    """Link one of the desk's incidents or cases to another provider's major incident (§5.24),
    by its number; an incident goes in `linked_incidents`, anything else a `LinkedTicket`."""
    require_manager(actor, "link tickets to a major incident")
    ticket = _visible_ticket(actor, number)
    with transaction.atomic():
        row = locked(major_incident)
        _require_other_provider(row, "link tickets to it")
        require_not_closed(row, "link tickets")
        if isinstance(ticket, Incident):
            if row.linked_incidents.filter(pk=ticket.pk).exists():
                return ticket
            row.linked_incidents.add(ticket)
        else:
            try:
                with transaction.atomic():
                    LinkedTicket.objects.create(
                        major_incident=row,
                        ticket_type=ContentType.objects.get_for_model(ticket),
                        ticket_id=ticket.pk,
                        number=ticket.number,
                        linked_by=actor,
                    )
            except IntegrityError:
                return ticket
        timeline_add(
            major_incident=row,
            kind=TimelineEntry.Kind.ACTION,
            body=f"{ticket.number} linked to this major incident.",
            author=actor,
        )
    return ticket


def linked_tickets_for(major_incident: MajorIncident) -> tuple[list, list]:
    """(linked incidents, other linked tickets), two queries."""
    incidents = list(
        major_incident.linked_incidents.only("pk", "number", "short_description", "state").order_by(
            "number"
        )
    )
    others = list(major_incident.linked_tickets.order_by("number"))
    return incidents, others


def other_provider_update_relay(*, major_incident: MajorIncident, actor, body: str) -> CommsMessage:
    """Relay an update from the lead provider (§5.24): to the Major Incident comms list with
    "Update from <provider>:" framing, on the timeline, and as a caller update on each linked
    open incident, which the desk checks before any caller sees it (Appendix G). Nothing about
    who works the incidents changes: the desk relays, it does not take ownership."""
    require_manager(actor, "relay updates")
    text = (body or "").strip()
    if not text or len(text) > RELAY_MAX:
        raise ValidationFailed(
            "The update was not relayed; check the highlighted fields.",
            field_errors={
                "body": [
                    "Write the lead provider's update."
                    if not text
                    else f"Keep it to {RELAY_MAX} characters or fewer."
                ]
            },
        )
    with transaction.atomic():
        row = locked(major_incident)
        _require_other_provider(row, "relay updates")
        require_not_closed(row, "relay updates")
        provider = row.lead_provider
        framed = f"Update from {provider}:\n\n{text}"
        open_incidents = list(
            row.linked_incidents.exclude(state__in=FINISHED_STATES).order_by("number")
        )
        numbers = ", ".join(incident.number for incident in open_incidents)
        timeline_body = f"Update from {provider} relayed to the Major Incident comms list" + (
            f" and to the callers of {numbers} (checked by the desk first)." if numbers else "."
        )
        sent = comms_message_record(
            row=row,
            actor=actor,
            kind=CommsMessage.Kind.RELAYED,
            subject=f"Update from {provider}: {row.public_title} ({row.number})",
            body=framed,
        )
        timeline_add(
            major_incident=row,
            kind=TimelineEntry.Kind.RELAYED,
            body=timeline_body,
            author=actor,
            at=sent.sent_at,
        )
        for incident in open_incidents:
            incident_caller_update_add(incident=incident, actor=actor, body=framed)
    return sent


def other_provider_major_incident_resolve(
    *, major_incident: MajorIncident, actor, note: str = ""
) -> MajorIncident:
    """The lead provider says it is resolved (§5.24): no more updates are due, and every
    affected service is back to operational on the status page."""
    require_manager(actor, "mark major incidents resolved")
    with transaction.atomic():
        row = locked(major_incident)
        _require_other_provider(row, "mark it resolved here")
        if row.state != MajorIncident.State.ACTIVE:
            raise TransitionNotAllowed(f"{row.number} is {row.get_state_display().lower()}.")
        now = timezone.now()
        row.state = MajorIncident.State.RESOLVED
        row.resolved_at = now
        row.next_comms_due_at = None
        row.save(update_fields=["state", "resolved_at", "next_comms_due_at"])
        service_impacts_restore(major_incident=row, actor=actor)
        timeline_add(
            major_incident=row,
            kind=TimelineEntry.Kind.STATE,
            body=f"Resolved, as {row.lead_provider} reports."
            + (f" {note.strip()}" if note else ""),
            author=actor,
            at=now,
        )
    return row


def other_provider_major_incident_close(
    *, major_incident: MajorIncident, actor, note: str = ""
) -> MajorIncident:
    """The lead provider closes it (§5.24): the record is finished."""
    require_manager(actor, "close major incidents")
    with transaction.atomic():
        row = locked(major_incident)
        _require_other_provider(row, "close it here")
        if row.state != MajorIncident.State.RESOLVED:
            raise TransitionNotAllowed(
                f"{row.number} is {row.get_state_display().lower()}; mark it resolved first."
            )
        now = timezone.now()
        row.state = MajorIncident.State.CLOSED
        row.closed_at = now
        row.save(update_fields=["state", "closed_at"])
        timeline_add(
            major_incident=row,
            kind=TimelineEntry.Kind.STATE,
            body=f"Closed, as {row.lead_provider} reports." + (f" {note.strip()}" if note else ""),
            author=actor,
            at=now,
        )
    return row
