"""Recompute a ticket's clocks from its own history and compare them with the stored ones.

The replay reads nothing but the ticket's history rows (state, hold reason, priority, triage
outcome, request type, with the instant each was recorded), the definitions, and the
acknowledgement email's outbox row, and runs the same clock arithmetic as the live engine from
nothing. A clock is judged on the terms recorded when it started (target, calendar, at-risk
share), so editing a definition later does not rewrite old clocks. This is what a disputed
breach is settled with (§3.10), and what `manage.py sla_recompute` reports on.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from tickets.models import Ticket

from .models import TicketSLA, TicketSLAEvent
from .services.clocks import (
    clocks_persist,
    definitions_for,
    first_messages,
    ticket_deadlines_mirror,
    ticket_kind,
    ticket_timeline,
)
from .services.machine import STOPPED, ClockState, Terms, acknowledge, advance


@dataclass
class Replayed:
    """The clocks a ticket's history gives, paired with the stored clocks they correspond to
    (the n-th clock of a definition with the n-th stored one)."""

    states: list[ClockState]
    paired: dict[int, ClockState] = field(default_factory=dict)
    unmatched_stored: list[TicketSLA] = field(default_factory=list)
    unmatched_replayed: list[ClockState] = field(default_factory=list)
    last_history_id: int = 0


def replay_states(
    ticket: Ticket, *, stored: list[TicketSLA] | None = None, until: datetime | None = None
) -> Replayed:
    """Run the ticket's whole history through the clock arithmetic, from nothing."""
    kind = ticket_kind(ticket)
    terms = definitions_for(kind)
    ticket_type = ContentType.objects.get_for_model(ticket)
    if stored is None:
        stored = list(TicketSLA.objects.filter(ticket_type=ticket_type, ticket_id=ticket.pk))
    by_definition: dict[int, list[TicketSLA]] = defaultdict(list)
    for row in sorted(stored, key=lambda r: r.pk):
        by_definition[row.definition_id].append(row)

    def recorded_terms(definition_terms: Terms, ordinal: int) -> Terms:
        rows = by_definition.get(definition_terms.definition_id, [])
        if ordinal >= len(rows):
            return definition_terms
        row = rows[ordinal]
        return replace(
            definition_terms,
            calendar=row.calendar,
            duration=row.target,
            at_risk_percent=row.at_risk_percent,
        )

    timeline = ticket_timeline(ticket, until=until)
    states = advance(clocks=[], terms=terms, kind=kind, timeline=timeline, terms_for=recorded_terms)
    waiting = {
        terms[state.definition_id].stop_on_message
        for state in states
        if not state.cancelled
        and state.phase != STOPPED
        and terms[state.definition_id].stop_on_message
    }
    if waiting:
        messages = first_messages(
            ticket_type=ticket_type, ticket_id=ticket.pk, templates=waiting, until=until
        )
        acknowledge(clocks=states, terms=terms, messages=messages)

    result = Replayed(states=states, last_history_id=timeline[-1].history_id if timeline else 0)
    replayed_by_definition: dict[int, list[ClockState]] = defaultdict(list)
    for state in states:
        replayed_by_definition[state.definition_id].append(state)
    for definition_id in set(by_definition) | set(replayed_by_definition):
        rows = by_definition.get(definition_id, [])
        replayed = replayed_by_definition.get(definition_id, [])
        for row, state in zip(rows, replayed, strict=False):
            result.paired[row.pk] = state
        result.unmatched_stored.extend(rows[len(replayed) :])
        result.unmatched_replayed.extend(replayed[len(rows) :])
    return result


def replay_clocks(ticket: Ticket, *, until: datetime | None = None) -> list[ClockState]:
    """The clocks the ticket's own history gives, in the order they started."""
    return replay_states(ticket, until=until).states


# --- comparison with the stored clocks ---

COMPARED_FIELDS = (
    "target_type",
    "calendar",
    "target",
    "at_risk_percent",
    "started_at",
    "deadline",
    "at_risk_at",
    "running_since",
    "paused_since",
    "stopped_at",
    "stop_reason",
    "cancelled",
    "elapsed",
    "paused_total",
)


@dataclass(frozen=True)
class Difference:
    clock: str
    field: str
    stored: object
    replayed: object

    def __str__(self) -> str:
        return f"{self.clock}: {self.field} stored {self.stored!s}, replayed {self.replayed!s}"


