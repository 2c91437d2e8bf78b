"""Major-incident communications (§5.17–5.19.1, Appendix G "Major Incident Comms"): the
composer's templates and sending to the Major Incident comms list.

The composer prefills each kind — initial notification, update, escalation, resolution,
recovery confirmation — from the major incident's public fields only (public title, services
and their status, impact summary, next update time), in business and impact language; it never
reads work notes or case descriptions. Sending goes through `comms.lists` (the list message is
the delivery record), records a `CommsMessage` and a timeline entry, and sets when the next
update falls due: `update_interval_minutes` after this one while the major incident is active
(§5.19.1), nothing after the resolution.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from comms.lists import MAJOR_INCIDENT_COMMS, distribution_list_message_send
from comms.models import DistributionList, DistributionListMessage
from core.dates import uk_datetime
from core.errors import TransitionNotAllowed, ValidationFailed
from incidents.models import Incident

from .models import CommsMessage, MajorIncident, TimelineEntry
from .public import _publish, service_impacts_restore
from .records import timeline_add, update_interval_bounds
from .war_room import locked, require_manager, require_not_closed, service_impacts_for

Kind = CommsMessage.Kind
ListKind = DistributionListMessage.Kind

# What each communication is on the list (§5.19.1's types); a recovery confirmation has no
# type of its own there, so it goes as an ad-hoc communication.
LIST_KINDS = {
    Kind.INITIAL: ListKind.INITIAL,
    Kind.UPDATE: ListKind.UPDATE,
    Kind.ESCALATION: ListKind.ESCALATION,
    Kind.RESOLUTION: ListKind.RESOLUTION,
    Kind.RECOVERY: ListKind.AD_HOC,
    Kind.RELAYED: ListKind.UPDATE,
}
# What the composer sends; relayed updates come from `other_providers`.
COMPOSER_KINDS = (Kind.INITIAL, Kind.UPDATE, Kind.ESCALATION, Kind.RESOLUTION, Kind.RECOVERY)
AFTER_RESOLUTION = (Kind.RESOLUTION, Kind.RECOVERY)
RESOLVED_INCIDENT_STATES = (Incident.State.RESOLVED, Incident.State.CLOSED)


# --- the composer ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CommsDraft:
    kind: str
    subject: str
    body: str


_OPENINGS = {
    Kind.INITIAL: "We are handling a major incident: {title}.",
    Kind.UPDATE: "An update on the major incident: {title}.",
    Kind.ESCALATION: "The major incident has been escalated: {title}. It now has the "
    "attention of senior management and additional technical teams.",
    Kind.RESOLUTION: "The major incident is resolved: {title}. A fix has been applied and "
    "service has been restored.",
    Kind.RECOVERY: "Recovery is complete after the major incident: {title}. All affected "
    "services are fully operational and data has been verified.",
}
_CLOSINGS = {
    Kind.RESOLUTION: "We will confirm full recovery once any restored data has been checked. "
    "A post-incident review follows.",
    Kind.RECOVERY: "No further action is needed from you. Thank you for your patience.",
}


def comms_draft(
    *, major_incident: MajorIncident, kind: str, now: datetime | None = None, impacts=None
) -> CommsDraft:
    """A prefilled message of `kind` for the manager to edit (§5.17, §5.18): public words
    only. `impacts`, the war room's already read services, saves a query."""
    if kind not in COMPOSER_KINDS:
        raise ValidationFailed(
            "Choose what kind of communication this is.",
            field_errors={"kind": ["Choose a kind of communication."]},
        )
    now = now or timezone.now()
    kind = Kind(kind)
    title = major_incident.public_title
    impacts = service_impacts_for(major_incident) if impacts is None else impacts
    restored = kind in AFTER_RESOLUTION
    lines = [f"{kind.label} — major incident {major_incident.number}", ""]
    lines.append(_OPENINGS[kind].format(title=title))
    lines.append("")
    summary = major_incident.public_summary.strip()
    if restored:
        lines.append(f"Impact: {summary}" if summary else "Impact: service was disrupted.")
    else:
        lines.append(
            f"Impact: {summary}"
            if summary
            else "Impact: we are assessing the impact on service users and will say more in "
            "the next update."
        )
    if impacts:
        lines += ["", "Services affected:"]
        for impact in impacts:
            status = "restored" if restored else impact.get_status_display()
            lines.append(f"- {impact.service}: {status}")
    lines += ["", f"Started: {uk_datetime(major_incident.started_at)} (UK time)."]
    if restored:
        lines.append(f"Resolved: {uk_datetime(major_incident.resolved_at or now)} (UK time).")
        lines += ["", _CLOSINGS[kind]]
    else:
        lines.append(f"Current status: {major_incident.get_public_status_display()}.")
        next_at = now + timedelta(minutes=major_incident.update_interval_minutes)
        lines += ["", f"Next update: by {uk_datetime(next_at)} (UK time)."]
    return CommsDraft(
        kind=kind.value,
        subject=f"{kind.label}: {title} ({major_incident.number})"[:150],
        body="\n".join(lines),
    )


