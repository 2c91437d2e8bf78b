"""The live SLA engine: a ticket's clocks follow its recorded changes, in the caller's transaction.

The kernel announces every change a ticket service saves (create, transition, classify,
triage) with `tickets.signals.ticket_changed`; `on_ticket_changed` runs `ticket_sla_sync`, which
reads the ticket's history rows it has not applied yet and moves the stored clocks through them
with the same arithmetic the replay uses (`machine.advance`), so the instant of every clock
change is the instant the change was recorded. Which history fields a snapshot holds comes
from the ticket-type registry: the kernel's, plus the type's declared `sla_fields`.
"""

import functools
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tickets import message_log
from tickets.models import Ticket, is_desk_member
from tickets.registry import ticket_type_for

from ..models import SLADefinition, TicketSLA, TicketSLAEvent
from .machine import STOPPED, ClockState, Snapshot, Terms, acknowledge, advance

ZERO = timedelta(0)

# The clock fields a sync may change (everything but the ticket and the definition).
CLOCK_FIELDS = [
    "replaces",
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
    "at_risk",
    "breached",
    "breached_at",
    "synced_history_id",
    "updated_at",
]

# What a snapshot is read from: the kernel's fields, which every ticket type's history has,
# then the type's own `sla_fields` (`tickets.registry.TicketType`; a case's channel, triage
# outcome and request type).
KERNEL_HISTORY_FIELDS = (
    "history_id",
    "history_date",
    "opened_at",
    "state",
    "hold_reason",
    "priority",
    "short_description",
)

# The type's own fields a `Snapshot` carries; definitions match on them (`Terms.applies_to`).
SNAPSHOT_TYPE_FIELDS = ("triage_outcome", "request_type", "channel")


def ticket_kind(ticket: Ticket) -> str:
    """The `SLADefinition.ticket_kind` of a ticket: its type's kind ("case", "incident")."""
    return ticket_type_for(ticket).kind


def terms_from_definition(definition: SLADefinition) -> Terms:
    return Terms(
        definition_id=definition.pk,
        name=definition.name,
        target_type=definition.target_type,
        ticket_kind=definition.ticket_kind,
        calendar=definition.calendar,
        duration=definition.duration,
        at_risk_percent=definition.at_risk_percent,
        priority=definition.priority,
        service_request=definition.service_request,
        request_type=definition.request_type,
        channel=definition.channel,
        subject_prefix=definition.subject_prefix,
        pause_states=frozenset(definition.pause_states or ()),
        stop_states=frozenset(definition.stop_states or ()),
        stop_when_triaged=definition.stop_when_triaged,
        stop_on_message=definition.stop_on_message,
        resume_on_reopen=definition.resume_on_reopen,
        active=definition.active,
    )


def definitions_for(kind: str) -> dict[int, Terms]:
    """Every definition for a kind of ticket, active or not (running clocks may use either)."""
    return {
        definition.pk: terms_from_definition(definition)
        for definition in SLADefinition.objects.filter(ticket_kind=kind)
    }


@functools.cache
def _history_fields(model: type[Ticket]) -> tuple[str, ...]:
    """The history columns a snapshot of `model` is read from."""
    ticket_type = ticket_type_for(model)
    history_model = model.history.model
    names = {f.name for f in history_model._meta.get_fields()}
    fields = KERNEL_HISTORY_FIELDS + tuple(
        name for name in ticket_type.sla_fields if name not in KERNEL_HISTORY_FIELDS
    )
    missing = [name for name in fields if name not in names]
    if missing:
        raise ImproperlyConfigured(
            f"{history_model.__name__} has no {', '.join(missing)}: a ticket type's "
            "`sla_fields` must be fields its history records."
        )
    return fields


def ticket_timeline(ticket: Ticket, *, until: datetime | None = None) -> list[Snapshot]:
    """The ticket as each of its history rows recorded it, oldest first (one query)."""
    model = type(ticket)
    rows = model.history.model.objects.filter(id=ticket.pk)
    if until is not None:
        rows = rows.filter(history_date__lte=until)
    return [
        Snapshot(
            history_id=row["history_id"],
            at=row["history_date"],
            opened_at=row["opened_at"],
            state=row["state"],
            hold_reason=row["hold_reason"] or "",
            priority=row["priority"],
            subject=row["short_description"] or "",
            # A field the type does not record is empty, as a definition reads it.
            **{name: row.get(name) or "" for name in SNAPSHOT_TYPE_FIELDS},
        )
        for row in rows.order_by("history_id").values(*_history_fields(model))
    ]


def first_messages(
    *,
    ticket_type: ContentType,
    ticket_id: int,
    templates: Iterable[str],
    until: datetime | None = None,
) -> dict[str, datetime]:
    """When the first message of each template was recorded for a ticket (the acknowledgement)."""
    return message_log.first_messages(
        ticket_type=ticket_type, ticket_id=ticket_id, templates=templates, until=until
    )


