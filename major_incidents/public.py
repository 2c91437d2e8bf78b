"""What the public status page says about a major incident (§5.11 steps 13 and 20, §5.22,
Appendix G "BSC Website Update"): public updates and each affected service's status.

The status page (another app) reads the `ServiceImpact` rows of ACTIVE major incidents and
the `PublicUpdate` rows; this module only writes them. Everything here is public text a
manager wrote for the public: nothing is copied from work notes or case descriptions.
"""

from django.db import transaction
from django.utils import timezone

from comms.mpan import contains_mpan
from core.errors import TransitionNotAllowed, ValidationFailed
from tickets.models import Service

from .models import MajorIncident, PublicUpdate, ServiceImpact, TimelineEntry
from .records import timeline_add
from .war_room import locked, require_manager, require_not_closed

PUBLIC_BODY_MAX = 5000


def _public_text_errors(field: str, text: str) -> dict[str, list[str]]:
    if not text:
        return {field: ["Write the update for the status page."]}
    if len(text) > PUBLIC_BODY_MAX:
        return {field: [f"Keep it to {PUBLIC_BODY_MAX} characters or fewer."]}
    if contains_mpan(text):
        return {field: ["Remove the MPAN: the status page is public."]}
    return {}


def public_update_publish(
    *, major_incident: MajorIncident, actor, status: str, body: str
) -> PublicUpdate:
    """Publish an update on the status page and its feed (§5.11 steps 13 and 20): the
    progress (investigating, identified, monitoring, resolved) and words for the public. The
    major incident's public status follows; the update is on the timeline."""
    require_manager(actor, "publish status page updates")
    text = (body or "").strip()
    errors = _public_text_errors("body", text)
    if status not in MajorIncident.PublicStatus.values:
        errors["status"] = ["Choose investigating, identified, monitoring or resolved."]
    if errors:
        raise ValidationFailed(
            "The update was not published; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        row = locked(major_incident)
        return _publish(row, actor=actor, status=status, text=text)


def _publish(row: MajorIncident, *, actor, status: str, text: str) -> PublicUpdate:
    """In the caller's transaction, on the locked row (comms_send publishes with its message)."""
    require_not_closed(row, "publish a status page update")
    now = timezone.now()
    update = PublicUpdate.objects.create(
        major_incident=row, status=status, body=text, published_by=actor, published_at=now
    )
    if row.public_status != status:
        row.public_status = status
        row.save(update_fields=["public_status"])
    label = MajorIncident.PublicStatus(status).label
    timeline_add(
        major_incident=row,
        kind=TimelineEntry.Kind.PUBLIC_UPDATE,
        body=f"Status page updated ({label}): {text}",
        author=actor,
        at=now,
    )
    return update


def service_impact_set(
    *, major_incident: MajorIncident, actor, service: Service, status: str
) -> ServiceImpact:
    """Say how the major incident affects one service on the status page (operational,
    degraded, partial or major outage); a service not yet listed is added. Each change is on
    the timeline."""
    require_manager(actor, "change a service's status")
    if status not in ServiceImpact.Status.values:
        raise ValidationFailed(
            "Choose the service's status.",
            field_errors={"status": ["Choose operational, degraded, partial or major outage."]},
        )
    if service is None or not service.active:
        raise ValidationFailed(
            "Choose a service in use.", field_errors={"service": ["Choose a service."]}
        )
    with transaction.atomic():
        row = locked(major_incident)
        if row.state != MajorIncident.State.ACTIVE:
            raise TransitionNotAllowed(
                f"{row.number} is {row.get_state_display().lower()}: its services are back to "
                "operational on the status page."
            )
        now = timezone.now()
        impact = ServiceImpact.objects.filter(major_incident=row, service=service).first()
        new_label = ServiceImpact.Status(status).label
        if impact is None:
            impact = ServiceImpact.objects.create(
                major_incident=row, service=service, status=status, updated_at=now
            )
            body = f"{service}: added as affected, {new_label}."
        elif impact.status == status:
            return impact
        else:
            old_label = impact.get_status_display()
            impact.status, impact.updated_at = status, now
            impact.save(update_fields=["status", "updated_at"])
            body = f"{service}: {old_label} → {new_label}."
        timeline_add(
            major_incident=row,
            kind=TimelineEntry.Kind.SERVICE_STATUS,
            body=body,
            author=actor,
            at=now,
        )
    return impact


def service_impacts_restore(*, major_incident: MajorIncident, actor) -> int:
    """Every affected service back to operational (the major incident is resolved, §5.11
    step 20), in the caller's transaction; returns how many changed, noted on the timeline."""
    now = timezone.now()
    impacts = list(
        major_incident.service_impacts.exclude(status=ServiceImpact.Status.OPERATIONAL)
        .select_related("service")
        .order_by("service__sort_order", "service__name")
    )
    if not impacts:
        return 0
    ServiceImpact.objects.filter(pk__in=[impact.pk for impact in impacts]).update(
        status=ServiceImpact.Status.OPERATIONAL, updated_at=now
    )
    names = ", ".join(str(impact.service) for impact in impacts)
    timeline_add(
        major_incident=major_incident,
        kind=TimelineEntry.Kind.SERVICE_STATUS,
        body=f"Back to operational on the status page: {names}.",
        author=actor,
        at=now,
    )
    return len(impacts)
