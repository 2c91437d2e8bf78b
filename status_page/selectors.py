"""What the public status page reads (§5.22, Appendix G "BSC Website Update").

Only public text ever leaves here: a major incident's `public_title`, `public_summary` and
`public_status`, its public updates, published circulars, and the services' names and
descriptions. Internal titles, incidents, journals and cases are never read, so no page, feed
or JSON built on these functions can show them. Every function costs a fixed number of
queries whatever the number of services, incidents, updates or days.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from core.dates import UK_TIME
from major_incidents.models import IndustryCircular, MajorIncident, PublicUpdate, ServiceImpact
from tickets.models import Service

HISTORY_DAYS = 90
RECENT_CIRCULARS = 5
FEED_ITEMS = 50

Status = ServiceImpact.Status
SEVERITY = {str(k): v for k, v in ServiceImpact.SEVERITY.items()}
STATUS_LABELS = dict(Status.choices)
PUBLIC_STATUS_LABELS = dict(MajorIncident.PublicStatus.choices)
# The fields of a major incident the public may read; nothing else is loaded.
PUBLIC_INCIDENT_FIELDS = (
    "id",
    "number",
    "public_title",
    "public_summary",
    "public_status",
    "state",
    "started_at",
    "resolved_at",
    "closed_at",
)


def worst(statuses) -> str:
    """The worst of some impact statuses; operational when there are none (§5.22)."""
    return max(statuses, key=lambda s: SEVERITY[s], default=str(Status.OPERATIONAL))


@dataclass
class PublicUpdateRow:
    pk: int
    status: str
    status_label: str
    body: str
    published_at: datetime


@dataclass
class ImpactRow:
    service_id: int
    service_name: str
    status: str
    status_label: str


@dataclass
class IncidentRow:
    pk: int
    number: str
    public_title: str
    public_summary: str
    public_status: str
    public_status_label: str
    is_active: bool
    started_at: datetime
    ended_at: datetime | None
    impacts: list[ImpactRow] = field(default_factory=list)
    updates: list[PublicUpdateRow] = field(default_factory=list)


@dataclass
class DayCell:
    day: date
    status: str
    status_label: str


@dataclass
class ServiceRow:
    pk: int
    code: str
    name: str
    description: str
    status: str
    status_label: str
    days: list[DayCell]

    @property
    def disrupted_days(self) -> list[DayCell]:
        return [cell for cell in self.days if cell.status != Status.OPERATIONAL]


@dataclass
class CircularRow:
    number: str
    title: str
    published_at: datetime


@dataclass
class StatusBoard:
    services: list[ServiceRow]
    active: list[IncidentRow]
    past: list[IncidentRow]
    circulars: list[CircularRow]
    first_day: date
    last_day: date

    @property
    def overall(self) -> str:
        return worst(row.status for row in self.services)

    @property
    def overall_label(self) -> str:
        return STATUS_LABELS[self.overall]


def uk_day(moment: datetime) -> date:
    return timezone.localtime(moment, UK_TIME).date()


def incident_end(incident) -> datetime | None:
    """When a major incident stopped affecting its services: resolved (or, failing that,
    closed); None while active."""
    if incident.state == MajorIncident.State.ACTIVE:
        return None
    return incident.resolved_at or incident.closed_at


def status_services():
    """The services listed on the status page, in their order (one query)."""
    return Service.objects.filter(on_status_page=True, active=True).order_by("sort_order", "name")


def _incident_row(incident) -> IncidentRow:
    return IncidentRow(
        pk=incident.pk,
        number=incident.number,
        public_title=incident.public_title,
        public_summary=incident.public_summary,
        public_status=incident.public_status,
        public_status_label=PUBLIC_STATUS_LABELS.get(incident.public_status, ""),
        is_active=incident.state == MajorIncident.State.ACTIVE,
        started_at=incident.started_at,
        ended_at=incident_end(incident),
    )


def _update_row(update) -> PublicUpdateRow:
    return PublicUpdateRow(
        pk=update.pk,
        status=update.status,
        status_label=PUBLIC_STATUS_LABELS.get(update.status, ""),
        body=update.body,
        published_at=update.published_at,
    )


def history_cells(*, impacts, first_day: date, last_day: date) -> dict[int, dict[date, str]]:
    """Per service id, per UK day from `first_day` to `last_day`, the worst impact status of
    the major incidents affecting it at any moment of that day. `impacts` are
    (service_id, status, started_at, ended_at or None for still active)."""
    cells: dict[int, dict[date, str]] = {}
    for service_id, status, started_at, ended_at in impacts:
        if SEVERITY.get(status, 0) == 0:
            continue
        start = max(uk_day(started_at), first_day)
        end = min(uk_day(ended_at) if ended_at else last_day, last_day)
        days = cells.setdefault(service_id, {})
        day = start
        while day <= end:
            if SEVERITY[status] > SEVERITY[days.get(day, Status.OPERATIONAL)]:
                days[day] = status
            day += timedelta(days=1)
    return cells


def status_board(*, now: datetime | None = None) -> StatusBoard:
    """Everything /status/ and its JSON show, in five queries: services, the major incidents
    of the last 90 days, their service impacts, the active ones' public updates, and the
    latest published circulars."""
    now = now or timezone.now()
    last_day = uk_day(now)
    first_day = last_day - timedelta(days=HISTORY_DAYS - 1)
    window_start = datetime.combine(first_day, datetime.min.time(), tzinfo=UK_TIME)

    services = list(status_services().only("id", "code", "name", "description"))
    incidents = list(
        MajorIncident.objects.filter(
            Q(state=MajorIncident.State.ACTIVE)
            | Q(resolved_at__gte=window_start)
            | Q(resolved_at__isnull=True, closed_at__gte=window_start)
        )
        .only(*PUBLIC_INCIDENT_FIELDS)
        .order_by("-started_at", "-id")
    )
    rows = {incident.pk: _incident_row(incident) for incident in incidents}
    impacts = (
        ServiceImpact.objects.filter(major_incident__in=[i.pk for i in incidents] or [0])
        .select_related("service")
        .only("major_incident_id", "status", "service__id", "service__name")
        .order_by("service__sort_order", "service__name")
    )
    spans = []
    current: dict[int, list[str]] = {}
    for impact in impacts:
        row = rows[impact.major_incident_id]
        row.impacts.append(
            ImpactRow(
                service_id=impact.service.pk,
                service_name=impact.service.name,
                status=impact.status,
                status_label=STATUS_LABELS.get(impact.status, impact.status),
            )
        )
        spans.append((impact.service.pk, impact.status, row.started_at, row.ended_at))
        if row.is_active:
            current.setdefault(impact.service.pk, []).append(impact.status)
    active_ids = [pk for pk, row in rows.items() if row.is_active]
    for update in (
        PublicUpdate.objects.filter(major_incident__in=active_ids or [0])
        .only("id", "major_incident_id", "status", "body", "published_at")
        .order_by("-published_at", "-id")
    ):
        rows[update.major_incident_id].updates.append(_update_row(update))

    cells = history_cells(impacts=spans, first_day=first_day, last_day=last_day)
    days = [first_day + timedelta(days=n) for n in range(HISTORY_DAYS)]
    service_rows = []
    for service in services:
        status = worst(current.get(service.pk, []))
        per_day = cells.get(service.pk, {})
        service_rows.append(
            ServiceRow(
                pk=service.pk,
                code=service.code,
                name=service.name,
                description=service.description,
                status=status,
                status_label=STATUS_LABELS[status],
                days=[
                    DayCell(
                        day=day,
                        status=(s := per_day.get(day, str(Status.OPERATIONAL))),
                        status_label=STATUS_LABELS[s],
                    )
                    for day in days
                ],
            )
        )
    return StatusBoard(
        services=service_rows,
        active=[row for row in rows.values() if row.is_active],
        past=[row for row in rows.values() if not row.is_active],
        circulars=recent_circulars(),
        first_day=first_day,
        last_day=last_day,
    )


def published_circulars():
    """Published circulars, newest first (served by the index `circular_published`)."""
    return IndustryCircular.objects.filter(state=IndustryCircular.State.PUBLISHED).order_by(
        "-published_at", "-id"
    )


def recent_circulars(limit: int = RECENT_CIRCULARS) -> list[CircularRow]:
    return [
        CircularRow(number=number, title=title, published_at=published_at)
        for number, title, published_at in published_circulars().values_list(
            "number", "title", "published_at"
        )[:limit]
    ]


def circular_get_public(*, number: str) -> IndustryCircular | None:
    """A published circular by its number, with its services (two queries)."""
    return (
        published_circulars()
        .filter(number=number)
        .only("id", "number", "title", "body", "published_at", "major_incident_id")
        .prefetch_related("services")
        .first()
    )


def incident_get_public(*, number: str) -> IncidentRow | None:
    """One major incident as the public sees it, with all its public updates (three
    queries)."""
    incident = MajorIncident.objects.filter(number=number).only(*PUBLIC_INCIDENT_FIELDS).first()
    if incident is None:
        return None
    row = _incident_row(incident)
    for impact in (
        ServiceImpact.objects.filter(major_incident=incident)
        .select_related("service")
        .only("status", "service__id", "service__name")
        .order_by("service__sort_order", "service__name")
    ):
        row.impacts.append(
            ImpactRow(
                service_id=impact.service.pk,
                service_name=impact.service.name,
                status=impact.status,
                status_label=STATUS_LABELS.get(impact.status, impact.status),
            )
        )
    row.updates = [
        _update_row(update)
        for update in incident.public_updates.only(
            "id", "major_incident_id", "status", "body", "published_at"
        )
    ]
    return row


@dataclass
class FeedItem:
    kind: str  # "update" or "circular"
    pk: int
    title: str
    body: str
    published_at: datetime
    number: str  # the major incident's number for an update, the circular's for a circular


def feed_items(*, service: Service | None = None, limit: int = FEED_ITEMS) -> list[FeedItem]:
    """Public updates and published circulars, newest first, optionally only those about one
    service (two queries)."""
    updates = PublicUpdate.objects.select_related("major_incident").only(
        "id",
        "status",
        "body",
        "published_at",
        "major_incident__number",
        "major_incident__public_title",
    )
    circulars = published_circulars().only("id", "number", "title", "body", "published_at")
    if service is not None:
        updates = updates.filter(major_incident__service_impacts__service=service)
        circulars = circulars.filter(services=service)
    items = [
        FeedItem(
            kind="update",
            pk=update.pk,
            title=f"{update.major_incident.public_title}: "
            f"{PUBLIC_STATUS_LABELS.get(update.status, '')}",
            body=update.body,
            published_at=update.published_at,
            number=update.major_incident.number,
        )
        for update in updates.order_by("-published_at", "-id")[:limit]
    ] + [
        FeedItem(
            kind="circular",
            pk=circular.pk,
            title=f"Industry circular {circular.number}: {circular.title}",
            body=circular.body,
            published_at=circular.published_at,
            number=circular.number,
        )
        for circular in circulars[:limit]
    ]
    items.sort(key=lambda item: (item.published_at, item.pk), reverse=True)
    return items[:limit]