def clock_state_from(row: TicketSLA) -> ClockState:
    return ClockState(
        pk=row.pk,
        definition_id=row.definition_id,
        target_type=row.target_type,
        calendar=row.calendar,
        target=row.target,
        at_risk_percent=row.at_risk_percent,
        started_at=row.started_at,
        deadline=row.deadline,
        at_risk_at=row.at_risk_at,
        running_since=row.running_since,
        paused_since=row.paused_since,
        stopped_at=row.stopped_at,
        stop_reason=row.stop_reason,
        cancelled=row.cancelled,
        elapsed=row.elapsed,
        paused_total=row.paused_total,
        at_risk=row.at_risk,
        breached=row.breached,
        breached_at=row.breached_at,
        replaces_pk=row.replaces_id,
        synced_history_id=row.synced_history_id,
    )


def copy_state_to_row(state: ClockState, row: TicketSLA) -> None:
    for name in CLOCK_FIELDS:
        if name in ("replaces", "updated_at"):
            continue
        setattr(row, name, getattr(state, name))
    replaced = state.replaces.pk if state.replaces is not None else state.replaces_pk
    row.replaces_id = replaced
    row.updated_at = timezone.now()


def event_rows(clock_id: int, state: ClockState) -> list[TicketSLAEvent]:
    return [
        TicketSLAEvent(
            clock_id=clock_id,
            kind=event.kind,
            at=event.at,
            counted=event.counted,
            excluded=event.excluded,
            elapsed=event.elapsed,
            detail=event.detail,
            note=event.note,
        )
        for event in state.events
    ]


def clocks_persist(
    *,
    ticket_type: ContentType,
    ticket_id: int,
    states: list[ClockState],
    rows: dict[int, TicketSLA],
    synced_history_id: int,
) -> list[TicketSLA]:
    """Write the clocks that changed and their new events: one UPDATE, two INSERTs at most."""
    changed: list[tuple[ClockState, TicketSLA]] = []
    created: list[tuple[ClockState, TicketSLA]] = []
    for state in states:
        if not state.dirty:
            continue
        state.synced_history_id = max(state.synced_history_id, synced_history_id)
        row = rows.get(state.pk) if state.pk is not None else None
        if row is None:
            row = TicketSLA(
                ticket_type=ticket_type, ticket_id=ticket_id, definition_id=state.definition_id
            )
            created.append((state, row))
        else:
            changed.append((state, row))
        copy_state_to_row(state, row)
    if changed:
        TicketSLA.objects.bulk_update([row for _state, row in changed], CLOCK_FIELDS)
    if created:
        TicketSLA.objects.bulk_create([row for _state, row in created])
        for state, row in created:
            state.pk = row.pk
        # A clock replacing one created in this same sync learns the other's id only now.
        late = []
        for state, row in changed + created:
            if state.replaces is not None and row.replaces_id != state.replaces.pk:
                row.replaces_id = state.replaces.pk
                late.append(row)
        if late:
            TicketSLA.objects.bulk_update(late, ["replaces"])
    events = [event for state in states if state.dirty for event in event_rows(state.pk, state)]
    if events:
        TicketSLAEvent.objects.bulk_create(events)
    for state in states:
        state.events.clear()
        state.dirty = False
    return [row for _state, row in changed + created]


def ticket_sla_sync(*, ticket: Ticket, at: datetime | None = None) -> list[TicketSLA]:
    """Bring a ticket's clocks up to date with its recorded changes (§3.10, §5.12, §7.2, §10.3).

    Starts the clocks of definitions the ticket now matches (counted from its opening, with the
    holds its history already has), pauses them while On Hold, resumes them after, stops them
    at Resolved, Closed or Cancelled (response and triage clocks when the ticket first leaves
    New), carries a resolution clock on from where it stopped when the resolution is rejected,
    and cancels a clock whose definition no longer applies, replacing it (priority change).
    `at` limits the changes applied to those recorded by then (default: all of them).

    Runs in the caller's transaction. A constant number of queries whatever the ticket's size:
    definitions, clocks, history, the acknowledgement lookup while an acknowledgement clock
    runs, then at most one UPDATE and two INSERTs. Returns the clocks it changed or created.
    """
    kind = ticket_kind(ticket)
    with transaction.atomic(savepoint=False):
        terms = definitions_for(kind)
        if not terms:
            return []
        ticket_type = ContentType.objects.get_for_model(ticket)
        rows = {
            row.pk: row
            for row in TicketSLA.objects.select_for_update().filter(
                ticket_type=ticket_type, ticket_id=ticket.pk
            )
        }
        timeline = ticket_timeline(ticket, until=at)
        if not timeline:
            return []
        synced = max((row.synced_history_id for row in rows.values()), default=0)
        start = next(
            (i for i, snap in enumerate(timeline) if snap.history_id > synced), len(timeline)
        )
        states = [clock_state_from(row) for row in sorted(rows.values(), key=lambda r: r.pk)]
        advance(clocks=states, terms=terms, kind=kind, timeline=timeline, start=start)
        waiting = {
            terms[state.definition_id].stop_on_message
            for state in states
            if not state.cancelled
            and state.phase != STOPPED
            and terms[state.definition_id].stop_on_message
        }
        if waiting:
            messages = first_messages(
                ticket_type=ticket_type, ticket_id=ticket.pk, templates=waiting, until=at
            )
            acknowledge(clocks=states, terms=terms, messages=messages)
        changed = clocks_persist(
            ticket_type=ticket_type,
            ticket_id=ticket.pk,
            states=states,
            rows=rows,
            synced_history_id=timeline[-1].history_id,
        )
        if changed:
            ticket_deadlines_mirror(ticket, states)
        return changed


