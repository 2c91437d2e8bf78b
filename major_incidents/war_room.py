"""The war room (§5.11 steps 8–22, §5.17): who may run and read it, the major incidents a
person may see, the "next communication due" badge, and the timeline — the major incident's
own events, its incident's journal and the comms sent, merged in time order.

Also the war room's one write of its own: the bridge details (§5.11 step 9), each change on
the timeline. Comms are `major_incidents.comms`, the status page `major_incidents.public`.
"""

import heapq
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from incidents.models import IncidentEngagement
from tickets.models import JournalEntry
from tickets.selectors import journal_rows_for

from .models import CommsMessage, MajorIncident, TimelineEntry
from .records import timeline_add

# The timeline shows the newest entries of each source up to this many; "show all" lifts it.
TIMELINE_LIMIT = 200
BRIDGE_MAX = 2000

# --- who may do what -------------------------------------------------------------------------


def may_view(user) -> bool:
    """Staff with the view permission read war rooms (every agent follows them, §5.11)."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("major_incidents.view_majorincident")
    )


def may_manage(user) -> bool:
    """The Major Incident Manager's work (and the desk lead's): bridge, services, comms,
    public updates, relays (§5.11, §5.17–5.19)."""
    return may_view(user) and user.has_perm("major_incidents.manage_majorincident")


def require_manager(actor, action: str) -> None:
    if not may_manage(actor):
        raise ActionNotPermitted(f"Only a Major Incident Manager can {action}.")


def require_not_closed(major_incident: MajorIncident, action: str) -> None:
    if major_incident.state == MajorIncident.State.CLOSED:
        raise TransitionNotAllowed(f"You can't {action}: {major_incident.number} is closed.")


def locked(major_incident: MajorIncident) -> MajorIncident:
    """The row locked for the rest of the transaction: two people acting at once are applied
    one after the other."""
    return MajorIncident.objects.select_for_update().get(pk=major_incident.pk)


# --- selectors -------------------------------------------------------------------------------

MAJOR_INCIDENT_RELATED = ("manager", "triage_lead", "incident")


def major_incident_list_for(user) -> QuerySet:
    """The major incidents `user` may read, newest promotion first (`mi_promoted`)."""
    if not may_view(user):
        return MajorIncident.objects.none()
    return MajorIncident.objects.select_related(*MAJOR_INCIDENT_RELATED).order_by(
        "-promoted_at", "-id"
    )


def major_incident_get_for(user, number: str) -> MajorIncident:
    """One major incident by number; 404 alike whether missing or not for this user."""
    number = (number or "").strip().upper()
    found = (
        major_incident_list_for(user).filter(number=number).first() if len(number) <= 20 else None
    )
    if found is None:
        raise TicketNotFound(f"There is no major incident {number[:20]}, or you may not see it.")
    return found


def service_impacts_for(major_incident: MajorIncident) -> list:
    """The affected services with their status, in the status page's order: one query."""
    return list(major_incident.service_impacts.select_related("service"))


def engagements_for(major_incident: MajorIncident) -> list:
    """People engaged on the incident (§5.11 step 9, §5.17): one query; none for a major
    incident led by another provider (it has no incident of its own)."""
    if major_incident.incident_id is None:
        return []
    return list(
        IncidentEngagement.objects.filter(incident_id=major_incident.incident_id)
        .select_related("person")
        .order_by("engaged_at", "id")
    )


@dataclass(frozen=True)
class CommsDue:
    """The "next communication due" badge (§5.19.1)."""

    due_at: datetime | None
    minutes: int  # until due (>= 0) or late by (> 0 when `late`)
    late: bool

    @property
    def text(self) -> str:
        if self.due_at is None:
            return "No update due"
        if self.late:
            return f"LATE by {_minutes(self.minutes)}"
        if self.minutes == 0:
            return "Due now"
        return f"due in {_minutes(self.minutes)}"

    @property
    def css(self) -> str:
        if self.due_at is None:
            return "war-room-due-none"
        return "war-room-due-late" if self.late else "war-room-due-soon"


