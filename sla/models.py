"""SLA definitions (data) and the clocks they start on tickets (docs/architecture.md §3).

A definition says which tickets it applies to, what stops and pauses it and how long it allows
(§3.10, §7.2, §3.1, §4.1, §14.4). A clock (`TicketSLA`) is one definition running on one ticket;
its events (`TicketSLAEvent`) are the explanation anyone entitled to the ticket can read.

The ticket types a definition may name, and the values of their own fields it may match on
(a case's channel and request type), come from the ticket-type registry
(`tickets.registry`): this app never imports a concrete ticket type.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from simple_history.models import HistoricalRecords

from tickets.models import Ticket, TicketRef
from tickets.priority import Priority
from tickets.registry import ticket_types

from .calendar import CALENDAR_CHOICES, get_calendar

ZERO = timedelta(0)


# Choices read from the registry when a form, a check or a validation asks for them (the
# models of every app are loaded by then); the migrations name these functions.


def ticket_kind_choices() -> list[tuple[str, str]]:
    """Every registered ticket type: its kind ("case") and its name ("Case")."""
    return [(t.kind, capfirst(t.verbose_name)) for t in ticket_types()]


def _sla_choices(field: str) -> list[tuple[str, str]]:
    """The values a definition may pick for one of the types' own fields, every type's
    declared `sla_choices` together, each value once."""
    seen: dict[str, str] = {}
    for ticket_type in ticket_types():
        for value, label in ticket_type.sla_choices.get(field, ()):
            seen.setdefault(value, label)
    return list(seen.items())


def request_type_choices() -> list[tuple[str, str]]:
    """The §7.2 service-request types the registered types declare (a case's request type)."""
    return _sla_choices("request_type")


def channel_choices() -> list[tuple[str, str]]:
    """The channels a ticket can be raised through, as the registered types declare them."""
    return _sla_choices("channel")


class SLADefinition(models.Model):
    """One service level: what it applies to, what starts, pauses and stops it, and its target.

    Every clock counts from the moment the ticket was opened, even when the definition only
    starts to apply later (a case classified P3 an hour after it was raised is due five business
    days after it was raised). That is also why a clock that replaces another on a priority
    change keeps the original start and the pauses already taken (§3.8, docs/architecture.md §3).
    """

    class TargetType(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
        TRIAGE = "triage", "First-line triage"
        RESPONSE = "response", "Response"
        RESOLUTION = "resolution", "Resolution"

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(
        max_length=300,
        blank=True,
        help_text="What the level promises, in plain words, e.g. “Resolved within 5 business days”.",
    )
    target_type = models.CharField(max_length=20, choices=TargetType.choices)

    # What it applies to; an empty condition matches anything.
    # A registered type's kind, its model's name (`TicketType.kind`: "case", "incident").
    ticket_kind = models.CharField(max_length=20, choices=ticket_kind_choices)
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices,
        null=True,
        blank=True,
        help_text="Only tickets of this priority; empty for any priority, or none.",
    )
    service_request = models.BooleanField(
        null=True,
        blank=True,
        help_text="Yes: only cases triaged as service requests. No: only other tickets. "
        "Empty: either.",
    )
    request_type = models.CharField(
        max_length=15,
        choices=request_type_choices,
        blank=True,
        help_text="Only service requests of this type.",
    )
    channel = models.CharField(
        max_length=10,
        choices=channel_choices,
        blank=True,
        help_text="Only cases raised through this channel (the 15-minute checks are for the "
        "portal).",
    )
    subject_prefix = models.CharField(
        max_length=160,
        blank=True,
        help_text="Only tickets whose subject starts with this text, ignoring case "
        "(“Report Request”).",
    )

    # What it allows.
    calendar = models.CharField(max_length=20, choices=CALENDAR_CHOICES)
    duration = models.DurationField(
        null=True,
        blank=True,
        help_text="The target in working time of the calendar (a business day is 9 hours). "
        "Empty when it is agreed per request (a Custom service request) and entered on the clock.",
    )
    at_risk_percent = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="A clock is at risk once this share of its target has elapsed.",
    )

    # What pauses and stops it.
    pause_states = models.JSONField(
        default=list, blank=True, help_text="Ticket states in which the clock is paused."
    )
    stop_states = models.JSONField(
        default=list, blank=True, help_text="Ticket states in which the clock is stopped."
    )
    stop_when_triaged = models.BooleanField(
        default=False, help_text="Stop once first-line triage records an outcome."
    )
    stop_on_message = models.CharField(
        max_length=60,
        blank=True,
        help_text="Stop when an email from this template is recorded for the ticket "
        "(“case_acknowledged”).",
    )
    resume_on_reopen = models.BooleanField(
        default=False,
        help_text="When the ticket leaves a stop state again (a rejected resolution), "
        "carry on from where the clock stopped.",
    )
    visible_to_participants = models.BooleanField(
        default=True, help_text="Participants see this clock on their case."
    )
    active = models.BooleanField(
        default=True, help_text="Inactive definitions start no new clocks; running ones carry on."
    )
    sort_order = models.PositiveSmallIntegerField(default=100)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The targets participants are promised (§3.10): every change is kept (§12).
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = "SLA definition"
        constraints = [
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | Q(duration__gt=ZERO),
                name="sladefinition_duration_positive",
            ),
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=1, at_risk_percent__lte=99),
                name="sladefinition_at_risk_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        known = set(Ticket.State.values)
        for field in ("pause_states", "stop_states"):
            value = getattr(self, field)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[field] = ["Give a list of ticket states."]
            elif set(value) - known:
                unknown = ", ".join(sorted(set(value) - known))
                errors[field] = [
                    f"Unknown states: {unknown}. Use: {', '.join(Ticket.State.values)}."
                ]
        if not errors and set(self.pause_states) & set(self.stop_states):
            errors["pause_states"] = ["A state cannot both pause and stop the clock."]
        if self.request_type and self.service_request is False:
            errors["request_type"] = ["A request type only applies to service requests."]
        if errors:
            raise ValidationError(errors)


