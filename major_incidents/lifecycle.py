"""A major incident follows the lifecycle of the incident it wraps (§5.11 steps 17–23).

The kernel announces every transition (`tickets.signals.ticket_transitioned`, inside the
transition's transaction); `MajorIncidentsConfig.ready` connects `on_ticket_transitioned`, so
the major incident changes in the same transaction as its incident:

- incident Resolved → major incident Resolved at the incident's resolution instant, public
  status "resolved", its services back to operational, no further comms due, and the
  post-incident review opened (or, after a rejected resolution, moved to the new instant);
- resolution rejected (Resolved → In Progress) → Active again, updates due again, the review
  kept and marked reopened;
- incident Closed → major incident Closed.

A major incident led by another provider (§5.24) wraps no incident and is not touched here.
"""

from datetime import timedelta

from django.utils import timezone

from incidents.models import Incident

from .models import MajorIncident, ServiceImpact, TimelineEntry
from .records import timeline_add
from .reviews import review_mark_reopened, review_open

# The incident states that move a major incident; any other transition costs no query.
_FOLLOWED = (Incident.State.RESOLVED, Incident.State.CLOSED, Incident.State.IN_PROGRESS)


def on_ticket_transitioned(sender, ticket, actor=None, old_state=None, **kwargs) -> None:
    if not isinstance(ticket, Incident) or ticket.state not in _FOLLOWED:
        return
    if ticket.state == Incident.State.IN_PROGRESS and old_state != Incident.State.RESOLVED:
        return
    major_incident = (
        MajorIncident.objects.select_for_update()
        .filter(incident_id=ticket.pk, led_by_other_provider=False)
        .first()
    )
    if major_incident is None:
        return
    major_incident.incident = ticket
    if ticket.state == Incident.State.RESOLVED:
        major_incident_resolve(major_incident=major_incident, actor=actor)
    elif ticket.state == Incident.State.CLOSED:
        major_incident_close(major_incident=major_incident, actor=actor)
    else:
        major_incident_reactivate(major_incident=major_incident, actor=actor)


def major_incident_resolve(*, major_incident: MajorIncident, actor=None) -> MajorIncident:
    """§5.11 steps 17 and 22: the incident is resolved, so the major incident is, at the same
    instant; services are back to operational and the review opens (§5.23)."""
    incident = major_incident.incident
    now = timezone.now()
    major_incident.state = MajorIncident.State.RESOLVED
    major_incident.resolved_at = incident.resolved_at or now
    major_incident.public_status = MajorIncident.PublicStatus.RESOLVED
    major_incident.next_comms_due_at = None
    major_incident.save(
        update_fields=["state", "resolved_at", "public_status", "next_comms_due_at"]
    )
    major_incident.service_impacts.exclude(status=ServiceImpact.Status.OPERATIONAL).update(
        status=ServiceImpact.Status.OPERATIONAL, updated_at=now
    )
    timeline_add(
        major_incident=major_incident,
        kind=TimelineEntry.Kind.STATE,
        body=f"{incident.number} resolved: major incident {major_incident.number} resolved; "
        "affected services set to operational.",
        author=actor,
    )
    review_open(major_incident=major_incident, actor=actor)
    return major_incident


def major_incident_reactivate(*, major_incident: MajorIncident, actor=None) -> MajorIncident:
    """The resolution was rejected (§10.3): the major incident is active again and regular
    updates fall due again (§5.19.1); the review stays and is marked reopened."""
    now = timezone.now()
    major_incident.state = MajorIncident.State.ACTIVE
    major_incident.resolved_at = None
    major_incident.public_status = MajorIncident.PublicStatus.INVESTIGATING
    major_incident.next_comms_due_at = now + timedelta(
        minutes=major_incident.update_interval_minutes
    )
    major_incident.save(
        update_fields=["state", "resolved_at", "public_status", "next_comms_due_at"]
    )
    timeline_add(
        major_incident=major_incident,
        kind=TimelineEntry.Kind.STATE,
        body=f"Resolution of {major_incident.incident.number} rejected: major incident "
        f"{major_incident.number} is active again. Set the affected services' status again.",
        author=actor,
    )
    review_mark_reopened(major_incident=major_incident, actor=actor)
    return major_incident


def major_incident_close(*, major_incident: MajorIncident, actor=None) -> MajorIncident:
    """The incident is closed, so the major incident is."""
    if major_incident.state == MajorIncident.State.CLOSED:
        return major_incident
    incident = major_incident.incident
    major_incident.state = MajorIncident.State.CLOSED
    major_incident.closed_at = incident.closed_at or timezone.now()
    major_incident.next_comms_due_at = None
    major_incident.save(update_fields=["state", "closed_at", "next_comms_due_at"])
    timeline_add(
        major_incident=major_incident,
        kind=TimelineEntry.Kind.STATE,
        body=f"{incident.number} closed: major incident {major_incident.number} closed.",
        author=actor,
    )
    return major_incident
