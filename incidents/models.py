"""Incident: the technical teams' record, raised from a case at triage (§5, Appendix G)."""

from django.db import models

from tickets.models import Ticket


class Incident(Ticket):
    """An unplanned interruption worked by resolver groups; participants never see it
    directly — the desk tells them through the case (Appendix G)."""

    NUMBER_PREFIX = "INC"
    PARTICIPANTS_MAY_SEE = False

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