class TicketSLA(TicketRef):
    """One definition's clock on one ticket.

    `elapsed` is the working time counted up to the last change, and while the clock runs it
    grows from `running_since`; `paused_total` is the working time excluded (On Hold, and the
    time a resolution stood before it was rejected). `deadline` and `at_risk_at` are the instants
    the target and the at-risk share are (or were) reached, so the sweeps only compare stored
    instants with now. The target, calendar and at-risk share are copied from the definition
    when the clock starts: a clock is judged on the terms in force when it started.
    """

    definition = models.ForeignKey(SLADefinition, on_delete=models.PROTECT, related_name="clocks")
    replaces = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaced_by",
        help_text="The clock this one replaced when the ticket's priority changed.",
    )
    target_type = models.CharField(max_length=20, choices=SLADefinition.TargetType.choices)
    calendar = models.CharField(max_length=20, choices=CALENDAR_CHOICES)
    target = models.DurationField(
        null=True, blank=True, help_text="Empty until an agreed-per-request target is entered."
    )
    at_risk_percent = models.PositiveSmallIntegerField(default=75)

    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stop_reason = models.CharField(max_length=30, blank=True)
    cancelled = models.BooleanField(default=False)
    elapsed = models.DurationField(default=ZERO)
    paused_total = models.DurationField(default=ZERO)
    at_risk = models.BooleanField(default=False)
    breached = models.BooleanField(default=False)
    breached_at = models.DateTimeField(null=True, blank=True)

    # The last row of the ticket's history this clock has been brought up to (services).
    synced_history_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SLA clock"
        ordering = ["id"]
        indexes = [
            # Serves a ticket's clocks: WHERE ticket_type=? AND ticket_id=?.
            models.Index(fields=["ticket_type", "ticket_id"], name="sla_clock_ticket"),
            # Serves the breach sweep: running, not yet breached, WHERE deadline <= now().
            models.Index(
                fields=["deadline"],
                name="sla_clock_breach_due",
                condition=Q(stopped_at__isnull=True, paused_since__isnull=True, breached=False),
            ),
            # Serves the at-risk sweep: running, not yet at risk, WHERE at_risk_at <= now().
            models.Index(
                fields=["at_risk_at"],
                name="sla_clock_risk_due",
                condition=Q(stopped_at__isnull=True, paused_since__isnull=True, at_risk=False),
            ),
            # Serves queues and time-to-breach columns: open clocks of a type by deadline
            # (the triage queue sorted by triage deadline).
            models.Index(
                fields=["target_type", "deadline"],
                name="sla_clock_open_by_type",
                condition=Q(stopped_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_type", "ticket_id", "definition"],
                condition=Q(cancelled=False),
                name="sla_clock_one_live_per_definition",
            ),
            # Exactly one of running / paused / stopped.
            models.CheckConstraint(
                condition=(
                    Q(
                        running_since__isnull=False,
                        paused_since__isnull=True,
                        stopped_at__isnull=True,
                    )
                    | Q(
                        running_since__isnull=True,
                        paused_since__isnull=False,
                        stopped_at__isnull=True,
                    )
                    | Q(
                        running_since__isnull=True,
                        paused_since__isnull=True,
                        stopped_at__isnull=False,
                    )
                ),
                name="sla_clock_one_phase",
            ),
            models.CheckConstraint(
                condition=Q(cancelled=False) | Q(stopped_at__isnull=False),
                name="sla_clock_cancelled_is_stopped",
            ),
            models.CheckConstraint(
                condition=Q(breached=False) | Q(breached_at__isnull=False),
                name="sla_clock_breach_has_instant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition_id}/{self.target_type} on {self.ticket_type_id}/{self.ticket_id}"

    # --- values at an instant, from this row's own fields only ---

    @property
    def is_running(self) -> bool:
        return self.stopped_at is None and self.paused_since is None

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    def elapsed_at(self, now: datetime) -> timedelta:
        """Working time counted by `now`."""
        if self.is_running and self.running_since is not None:
            return self.elapsed + get_calendar(self.calendar).between(self.running_since, now)
        return self.elapsed

    def remaining_at(self, now: datetime) -> timedelta | None:
        """Working time left before the target at `now` (negative once breached)."""
        if self.target is None:
            return None
        return self.target - self.elapsed_at(now)

    def is_breached_at(self, now: datetime) -> bool:
        if self.breached:
            return True
        return self.is_running and self.deadline is not None and self.deadline < now

    def is_at_risk_at(self, now: datetime) -> bool:
        if self.at_risk:
            return True
        return self.is_running and self.at_risk_at is not None and self.at_risk_at <= now

    def breach_instant_at(self, now: datetime) -> datetime | None:
        """When the target was exceeded, if it has been by `now`."""
        if self.breached:
            return self.breached_at
        return self.deadline if self.is_breached_at(now) else None

    def projected_deadline(self, now: datetime) -> datetime | None:
        """The deadline as it stands at `now`: a paused clock's moves on while it is paused."""
        if self.deadline is None or not self.is_paused:
            return self.deadline
        remaining = self.remaining_at(now)
        if remaining is None or remaining <= ZERO:
            return self.deadline
        return get_calendar(self.calendar).add(max(now, self.paused_since), remaining)

    def percent_elapsed_at(self, now: datetime) -> int | None:
        if not self.target:
            return None
        return int(self.elapsed_at(now) / self.target * 100)


class TicketSLAEvent(models.Model):
    """One step in a clock's life, with the working time of the segment that ends here.

    `counted` is working time the clock counted in that segment, `excluded` working time it did
    not (paused, or a resolution that was later rejected); `detail` may be shown to the
    participant, `note` is for the desk only.
    """

    class Kind(models.TextChoices):
        STARTED = "started", "Started"
        PAUSED = "paused", "Paused"
        RESUMED = "resumed", "Resumed"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        STOPPED = "stopped", "Stopped"
        CANCELLED = "cancelled", "Cancelled"
        REOPENED = "reopened", "Reopened"
        TARGET_AGREED = "target_agreed", "Target agreed"

    clock = models.ForeignKey(TicketSLA, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    counted = models.DurationField(default=ZERO)
    excluded = models.DurationField(default=ZERO)
    elapsed = models.DurationField(default=ZERO, help_text="Working time counted after this step.")
    detail = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "SLA clock event"
        ordering = ["at", "id"]
        indexes = [
            # Serves a clock's timeline: WHERE clock_id IN (...) ORDER BY at, id.
            models.Index(fields=["clock", "at", "id"], name="sla_event_clock_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"