# --- sending ---------------------------------------------------------------------------------


def _comms_list() -> DistributionList:
    found = DistributionList.objects.filter(name=MAJOR_INCIDENT_COMMS).first()
    if found is None:
        raise ValidationFailed(
            f"The “{MAJOR_INCIDENT_COMMS}” distribution list does not exist; a service "
            "manager creates it in the console."
        )
    return found


def is_resolved(major_incident: MajorIncident) -> bool:
    """Resolved: the major incident itself, or the desk's incident it wraps."""
    if major_incident.state != MajorIncident.State.ACTIVE:
        return True
    if major_incident.incident_id is None:
        return False
    return (
        Incident.objects.filter(pk=major_incident.incident_id)
        .values_list("state", flat=True)
        .first()
        in RESOLVED_INCIDENT_STATES
    )


def _reach(message: DistributionListMessage) -> str:
    return f"{message.emailed} emailed, {message.texted} texted, {message.notified} notified"


def composer_kinds_for(major_incident: MajorIncident) -> list:
    """The kinds the manager may send now, for the war room to offer (the service decides
    again when sending): the initial notification until it is out, then updates and
    escalations while active, and the resolution and recovery once resolved."""
    if major_incident.state == MajorIncident.State.CLOSED:
        return []
    if not major_incident.comms.filter(kind=Kind.INITIAL).exists():
        return [Kind.INITIAL]
    kinds = [Kind.UPDATE, Kind.ESCALATION] if major_incident.is_active else []
    if _resolved_without_query(major_incident):
        kinds += list(AFTER_RESOLUTION)
    return kinds


def _resolved_without_query(major_incident: MajorIncident) -> bool:
    """`is_resolved` from the incident already joined to the row (the war room's selector)."""
    if major_incident.state != MajorIncident.State.ACTIVE:
        return True
    incident = major_incident.incident if major_incident.incident_id else None
    return incident is not None and incident.state in RESOLVED_INCIDENT_STATES


def comms_message_record(
    *, row: MajorIncident, actor, kind: str, subject: str, body: str, timeline_body: str = ""
) -> CommsMessage:
    """Send to the Major Incident comms list and record it, in the caller's transaction on the
    locked row; moves the next due time (§5.19.1). Shared with relayed updates (§5.24)."""
    message = distribution_list_message_send(
        distribution_list=_comms_list(),
        actor=actor,
        kind=LIST_KINDS[kind],
        subject=subject,
        body=body,
    )
    sent = CommsMessage.objects.create(
        major_incident=row,
        kind=kind,
        subject=message.subject,
        body=message.body,
        list_message=message,
        sent_by=actor,
        sent_at=message.sent_at,
    )
    label = Kind(kind).label
    timeline_add(
        major_incident=row,
        kind=TimelineEntry.Kind.COMMS,
        body=timeline_body
        or f"{label} sent to the {MAJOR_INCIDENT_COMMS} list: “{message.subject}” "
        f"({_reach(message)}).",
        author=actor,
        at=message.sent_at,
    )
    if kind in AFTER_RESOLUTION or row.state != MajorIncident.State.ACTIVE:
        row.next_comms_due_at = None
    else:
        row.next_comms_due_at = message.sent_at + timedelta(minutes=row.update_interval_minutes)
    row.save(update_fields=["next_comms_due_at"])
    return sent


