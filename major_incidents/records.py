"""The major incident record itself: opening one (from a promoted candidate, §5.11 step 7, or
for another provider's incident, §5.24), its war-room timeline, and keeping it in step with
its incident's lifecycle. Promotion, comms, circulars and reviews build on these."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import ValidationFailed
from incidents.models import Incident
from tickets.services import ticket_number_allocate

from .models import MajorIncident, ServiceImpact, TimelineEntry


def initial_comms_minutes() -> int:
    """§5.18: the initial stakeholder notification goes out within 15 minutes."""
    return int(getattr(settings, "MAJOR_INCIDENT_INITIAL_COMMS_MINUTES", 15))


def default_update_interval_minutes() -> int:
    """§5.19.1: regular updates every 30 minutes to 1 hour while it is open."""
    return int(getattr(settings, "MAJOR_INCIDENT_UPDATE_MINUTES", 60))


def update_interval_bounds() -> tuple[int, int]:
    """§5.19.1: "every 30 minutes to 1 hour during investigation" by default."""
    return (
        int(getattr(settings, "MAJOR_INCIDENT_UPDATE_MIN_MINUTES", 30)),
        int(getattr(settings, "MAJOR_INCIDENT_UPDATE_MAX_MINUTES", 60)),
    )


def timeline_add(
    *, major_incident: MajorIncident, kind: str, body: str, author=None, at=None
) -> TimelineEntry:
    """Record one war-room event (what the incident's journal does not already hold)."""
    return TimelineEntry.objects.create(
        major_incident=major_incident,
        kind=kind,
        body=body,
        author=author,
        created_at=at or timezone.now(),
    )


def major_incident_open(
    *,
    actor,
    title: str,
    public_title: str,
    manager,
    incident: Incident | None = None,
    candidate=None,
    triage_lead=None,
    started_at=None,
    services=(),
    service_status: str = ServiceImpact.Status.MAJOR_OUTAGE,
    public_summary: str = "",
    led_by_other_provider: bool = False,
    lead_provider: str = "",
    external_reference: str = "",
    update_interval_minutes: int | None = None,
) -> MajorIncident:
    """Open a major incident. The first notification to the comms list falls due
    `initial_comms_minutes()` after this instant (§5.18, §5.19.1)."""
    errors = {}
    if not (title or "").strip():
        errors["title"] = ["Give the major incident a title."]
    if not (public_title or "").strip():
        errors["public_title"] = ["Write a title for the public status page."]
    if led_by_other_provider and not (lead_provider or "").strip():
        errors["lead_provider"] = ["Name the central service provider leading it (§5.24)."]
    if not led_by_other_provider and incident is None:
        errors["incident"] = ["A major incident the desk leads wraps one of its incidents."]
    interval = update_interval_minutes or default_update_interval_minutes()
    low, high = update_interval_bounds()
    if not low <= interval <= high:
        errors["update_interval_minutes"] = [f"Updates are due every {low} to {high} minutes."]
    if errors:
        raise ValidationFailed(
            "The major incident could not be opened; check the highlighted fields.",
            field_errors=errors,
        )
    now = timezone.now()
    with transaction.atomic():
        major_incident = MajorIncident.objects.create(
            number=ticket_number_allocate(prefix=MajorIncident.NUMBER_PREFIX),
            incident=incident,
            candidate=candidate,
            title=title.strip(),
            public_title=public_title.strip(),
            public_summary=(public_summary or "").strip(),
            manager=manager,
            triage_lead=triage_lead,
            started_at=started_at or (incident.detected_at if incident else None) or now,
            promoted_at=now,
            led_by_other_provider=led_by_other_provider,
            lead_provider=(lead_provider or "").strip(),
            external_reference=(external_reference or "").strip(),
            update_interval_minutes=interval,
            next_comms_due_at=now + timedelta(minutes=initial_comms_minutes()),
        )
        ServiceImpact.objects.bulk_create(
            [
                ServiceImpact(major_incident=major_incident, service=service, status=service_status)
                for service in services
            ]
        )
        who = f"Major Incident Manager {manager}" if manager else "no manager yet"
        if led_by_other_provider:
            body = f"Recorded as a major incident led by {major_incident.lead_provider} (§5.24); {who}."
        else:
            body = f"{incident.number} promoted to major incident {major_incident.number}; {who}."
        timeline_add(
            major_incident=major_incident, kind=TimelineEntry.Kind.PROMOTED, body=body, author=actor
        )
    return major_incident
