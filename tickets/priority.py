"""The priority matrix of §3.8: impact × urgency → P1..P4, set by the desk only."""

from django.db import models


class Impact(models.IntegerChoices):
    HIGH = 1, "High — system wide"
    MEDIUM = 2, "Medium — multiple users"
    LOW = 3, "Low — single user"


class Urgency(models.IntegerChoices):
    HIGH = 1, "High — primary functions not working"
    MEDIUM = 2, "Medium — impaired, workaround in place"
    LOW = 3, "Low — inconvenient"


class Priority(models.IntegerChoices):
    P1 = 1, "P1 — 6 hours"
    P2 = 2, "P2 — 1 day"
    P3 = 3, "P3 — 5 business days"
    P4 = 4, "P4 — 20 business days"


_MATRIX = {
    (Impact.HIGH, Urgency.HIGH): Priority.P1,
    (Impact.MEDIUM, Urgency.HIGH): Priority.P2,
    (Impact.LOW, Urgency.HIGH): Priority.P3,
    (Impact.HIGH, Urgency.MEDIUM): Priority.P2,
    (Impact.MEDIUM, Urgency.MEDIUM): Priority.P3,
    (Impact.LOW, Urgency.MEDIUM): Priority.P4,
    (Impact.HIGH, Urgency.LOW): Priority.P3,
    (Impact.MEDIUM, Urgency.LOW): Priority.P4,
    (Impact.LOW, Urgency.LOW): Priority.P4,
}


def priority_for(impact: int, urgency: int) -> Priority:
    """Return the priority the §3.8 matrix gives for an impact and an urgency."""
    try:
        return _MATRIX[(Impact(impact), Urgency(urgency))]
    except ValueError as exc:
        raise ValueError(
            f"impact and urgency must be 1, 2 or 3, not {impact!r}/{urgency!r}"
        ) from exc