def effective_flags(clock, now: datetime) -> tuple[bool, bool, datetime | None]:
    """(at risk, breached, breached at) as of `now`: a running clock past its instants counts
    as flagged whether or not the sweep has marked it yet."""
    running = clock.stopped_at is None and clock.paused_since is None
    at_risk = clock.at_risk or (
        running and clock.at_risk_at is not None and clock.at_risk_at <= now
    )
    breached = clock.breached or (running and clock.deadline is not None and clock.deadline < now)
    breached_at = clock.breached_at if clock.breached else (clock.deadline if breached else None)
    return at_risk, breached, breached_at


def _event_key(kind, at, counted, excluded) -> tuple:
    return (kind, at, counted, excluded)


def clock_differences(ticket: Ticket, *, now: datetime | None = None) -> list[Difference]:
    """Every way the stored clocks of a ticket differ from its replay (empty when they agree)."""
    now = now or timezone.now()
    ticket_type = ContentType.objects.get_for_model(ticket)
    stored = list(
        TicketSLA.objects.filter(ticket_type=ticket_type, ticket_id=ticket.pk)
        .select_related("definition")
        .order_by("id")
    )
    stored_events: dict[int, list[tuple]] = defaultdict(list)
    for event in (
        TicketSLAEvent.objects.filter(clock__in=[row.pk for row in stored])
        .exclude(kind=TicketSLAEvent.Kind.TARGET_AGREED)
        .order_by("at", "id")
    ):
        stored_events[event.clock_id].append(
            _event_key(event.kind, event.at, event.counted, event.excluded)
        )
    replayed = replay_states(ticket, stored=stored)
    pk_of = {id(state): pk for pk, state in replayed.paired.items()}
    labels = _labels(stored)
    differences: list[Difference] = []
    for row in stored:
        label = labels[row.pk]
        state = replayed.paired.get(row.pk)
        if state is None:
            differences.append(Difference(label, "clock", "present", "absent"))
            continue
        for name in COMPARED_FIELDS:
            if getattr(row, name) != getattr(state, name):
                differences.append(
                    Difference(label, name, getattr(row, name), getattr(state, name))
                )
        for name, mine, theirs in zip(
            ("at_risk", "breached", "breached_at"),
            effective_flags(row, now),
            effective_flags(state, now),
            strict=True,
        ):
            if mine != theirs:
                differences.append(Difference(label, name, mine, theirs))
        replaced = pk_of.get(id(state.replaces)) if state.replaces is not None else None
        if row.replaces_id != replaced:
            differences.append(Difference(label, "replaces", row.replaces_id, replaced))
        wanted = [_event_key(e.kind, e.at, e.counted, e.excluded) for e in state.events]
        if stored_events[row.pk] != wanted:
            differences.append(
                Difference(label, "events", _describe(stored_events[row.pk]), _describe(wanted))
            )
    for state in replayed.unmatched_replayed:
        differences.append(
            Difference(
                f"definition {state.definition_id} ({state.target_type})",
                "clock",
                "absent",
                "present",
            )
        )
    return differences


def _labels(stored: list[TicketSLA]) -> dict[int, str]:
    labels = {}
    for row in stored:
        name = row.definition.name if row.definition_id else row.target_type
        labels[row.pk] = f"{name} (clock {row.pk}{', cancelled' if row.cancelled else ''})"
    return labels


def _describe(events: list[tuple]) -> str:
    return "; ".join(f"{kind}@{at:%Y-%m-%d %H:%M:%S}" for kind, at, *_rest in events)


def clocks_rebuild(ticket: Ticket) -> int:
    """Replace the stored clocks of a ticket with its replay (`sla_recompute --fix`).

    Agreed targets and their timeline entries are kept: they are not in the ticket's history.
    Returns how many clocks were written or removed.
    """
    with transaction.atomic():
        ticket_type = ContentType.objects.get_for_model(ticket)
        stored = list(
            TicketSLA.objects.select_for_update().filter(
                ticket_type=ticket_type, ticket_id=ticket.pk
            )
        )
        replayed = replay_states(ticket, stored=stored)
        rows = {row.pk: row for row in stored if row.pk in replayed.paired}
        for pk, state in replayed.paired.items():
            state.pk = pk
            state.dirty = True
        for state in replayed.unmatched_replayed:
            state.dirty = True
        TicketSLAEvent.objects.filter(clock__in=list(rows)).exclude(
            kind=TicketSLAEvent.Kind.TARGET_AGREED
        ).delete()
        TicketSLA.objects.filter(pk__in=[row.pk for row in replayed.unmatched_stored]).delete()
        clocks_persist(
            ticket_type=ticket_type,
            ticket_id=ticket.pk,
            states=replayed.states,
            rows=rows,
            synced_history_id=replayed.last_history_id,
        )
        ticket_deadlines_mirror(ticket, replayed.states)
    return len(replayed.states) + len(replayed.unmatched_stored)
