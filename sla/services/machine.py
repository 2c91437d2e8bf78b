"""The clock arithmetic shared by the live engine and the replay (§3.10, §5.12, §7.2, §10.3).

Plain values only: a ticket's recorded history is a list of `Snapshot`s (one per history row),
a definition is a `Terms`, a clock is a `ClockState`. `advance` walks snapshots in order and
starts, pauses, resumes, stops, reopens and cancels clocks to match each one.

The live engine (`ticket_sla_sync`) starts from the stored clocks and applies the history rows
it has not seen yet; the replay (`sla.replay`) starts from nothing and applies the whole
history. Both therefore land on the same values, and `sla_recompute` reports where the stored
clocks do not.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tickets.models import Ticket
from tickets.priority import Priority

from ..calendar import get_calendar

ZERO = timedelta(0)

RUNNING = "running"
PAUSED = "paused"
STOPPED = "stopped"

# Stop reasons that are not a ticket state.
TRIAGED = "triaged"
ACKNOWLEDGED = "acknowledged"


@dataclass(frozen=True)
class Snapshot:
    """A ticket as one history row recorded it, at that row's instant."""

    history_id: int
    at: datetime
    opened_at: datetime
    state: str
    hold_reason: str = ""
    priority: int | None = None
    triage_outcome: str = ""
    request_type: str = ""
    channel: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Terms:
    """A definition's conditions and terms, as the machine needs them."""

    definition_id: int
    name: str
    target_type: str
    ticket_kind: str
    calendar: str
    duration: timedelta | None
    at_risk_percent: int = 75
    priority: int | None = None
    service_request: bool | None = None
    request_type: str = ""
    channel: str = ""
    subject_prefix: str = ""
    pause_states: frozenset[str] = frozenset()
    stop_states: frozenset[str] = frozenset()
    stop_when_triaged: bool = False
    stop_on_message: str = ""
    resume_on_reopen: bool = False
    active: bool = True

    def applies_to(self, kind: str, snap: Snapshot) -> bool:
        if kind != self.ticket_kind:
            return False
        if self.priority is not None and snap.priority != self.priority:
            return False
        if self.service_request is not None and self.service_request != (
            snap.triage_outcome == "request"
        ):
            return False
        if self.request_type and snap.request_type != self.request_type:
            return False
        if self.channel and snap.channel != self.channel:
            return False
        prefix = self.subject_prefix.strip().casefold()
        return not prefix or snap.subject.strip().casefold().startswith(prefix)

    def phase(self, snap: Snapshot) -> tuple[str, str]:
        """Whether the ticket in `snap` keeps this clock running, paused or stopped, and why."""
        if self.stop_when_triaged and snap.triage_outcome:
            return STOPPED, TRIAGED
        if snap.state in self.stop_states:
            return STOPPED, snap.state
        if snap.state in self.pause_states:
            return PAUSED, snap.hold_reason or snap.state
        return RUNNING, ""


@dataclass
class EventRecord:
    kind: str
    at: datetime
    counted: timedelta
    excluded: timedelta
    elapsed: timedelta
    detail: str
    note: str = ""


def state_label(value: str) -> str:
    try:
        return Ticket.State(value).label
    except ValueError:
        return value


def hold_label(value: str) -> str:
    try:
        return Ticket.HoldReason(value).label
    except ValueError:
        return state_label(value)


def priority_label(value: int | None) -> str:
    return f"P{Priority(value).value}" if value else "no priority"


def stop_label(reason: str, target_type: str) -> str:
    """Plain words for why a clock stopped."""
    if reason == TRIAGED:
        return "Triaged"
    if reason == ACKNOWLEDGED:
        return "Acknowledgement sent"
    if target_type in ("response", "triage") and reason in (
        Ticket.State.IN_PROGRESS,
        Ticket.State.ON_HOLD,
    ):
        return f"First response: {state_label(reason)}"
    return state_label(reason)


