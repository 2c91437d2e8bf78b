"""Two test-only ticket types, declared as every real type is (tickets.registry).

- `ProbeTicket`: the shared lifecycle and every default — participants see it, the
  communications defaults tell people, the kernel's generic console and API serve it.
- `ProbeChange`: its own states and transitions (New → Assess → Authorise → Closed, any open
  state → Cancelled) with a required choice argument and a precondition, staff only, as a
  change will be (issue 8 point 2).
"""

from django.db import models
from django.utils import timezone
from django_fsm import FSMField, transition

from core.errors import ValidationFailed
from tickets.lifecycle import Action, Argument, Lifecycle
from tickets.models import Ticket, is_desk_member
from tickets.registry import LinkRule, TicketType


class ProbeTicket(Ticket):
    NUMBER_PREFIX = "TST"
    TICKET_TYPE = TicketType(
        participants_may_see=True,
        api_slug="probe-tickets",
        link_rules=(
            # A change closed → the tickets waiting on it leave "Awaiting Change".
            LinkRule(
                kind="incident_change",
                source="probe_tickets.probechange",
                target="probe_tickets.probeticket",
                on_states=("closed",),
                target_states=("on_hold",),
                run="tests.probe_tickets.models.resume_when_change_closes",
                source_is="to",
            ),
        ),
    )

    class Meta(Ticket.Meta):
        app_label = "probe_tickets"
        permissions = [("view_all_probeticket", "Can see every probe ticket")]


def resume_when_change_closes(ticket, *, source, result, arguments) -> None:
    """Link rule: back to work once the change it waited on is closed."""
    from tickets.services import ticket_transition

    if ticket.hold_reason == Ticket.HoldReason.AWAITING_CHANGE:
        ticket_transition(
            ticket=ticket, name="resume", actor=None, note=f"{source.number} is closed."
        )


def plan_written(ticket, arguments) -> None:
    """Precondition of `authorise`: nobody authorises a change without an implementation plan."""
    if not ticket.plan.strip():
        raise ValidationFailed(
            "Write the implementation plan before authorising.",
            field_errors={"plan": ["An implementation plan is required."]},
        )


class ProbeChange(Ticket):
    NUMBER_PREFIX = "TCH"

    class State(models.TextChoices):
        NEW = "new", "New"
        ASSESS = "assess", "Assess"
        AUTHORISE = "authorise", "Authorise"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class Risk(models.TextChoices):
        LOW = "low", "Low"
        HIGH = "high", "High"

    OPEN_STATES = (State.NEW, State.ASSESS, State.AUTHORISE)

    state = FSMField(default=State.NEW, choices=State.choices, protected=True)
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    plan = models.TextField(blank=True)

    TICKET_TYPE = TicketType(
        participants_may_see=False,
        api_slug="probe-changes",
        lifecycle=Lifecycle(
            actions=(
                Action(
                    "assess",
                    label="assess",
                    button="Assess",
                    slug="assess",
                    arguments=(
                        Argument(
                            "risk",
                            "Risk",
                            required=True,
                            choices="Risk",
                            missing="Choose the risk.",
                            field_message="Choose a risk.",
                        ),
                    ),
                    note=None,
                ),
                Action(
                    "authorise",
                    label="authorise",
                    button="Authorise",
                    slug="authorise",
                    preconditions=(plan_written,),
                ),
                Action("close", label="close", button="Close", slug="close"),
                Action(
                    "cancel",
                    label="cancel",
                    button="Cancel",
                    slug="cancel",
                    arguments=(
                        Argument(
                            "reason",
                            "Cancel reason",
                            required=True,
                            choices="CancelReason",
                            missing="Choose why it is cancelled.",
                            field_message="Choose a cancel reason.",
                        ),
                    ),
                ),
            )
        ),
    )

    class Meta(Ticket.Meta):
        app_label = "probe_tickets"
        permissions = [("view_all_probechange", "Can see every probe change")]

    @transition(field=state, source=State.NEW, target=State.ASSESS, permission=is_desk_member)
    def assess(self, *, risk: str) -> None:
        self.risk = risk

    @transition(field=state, source=State.ASSESS, target=State.AUTHORISE, permission=is_desk_member)
    def authorise(self) -> None:
        pass

    @transition(field=state, source=State.AUTHORISE, target=State.CLOSED, permission=is_desk_member)
    def close(self) -> None:
        self.closed_at = timezone.now()
        self.active = False

    @transition(field=state, source=OPEN_STATES, target=State.CANCELLED, permission=is_desk_member)
    def cancel(self, *, reason: str) -> None:
        self.cancel_reason = reason
        self.closed_at = timezone.now()
        self.active = False
