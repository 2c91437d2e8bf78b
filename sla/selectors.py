"""Reads of SLA clocks shared by the console, the portal and the API (docs/architecture.md §3).

`sla_timeline_for` is the explanation of every clock on a ticket (§3.10, §5.12): when it
started, paused (and why), resumed, changed priority and stopped, with the working time counted
in each segment. Participants get their ticket's clocks without desk-only details; the rule of
who may see the ticket at all stays with `tickets.selectors.visible_tickets`.

Everything here works on a ticket or a queryset of any registered ticket type; the clocks name
their ticket by content type, so no concrete type is imported. `sla_summaries_for` and
`sla_timeline_for` reach the console of every type through `SlaConfig.ready`
(`tickets.extensions`).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from tickets.models import Ticket

from .calendar import CALENDAR_CHOICES
from .models import SLADefinition, TicketSLA, TicketSLAEvent
from .services.machine import hold_label, stop_label

ZERO = timedelta(0)
_CALENDAR_LABELS = dict(CALENDAR_CHOICES)


def format_working_time(value: timedelta | None) -> str:
    """“45 h 00 min”: working time in hours, as the SLA tables count it (a business day is 9 h)."""
    if value is None:
        return "—"
    sign = "-" if value < ZERO else ""
    minutes = int(abs(value).total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours} h {minutes:02d} min"


@dataclass(frozen=True)
class SegmentView:
    kind: str
    label: str
    at: datetime
    counted: timedelta
    excluded: timedelta
    elapsed: timedelta
    detail: str
    note: str

    @property
    def counted_display(self) -> str:
        return format_working_time(self.counted)

    @property
    def excluded_display(self) -> str:
        return format_working_time(self.excluded)

    @property
    def elapsed_display(self) -> str:
        return format_working_time(self.elapsed)


@dataclass(frozen=True)
class ClockView:
    clock: TicketSLA
    name: str
    description: str
    target_type: str
    target_type_label: str
    calendar_label: str
    phase: str
    status: str
    target: timedelta | None
    started_at: datetime
    deadline: datetime | None
    stopped_at: datetime | None
    elapsed: timedelta
    paused_total: timedelta
    remaining: timedelta | None
    percent: int | None
    at_risk: bool
    breached: bool
    cancelled: bool
    internal: bool
    events: tuple[SegmentView, ...]
    # The ticket states that pause the clock (its definition's), for the explanation of how it
    # is counted.
    pause_states: tuple[str, ...] = ()

    @property
    def target_display(self) -> str:
        return format_working_time(self.target) if self.target else "Agreed per request"

    @property
    def elapsed_display(self) -> str:
        return format_working_time(self.elapsed)

    @property
    def paused_display(self) -> str:
        return format_working_time(self.paused_total)

    @property
    def remaining_display(self) -> str:
        return format_working_time(self.remaining)


def _status(clock: TicketSLA, events: list[SegmentView], now: datetime, *, internal: bool) -> str:
    breached = clock.is_breached_at(now)
    if clock.cancelled:
        return "Cancelled (replaced)" if internal else "Cancelled"
    if clock.stopped_at is not None:
        why = stop_label(clock.stop_reason, clock.target_type)
        return f"{'Breached' if breached else 'Met'} — {why}"
    if clock.is_paused:
        reason = next((e.detail for e in reversed(events) if e.kind == "paused"), "")
        return f"Paused — {reason.removeprefix('On Hold — ') or hold_label('on_hold')}"
    if breached:
        return "Running — breached"
    if internal and clock.is_at_risk_at(now):
        return "Running — at risk"
    return "Running"


_EVENT_LABELS = dict(TicketSLAEvent.Kind.choices)
# A clock's own fields, but for its history links and timestamps, which no timeline shows: the
# `ClockView.clock` instances have those deferred (read on first use).
_CLOCK_UNSHOWN = {"replaces_id", "at_risk_percent", "synced_history_id", "created_at", "updated_at"}
_CLOCK_FIELDS = tuple(
    field.attname
    for field in TicketSLA._meta.concrete_fields
    if field.attname not in _CLOCK_UNSHOWN
)
_DEFINITION_VALUES = ("definition__name", "definition__description", "definition__pause_states")
_EVENT_VALUES = tuple(
    f"events__{name}"
    for name in ("id", "kind", "at", "counted", "excluded", "elapsed", "detail", "note")
)


@cache
def _timeline_rows() -> QuerySet:
    """The shape of the timeline's query — the clocks in their definitions' order, a row per
    event (a clock without events is one row of nulls) — built once per process and narrowed
    to a ticket on each call: building its forty columns cost as much as running it."""
    return TicketSLA.objects.order_by(
        "definition__sort_order", "id", "events__at", "events__id"
    ).values_list(*_CLOCK_FIELDS, *_DEFINITION_VALUES, *_EVENT_VALUES)


def _clocks_with_segments(
    rows: QuerySet, *, internal: bool
) -> list[tuple[TicketSLA, dict, list[SegmentView]]]:
    """Each clock (a model instance, for its methods), its definition's name and description,
    and its events as `SegmentView`s oldest first, from `_timeline_rows`: one query, no model
    instance per event or definition."""
    found: dict[int, tuple[TicketSLA, dict, list[SegmentView]]] = {}
    width, named = len(_CLOCK_FIELDS), len(_DEFINITION_VALUES)
    for row in rows:
        pk = row[0]
        if pk not in found:
            clock = TicketSLA.from_db(rows.db, _CLOCK_FIELDS, row[:width])
            name, description, pause_states = row[width : width + named]
            found[pk] = (
                clock,
                {"name": name, "description": description, "pause_states": pause_states or []},
                [],
            )
        event_id, kind, at, counted, excluded, elapsed, detail, note = row[width + named :]
        if event_id is not None:
            found[pk][2].append(
                SegmentView(
                    kind=kind,
                    label=_EVENT_LABELS.get(kind, kind),
                    at=at,
                    counted=counted,
                    excluded=excluded,
                    elapsed=elapsed,
                    detail=detail,
                    note=note if internal else "",
                )
            )
    return list(found.values())


def sla_timeline_for(
    ticket: Ticket, *, for_participant: bool = False, now: datetime | None = None
) -> list[ClockView]:
    """Each clock on a ticket with its events and the working time counted per segment.

    `for_participant=True` leaves out clocks the definition keeps internal (triage),
    cancelled clocks, at-risk warnings and desk notes. One query at any size: the clocks
    joined with their definitions and events (issue 9).
    """
    now = now or timezone.now()
    internal = not for_participant
    rows = _timeline_rows().filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    )
    if for_participant:
        # Not the participant's to see, so not read at all.
        rows = rows.filter(cancelled=False, definition__visible_to_participants=True)
    views: list[ClockView] = []
    for clock, definition, events in _clocks_with_segments(rows, internal=internal):
        views.append(
            ClockView(
                clock=clock,
                name=definition["name"],
                description=definition["description"],
                pause_states=tuple(definition["pause_states"]),
                target_type=clock.target_type,
                target_type_label=SLADefinition.TargetType(clock.target_type).label,
                calendar_label=_CALENDAR_LABELS.get(clock.calendar, clock.calendar),
                phase="stopped"
                if clock.stopped_at
                else ("paused" if clock.is_paused else "running"),
                status=_status(clock, events, now, internal=internal),
                target=clock.target,
                started_at=clock.started_at,
                deadline=clock.projected_deadline(now),
                stopped_at=clock.stopped_at,
                elapsed=clock.elapsed_at(now),
                paused_total=clock.paused_total,
                remaining=clock.remaining_at(now),
                percent=clock.percent_elapsed_at(now),
                at_risk=internal and clock.is_at_risk_at(now),
                breached=clock.is_breached_at(now),
                cancelled=clock.cancelled,
                internal=internal,
                events=tuple(events),
            )
        )
    return views


def case_target_resolution(
    case: Ticket, *, now: datetime | None = None, clocks: list[ClockView] | None = None
) -> datetime | None:
    """The target resolution date a participant sees once their case is prioritised (§3.8,
    §7.2): the earliest deadline of its live resolution clocks, moved on while On Hold.

    `clocks`: the participant's timeline of this case (`sla_timeline_for(…,
    for_participant=True)`) when the page has it already, so the clocks are read once a page.
    """
    if not case.priority:
        return None
    now = now or timezone.now()
    if clocks is not None:
        deadlines = [
            view.deadline
            for view in clocks
            if view.target_type == SLADefinition.TargetType.RESOLUTION
            and view.target is not None
            and not view.cancelled
            and view.deadline is not None
        ]
        return min(deadlines, default=None)
    rows = TicketSLA.objects.filter(
        ticket_type=ContentType.objects.get_for_model(case),
        ticket_id=case.pk,
        target_type=SLADefinition.TargetType.RESOLUTION,
        cancelled=False,
        target__isnull=False,
        definition__visible_to_participants=True,
    )
    deadlines = [d for d in (clock.projected_deadline(now) for clock in rows) if d is not None]
    return min(deadlines, default=None)


def agreed_target_clock_for(ticket: Ticket) -> TicketSLA | None:
    """The ticket's live clock whose target is agreed per request (§7.2 Custom: "Custom
    Timeline"; its definition has no duration), with its definition, or None."""
    return (
        TicketSLA.objects.filter(
            ticket_type=ContentType.objects.get_for_model(ticket),
            ticket_id=ticket.pk,
            cancelled=False,
            definition__duration__isnull=True,
        )
        .select_related("definition")
        .order_by("pk")
        .first()
    )


def _clocks_of_outer_ticket(queryset: QuerySet) -> QuerySet:
    """Live clocks of the ticket in the outer query (the content type comes from Django's
    per-process cache, so the subquery needs no join)."""
    return TicketSLA.objects.filter(
        ticket_type=ContentType.objects.get_for_model(queryset.model),
        ticket_id=OuterRef("pk"),
        cancelled=False,
    )


WORKING_TARGETS = ("response", "resolution")


def sla_summaries_for(tickets: list[Ticket]) -> None:
    """Set the console list's SLA values on the tickets of one page (issue 9): `sla_deadline`,
    the nearest deadline of a running response or resolution clock, and `sla_breached`,
    `sla_at_risk`, `sla_paused`. One query by the page's ids, whatever the size of the desk.
    """
    if not tickets:
        return
    by_id = {ticket.pk: ticket for ticket in tickets}
    for ticket in tickets:
        ticket.sla_deadline = None
        ticket.sla_breached = ticket.sla_at_risk = ticket.sla_paused = False
    clocks = (
        TicketSLA.objects.filter(
            ticket_type=ContentType.objects.get_for_model(tickets[0]),
            ticket_id__in=list(by_id),
            cancelled=False,
        )
        .filter(
            # Only the clocks that can set a value: a stopped clock counts only if it breached.
            Q(breached=True) | Q(stopped_at__isnull=True, target_type__in=WORKING_TARGETS)
        )
        .values_list(
            "ticket_id",
            "target_type",
            "stopped_at",
            "paused_since",
            "deadline",
            "breached",
            "at_risk",
        )
    )
    at_risk: set[int] = set()
    for ticket_id, target_type, stopped_at, paused_since, deadline, breached, risk in clocks:
        ticket = by_id[ticket_id]
        if breached:
            ticket.sla_breached = True
        if stopped_at is not None or target_type not in WORKING_TARGETS:
            continue
        if paused_since is not None:
            ticket.sla_paused = True
        elif deadline is not None and (
            ticket.sla_deadline is None or deadline < ticket.sla_deadline
        ):
            ticket.sla_deadline = deadline
        if risk and not breached:
            at_risk.add(ticket_id)
    for ticket_id in at_risk:
        by_id[ticket_id].sla_at_risk = True


def with_sla_deadline(queryset: QuerySet) -> QuerySet:
    """Annotate `sla_deadline` for sorting a list by time to breach: a subquery per row, so
    only when an agent asks for that order (`TicketChangeList`)."""
    working = _clocks_of_outer_ticket(queryset).filter(
        stopped_at__isnull=True,
        target_type__in=WORKING_TARGETS,
        paused_since__isnull=True,
        deadline__isnull=False,
    )
    return queryset.annotate(
        sla_deadline=Subquery(working.order_by("deadline").values("deadline")[:1])
    )


def with_sla_status(queryset: QuerySet, status: str) -> QuerySet:
    """Tickets whose clocks are breached, at risk (not breached), paused, or on track (a
    running deadline, nothing breached or at risk) — the console's SLA filter. Each is an
    EXISTS over the ticket's own clocks, which the `(ticket_type, ticket_id)` index serves for
    the rows a page reads. No status (the list unfiltered): the queryset as it is, without
    building the subqueries."""
    if status not in ("breached", "at_risk", "paused", "on_track"):
        return queryset
    live = _clocks_of_outer_ticket(queryset)
    working = live.filter(stopped_at__isnull=True, target_type__in=WORKING_TARGETS)
    breached = Exists(live.filter(breached=True))
    at_risk = Exists(working.filter(at_risk=True, breached=False))
    if status == "breached":
        return queryset.filter(breached)
    if status == "at_risk":
        return queryset.filter(at_risk, ~breached)
    if status == "paused":
        return queryset.filter(Exists(working.filter(paused_since__isnull=False)))
    if status == "on_track":
        running = working.filter(paused_since__isnull=True, deadline__isnull=False)
        return queryset.filter(Exists(running), ~breached, ~at_risk)
    return queryset