@dataclass(eq=False)
class ClockState:
    """A clock as plain values; the operations keep `elapsed + paused_total` equal to the
    working time from `started_at` to the clock's last boundary."""

    definition_id: int
    target_type: str
    calendar: str
    target: timedelta | None
    at_risk_percent: int
    started_at: datetime
    deadline: datetime | None = None
    at_risk_at: datetime | None = None
    running_since: datetime | None = None
    paused_since: datetime | None = None
    stopped_at: datetime | None = None
    stop_reason: str = ""
    cancelled: bool = False
    elapsed: timedelta = ZERO
    paused_total: timedelta = ZERO
    at_risk: bool = False
    breached: bool = False
    breached_at: datetime | None = None
    replaces: "ClockState | None" = None
    pk: int | None = None
    replaces_pk: int | None = None
    synced_history_id: int = 0
    events: list[EventRecord] = field(default_factory=list)
    dirty: bool = False

    # --- construction ---

    @classmethod
    def begin(cls, terms: Terms, *, at: datetime, detail: str, note: str = "") -> "ClockState":
        clock = cls(
            definition_id=terms.definition_id,
            target_type=terms.target_type,
            calendar=terms.calendar,
            target=terms.duration,
            at_risk_percent=terms.at_risk_percent,
            started_at=at,
            dirty=True,
        )
        clock._open_running(at)
        clock._record("started", at, ZERO, ZERO, detail, note)
        return clock

    # --- where it stands ---

    @property
    def phase(self) -> str:
        if self.stopped_at is not None:
            return STOPPED
        if self.paused_since is not None:
            return PAUSED
        return RUNNING

    @property
    def boundary(self) -> datetime:
        """The instant of the clock's last change: elapsed and paused time are measured to it."""
        return self.running_since or self.paused_since or self.stopped_at or self.started_at

    @property
    def threshold(self) -> timedelta | None:
        if self.target is None:
            return None
        return self.target * self.at_risk_percent / 100

    # --- operations; `at` never goes back before the last boundary ---

    def pause(self, at: datetime, *, reason: str) -> None:
        at = max(at, self.boundary)
        counted, excluded = self._close_segment(at)
        self.running_since = None
        self.paused_since = at
        self._record("paused", at, counted, excluded, f"On Hold — {hold_label(reason)}")

    def resume(self, at: datetime) -> None:
        at = max(at, self.boundary)
        counted, excluded = self._close_segment(at)
        self._open_running(at)
        self._record("resumed", at, counted, excluded, "Work resumed")

    def stop(self, at: datetime, *, reason: str) -> None:
        at = max(at, self.boundary)
        counted, excluded = self._close_segment(at)
        self.running_since = None
        self.paused_since = None
        self.stopped_at = at
        self.stop_reason = reason
        self._record("stopped", at, counted, excluded, stop_label(reason, self.target_type))

    def reopen(self, at: datetime) -> None:
        """Carry on from where the clock stopped; the time it stood stopped is not counted."""
        at = max(at, self.boundary)
        excluded = self._between(self.stopped_at, at)
        self.paused_total += excluded
        self.stopped_at = None
        self.stop_reason = ""
        self._open_running(at)
        self._record("reopened", at, ZERO, excluded, "Reopened; carries on from where it stopped")

    def cancel(self, at: datetime, *, detail: str) -> None:
        at = max(at, self.boundary)
        if self.stopped_at is None:
            counted, excluded = self._close_segment(at)
            self.running_since = None
            self.paused_since = None
            self.stopped_at = at
            self.stop_reason = "cancelled"
        else:
            counted = excluded = ZERO
        self.cancelled = True
        self._record("cancelled", at, counted, excluded, detail)

    def mark(self, at: datetime, *, kind: str, detail: str, note: str = "") -> None:
        """Record a step that changes nothing but must appear on the timeline (a replacement)."""
        at = max(at, self.boundary)
        phase = self.phase
        counted, excluded = (ZERO, ZERO) if phase == STOPPED else self._close_segment(at)
        if phase == RUNNING:
            self._open_running(at)
        elif phase == PAUSED:
            self.paused_since = at
        self._record(kind, at, counted, excluded, detail, note)

    def follow(self, terms: Terms, snap: Snapshot) -> None:
        """Move to the phase the ticket in `snap` puts this clock in."""
        wanted, reason = terms.phase(snap)
        phase = self.phase
        if phase == STOPPED:
            if (
                wanted != STOPPED
                and terms.resume_on_reopen
                and self.stop_reason in terms.stop_states
            ):
                self.reopen(snap.at)
                if wanted == PAUSED:
                    self.pause(snap.at, reason=reason)
            return
        if wanted == STOPPED:
            self.stop(snap.at, reason=reason)
        elif wanted == PAUSED and phase == RUNNING:
            self.pause(snap.at, reason=reason)
        elif wanted == RUNNING and phase == PAUSED:
            self.resume(snap.at)

    # --- the arithmetic ---

    def _between(self, start: datetime | None, end: datetime) -> timedelta:
        if start is None:
            return ZERO
        return get_calendar(self.calendar).between(start, end)

    def _close_segment(self, at: datetime) -> tuple[timedelta, timedelta]:
        """End the running or paused segment at `at`: (working time counted, excluded)."""
        if self.running_since is not None:
            # Time-based, like the sweeps: the target passed if its instant is behind us.
            if self.at_risk_at is not None and self.at_risk_at <= at:
                self.at_risk = True
            if self.deadline is not None and self.deadline < at and not self.breached:
                self.breached = True
                self.breached_at = self.deadline
            counted = self._between(self.running_since, at)
            self.elapsed += counted
            return counted, ZERO
        if self.paused_since is not None:
            excluded = self._between(self.paused_since, at)
            self.paused_total += excluded
            return ZERO, excluded
        return ZERO, ZERO

    def _open_running(self, at: datetime) -> None:
        """Run from `at`; the deadlines follow from what is left (kept once already passed)."""
        self.running_since = at
        self.paused_since = None
        if self.target is None:
            self.deadline = self.at_risk_at = None
            return
        calendar = get_calendar(self.calendar)
        left = self.target - self.elapsed
        if left > ZERO or self.deadline is None:
            self.deadline = calendar.add(at, max(left, ZERO))
        to_risk = self.threshold - self.elapsed
        if to_risk > ZERO or self.at_risk_at is None:
            self.at_risk_at = calendar.add(at, max(to_risk, ZERO))

    def _record(
        self,
        kind: str,
        at: datetime,
        counted: timedelta,
        excluded: timedelta,
        detail: str,
        note: str = "",
    ) -> None:
        self.dirty = True
        self.events.append(
            EventRecord(
                kind=kind,
                at=at,
                counted=counted,
                excluded=excluded,
                elapsed=self.elapsed,
                detail=detail[:200],
                note=note[:300],
            )
        )