def _minutes(count: int) -> str:
    if count >= 120:
        hours, minutes = divmod(count, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{count} min"


def comms_due(major_incident: MajorIncident, *, now: datetime | None = None) -> CommsDue:
    """How long until the next communication is due, or how late it is; nothing is due once
    the major incident is resolved (§5.19.1)."""
    due = major_incident.next_comms_due_at
    if due is None or major_incident.state != MajorIncident.State.ACTIVE:
        return CommsDue(due_at=None, minutes=0, late=False)
    now = now or timezone.now()
    seconds = (due - now).total_seconds()
    if seconds < 0:
        return CommsDue(due_at=due, minutes=max(1, int(-seconds // 60)), late=True)
    return CommsDue(due_at=due, minutes=int(-(-seconds // 60)), late=False)


@dataclass(frozen=True)
class TimelineItem:
    """One line of the war-room timeline, whatever its source."""

    at: datetime
    source: str  # "event" (TimelineEntry), "journal", "comms"
    kind: str  # a css-safe key: the entry's kind
    label: str
    body: str
    author: str
    internal: bool  # a work note: stays with the desk (Appendix G)
    subject: str = ""
    order: int = 0


@dataclass(frozen=True)
class Timeline:
    items: list[TimelineItem]
    truncated: bool
    limit: int | None


# Comms appear once, as the message sent (subject and words), not also as their event row.
_EVENT_KINDS_SHOWN_ELSEWHERE = (TimelineEntry.Kind.COMMS,)
_JOURNAL_LABELS = {
    JournalEntry.Kind.WORK_NOTE: "Work note (internal)",
    JournalEntry.Kind.COMMENT: "Customer-visible comment",
    JournalEntry.Kind.SYSTEM: "Incident",
}


def _person(name: str | None, email: str | None) -> str:
    return name or email or "System"


def timeline_for(major_incident: MajorIncident, *, limit: int | None = TIMELINE_LIMIT) -> Timeline:
    """The merged timeline, newest first: three queries whatever its length (events, the
    incident's journal, comms), each reading plain rows, newest `limit` of each source."""
    kinds = dict(TimelineEntry.Kind.choices)
    events = (
        TimelineEntry.objects.filter(major_incident=major_incident)
        .exclude(kind__in=_EVENT_KINDS_SHOWN_ELSEWHERE)
        .order_by("-created_at", "-id")
        .values("id", "kind", "body", "created_at", "author__full_name", "author__email")
    )
    comms = (
        CommsMessage.objects.filter(major_incident=major_incident)
        .order_by("-sent_at", "-id")
        .values("id", "kind", "subject", "body", "sent_at", "sent_by__full_name", "sent_by__email")
    )
    journal = []
    if major_incident.incident_id is not None:
        journal = journal_rows_for(major_incident.incident, include_work_notes=True).order_by(
            "-created_at", "-pk"
        )
    if limit is not None:
        # One more than shown tells whether anything was left out.
        events, comms = events[: limit + 1], comms[: limit + 1]
        if major_incident.incident_id is not None:
            journal = journal[: limit + 1]
    comms_kinds = dict(CommsMessage.Kind.choices)
    sources = [
        [
            TimelineItem(
                at=row["created_at"],
                source="event",
                kind=row["kind"],
                label=kinds.get(row["kind"], row["kind"]),
                body=row["body"],
                author=_person(row["author__full_name"], row["author__email"]),
                internal=False,
                order=row["id"],
            )
            for row in events
        ],
        [
            TimelineItem(
                at=row["created_at"],
                source="journal",
                kind=row["kind"],
                label=_JOURNAL_LABELS.get(row["kind"], row["kind"]),
                body=row["body"],
                author=_person(row["author__full_name"], row["author__email"]),
                internal=row["kind"] == JournalEntry.Kind.WORK_NOTE,
                order=row["pk"],
            )
            for row in journal
        ],
        [
            TimelineItem(
                at=row["sent_at"],
                source="comms",
                kind=f"comms-{row['kind']}",
                label=f"Comms sent: {comms_kinds.get(row['kind'], row['kind'])}",
                body=row["body"],
                subject=row["subject"],
                author=_person(row["sent_by__full_name"], row["sent_by__email"]),
                internal=False,
                order=row["id"],
            )
            for row in comms
        ],
    ]
    truncated = limit is not None and any(len(rows) > limit for rows in sources)
    merged = heapq.merge(*sources, key=lambda item: (item.at, item.order), reverse=True)
    items = list(merged)
    if limit is not None:
        items = items[:limit]
    return Timeline(items=items, truncated=truncated, limit=limit)


# --- the bridge ------------------------------------------------------------------------------


def major_incident_bridge_set(
    *, major_incident: MajorIncident, actor, bridge_details: str
) -> MajorIncident:
    """Record the conference bridge (link, dial-in, PIN) the resolvers join (§5.11 step 9);
    each change is on the timeline."""
    require_manager(actor, "change the bridge details")
    text = (bridge_details or "").strip()
    if len(text) > BRIDGE_MAX:
        raise ValidationFailed(
            "The bridge details are too long.",
            field_errors={"bridge_details": [f"Keep them to {BRIDGE_MAX} characters or fewer."]},
        )
    with transaction.atomic():
        row = locked(major_incident)
        require_not_closed(row, "change the bridge")
        if row.bridge_details == text:
            return row
        row.bridge_details = text
        row.save(update_fields=["bridge_details"])
        body = f"Bridge details set: {text}" if text else "Bridge details removed."
        timeline_add(major_incident=row, kind=TimelineEntry.Kind.BRIDGE, body=body, author=actor)
    return row
