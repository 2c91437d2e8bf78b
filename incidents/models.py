"""Incident: the technical teams' record, raised from a case at triage (§5, Appendix G)."""

from django.db import models

from tickets.models import Ticket
from tickets.registry import TicketType


class Incident(Ticket):
    """An unplanned interruption worked by resolver groups; participants never see it
    directly — the desk tells them through the case (Appendix G)."""

    NUMBER_PREFIX = "INC"

    # Staff only (Appendix G); the resolver group hears of a new incident (§5.17) and nobody
    # is emailed on its transitions: the desk tells callers through their cases.
    TICKET_TYPE = TicketType(
        participants_may_see=False,
        notifications={"created": "comms.notifications.incident_assigned"},
        api_slug="incidents",
        api_scope_label="Incidents, their work notes and SLA clocks",
        api="incidents.api.INCIDENT_API",
        api_actions=("start", "hold", "resume", "resolve", "cancel"),
    )

    class Meta(Ticket.Meta):
        permissions = [
            ("view_all_incident", "Can see every incident"),
            ("work_group_incident", "Can see and work incidents assigned to own resolver groups"),
        ]
        indexes = [
            # Serves resolver queues: open incidents of a group by priority.
            models.Index(
                fields=["assignment_group", "state", "priority"], name="incident_group_state"
            ),
        ]