def ticket_deadlines_mirror(ticket: Ticket, clocks: Iterable[ClockState | TicketSLA]) -> None:
    """Copy the deadline of each running clock the type mirrors (`sla_deadline_fields`, e.g.
    the case's `triage_due_at`) onto the ticket row; None once no such clock runs.

    A plain UPDATE of that column only when it differs: no history row, no signal, so a clock
    change is not reported as a change of the ticket.
    """
    mirrored = ticket_type_for(type(ticket)).sla_deadline_fields
    if not mirrored:
        return
    changes = {}
    for target_type, field_name in mirrored.items():
        deadlines = [
            clock.deadline
            for clock in clocks
            if clock.target_type == target_type
            and not clock.cancelled
            and clock.stopped_at is None
            and clock.deadline is not None
        ]
        value = min(deadlines, default=None)
        if getattr(ticket, field_name) != value:
            changes[field_name] = value
    if changes:
        type(ticket).objects.filter(pk=ticket.pk).update(**changes)
        for field_name, value in changes.items():
            setattr(ticket, field_name, value)


def on_ticket_changed(sender, *, ticket: Ticket, **kwargs) -> None:
    """`tickets.signals.ticket_changed` receiver (connected in `SlaConfig.ready`)."""
    ticket_sla_sync(ticket=ticket)


def ticket_sla_agree_target(
    *, clock: TicketSLA, target: timedelta, actor, reason: str = ""
) -> TicketSLA:
    """Enter the target agreed with the participant for a clock whose definition leaves it
    open (§7.2 Custom: "Custom Timeline"). The deadline follows as if it had applied from the
    start; the timeline records who agreed it, and why (`reason`, for the desk)."""
    from ..replay import replay_states

    ticket = clock.ticket
    if actor is None or not is_desk_member(ticket, actor):
        raise ActionNotPermitted("Only the service desk can agree a target.")
    if not isinstance(target, timedelta) or target <= ZERO:
        raise ValidationFailed(
            "Enter the agreed target as a length of working time.",
            field_errors={"target": ["Enter a positive duration."]},
        )
    with transaction.atomic():
        row = TicketSLA.objects.select_for_update().select_related("definition").get(pk=clock.pk)
        if row.definition.duration is not None:
            raise ValidationFailed(
                f"“{row.definition}” has a fixed target of {row.definition.duration}; "
                "only agreed-per-request targets are entered."
            )
        if row.cancelled:
            raise TransitionNotAllowed(
                "That clock was cancelled; agree the target on its successor."
            )
        ticket_type = ContentType.objects.get_for_model(ticket)
        stored = list(TicketSLA.objects.filter(ticket_type=ticket_type, ticket_id=ticket.pk))
        for other in stored:
            if other.pk == row.pk:
                other.target = target
        replayed = replay_states(ticket, stored=stored)
        match = replayed.paired.get(row.pk)
        row.target = target
        if match is not None:
            for name in ("deadline", "at_risk_at", "at_risk", "breached", "breached_at"):
                setattr(row, name, getattr(match, name))
        row.save(
            update_fields=[
                "target",
                "deadline",
                "at_risk_at",
                "at_risk",
                "breached",
                "breached_at",
                "updated_at",
            ]
        )
        ticket_deadlines_mirror(ticket, [row if c.pk == row.pk else c for c in stored])
        now = timezone.now()
        hours, rest = divmod(int(target.total_seconds()) // 60, 60)
        TicketSLAEvent.objects.create(
            clock=row,
            kind=TicketSLAEvent.Kind.TARGET_AGREED,
            at=now,
            elapsed=row.elapsed_at(now),
            detail=f"Target agreed: {hours} h {rest:02d} min of working time",
            note=(
                f"Entered by {actor}: {reason.strip()}" if reason.strip() else f"Entered by {actor}"
            )[:300],
        )
    return row