# The terms a new clock starts with: the definition's, unless the replay knows better.
TermsFor = Callable[[Terms, int], Terms]


def _same_terms(terms: Terms, ordinal: int) -> Terms:
    return terms


def change_description(previous: Snapshot | None, snap: Snapshot) -> str:
    if previous is not None and previous.priority != snap.priority:
        return (
            f"Priority changed from {priority_label(previous.priority)} "
            f"to {priority_label(snap.priority)}"
        )
    if previous is not None and previous.request_type != snap.request_type:
        return "Request type changed"
    if previous is not None and previous.triage_outcome != snap.triage_outcome:
        return "Triage outcome changed"
    return "No longer applies to this ticket"


def build_clock(terms: Terms, timeline: Sequence[Snapshot], *, matched_at: datetime) -> ClockState:
    """A clock for a definition that has just started to apply, counted from the ticket's
    opening with the holds and stops its history already holds."""
    first = timeline[0]
    start = min(first.opened_at, first.at)
    note = ""
    if len(timeline) > 1:
        note = f"“{terms.name}” applied from {matched_at:%Y-%m-%d %H:%M:%S} UTC"
    clock = ClockState.begin(
        terms, at=start, detail="Counted from when the ticket was raised", note=note
    )
    for snap in timeline:
        clock.follow(terms, snap)
    return clock


def advance(
    *,
    clocks: list[ClockState],
    terms: dict[int, Terms],
    kind: str,
    timeline: Sequence[Snapshot],
    start: int = 0,
    terms_for: TermsFor = _same_terms,
) -> list[ClockState]:
    """Apply `timeline[start:]` to `clocks` (changed in place; new clocks appended)."""
    for index in range(start, len(timeline)):
        snap = timeline[index]
        previous = timeline[index - 1] if index else None
        cancelled_now: dict[str, ClockState] = {}
        for clock in clocks:
            if clock.cancelled:
                continue
            clock_terms = terms.get(clock.definition_id)
            if clock_terms is None or not clock_terms.applies_to(kind, snap):
                clock.cancel(snap.at, detail=change_description(previous, snap))
                cancelled_now.setdefault(clock.target_type, clock)
                continue
            clock.follow(clock_terms, snap)
        live = {clock.definition_id for clock in clocks if not clock.cancelled}
        for definition_id in sorted(terms):
            candidate = terms[definition_id]
            if (
                definition_id in live
                or not candidate.active
                or not candidate.applies_to(kind, snap)
            ):
                continue
            ordinal = sum(1 for clock in clocks if clock.definition_id == definition_id)
            clock = build_clock(
                terms_for(candidate, ordinal), timeline[: index + 1], matched_at=snap.at
            )
            replaced = cancelled_now.get(candidate.target_type)
            if replaced is not None:
                clock.replaces = replaced
                clock.mark(
                    snap.at,
                    kind="priority_changed",
                    detail=f"{change_description(previous, snap)}; counted from when the "
                    "ticket was raised, pauses included",
                    note="Replaces the cancelled clock of the earlier terms",
                )
            clocks.append(clock)
    return clocks


def acknowledge(
    *, clocks: list[ClockState], terms: dict[int, Terms], messages: dict[str, datetime]
) -> None:
    """Stop clocks that end when a message is recorded (§3.1 acknowledgement)."""
    for clock in clocks:
        clock_terms = terms.get(clock.definition_id)
        if clock.cancelled or clock.stopped_at is not None or clock_terms is None:
            continue
        sent = messages.get(clock_terms.stop_on_message) if clock_terms.stop_on_message else None
        if sent is not None:
            clock.stop(sent, reason=ACKNOWLEDGED)