def comms_send(
    *,
    major_incident: MajorIncident,
    actor,
    kind: str,
    subject: str,
    body: str,
    publish_to_status_page: bool = False,
    public_status: str | None = None,
) -> CommsMessage:
    """Send one communication of §5.17–5.18 to the Major Incident comms list (§5.19).

    The initial notification goes first, once; the resolution notification and the recovery
    confirmation need the incident (or the major incident) resolved, and after them no update
    is due; the resolution puts every affected service back to operational on the status
    page. Optionally the same words go on the status page as a public update."""
    require_manager(actor, "send major-incident comms")
    errors: dict[str, list[str]] = {}
    if kind not in COMPOSER_KINDS:
        errors["kind"] = ["Choose initial, update, escalation, resolution or recovery."]
    if (
        publish_to_status_page
        and public_status is not None
        and public_status not in MajorIncident.PublicStatus.values
    ):
        errors["public_status"] = ["Choose investigating, identified, monitoring or resolved."]
    if errors:
        raise ValidationFailed(
            "The communication was not sent; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        row = locked(major_incident)
        require_not_closed(row, "send comms")
        sent_kinds = set(row.comms.values_list("kind", flat=True))
        if kind == Kind.INITIAL and Kind.INITIAL in sent_kinds:
            raise TransitionNotAllowed(
                f"The initial notification for {row.number} was sent already; send an update."
            )
        if kind != Kind.INITIAL and Kind.INITIAL not in sent_kinds:
            raise TransitionNotAllowed(
                f"Send the initial notification for {row.number} first (§5.18)."
            )
        if kind in AFTER_RESOLUTION and not is_resolved(row):
            raise TransitionNotAllowed(
                f"{Kind(kind).label} needs the incident resolved first; send an update instead."
            )
        sent = comms_message_record(row=row, actor=actor, kind=kind, subject=subject, body=body)
        if kind == Kind.RESOLUTION:
            service_impacts_restore(major_incident=row, actor=actor)
        if publish_to_status_page:
            status = public_status or (
                MajorIncident.PublicStatus.RESOLVED
                if kind in AFTER_RESOLUTION
                else row.public_status
            )
            _publish(row, actor=actor, status=status, text=sent.body)
    return sent


def major_incident_update_interval_set(
    *, major_incident: MajorIncident, actor, minutes
) -> MajorIncident:
    """How often this major incident's updates fall due (§5.19.1: every 30 minutes to an hour
    by default, `MAJOR_INCIDENT_UPDATE_MIN_MINUTES`–`…_MAX_MINUTES`). Once the initial
    notification is out, the next update is due that long after the last one sent."""
    require_manager(actor, "change how often updates are sent")
    low, high = update_interval_bounds()
    try:
        value = int(minutes)
    except (TypeError, ValueError):
        value = None
    if value is None or not low <= value <= high:
        raise ValidationFailed(
            f"Updates are due every {low} to {high} minutes.",
            field_errors={"update_interval_minutes": [f"Give a number from {low} to {high}."]},
        )
    with transaction.atomic():
        row = locked(major_incident)
        require_not_closed(row, "change the update interval")
        if row.update_interval_minutes == value:
            return row
        old = row.update_interval_minutes
        row.update_interval_minutes = value
        fields = ["update_interval_minutes"]
        last = (
            row.comms.order_by("-sent_at", "-id").values_list("sent_at", flat=True).first()
            if row.next_comms_due_at is not None and row.state == MajorIncident.State.ACTIVE
            else None
        )
        if last is not None:
            row.next_comms_due_at = last + timedelta(minutes=value)
            fields.append("next_comms_due_at")
        row.save(update_fields=fields)
        due = (
            f"; next update due {uk_datetime(row.next_comms_due_at)}"
            if row.next_comms_due_at
            else ""
        )
        timeline_add(
            major_incident=row,
            kind=TimelineEntry.Kind.NOTE,
            body=f"Updates now due every {value} minutes (was {old}){due}.",
            author=actor,
        )
    return row
