"""The change risk matrix of §8.4 and the CAB rule of §8.7 and §8.9.2.

Pure functions over the three-level ratings (1 High, 2 Medium, 3 Low: the "risk or impact
rating of 1 or 2" of §8.9.2), usable anywhere and tested without a database.
"""

from django.db import models


class Rating(models.IntegerChoices):
    """A probability, impact or risk level (§8.4–§8.6); 1 is the highest, as §8.9.2 counts."""

    HIGH = 1, "1 - High"
    MEDIUM = 2, "2 - Medium"
    LOW = 3, "3 - Low"


class ChangeType(models.TextChoices):
    """The types of change of §8.1.2."""

    STANDARD = "standard", "Standard"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


# §8.4, rows = probability, columns = impact (High, Medium, Low).
_MATRIX = {
    (Rating.HIGH, Rating.HIGH): Rating.HIGH,
    (Rating.HIGH, Rating.MEDIUM): Rating.HIGH,
    (Rating.HIGH, Rating.LOW): Rating.MEDIUM,
    (Rating.MEDIUM, Rating.HIGH): Rating.HIGH,
    (Rating.MEDIUM, Rating.MEDIUM): Rating.MEDIUM,
    (Rating.MEDIUM, Rating.LOW): Rating.LOW,
    (Rating.LOW, Rating.HIGH): Rating.MEDIUM,
    (Rating.LOW, Rating.MEDIUM): Rating.LOW,
    (Rating.LOW, Rating.LOW): Rating.LOW,
}


def risk_for(probability: int, impact: int) -> Rating:
    """The risk the §8.4 matrix gives for a probability of disruption and an impact."""
    try:
        return _MATRIX[(Rating(probability), Rating(impact))]
    except ValueError as exc:
        raise ValueError(
            f"probability and impact must be 1 (High), 2 (Medium) or 3 (Low), "
            f"not {probability!r}/{impact!r}"
        ) from exc


def needs_cab(change_type: str, risk: int | None, impact: int | None) -> bool:
    """Whether the weekly CAB must authorise the change (§8.7, §8.9.2).

    A Normal change with a risk or an impact of High or Medium goes to CAB; a Normal change of
    Low risk and Low impact is authorised by the Change Manager alone. Standard changes are
    pre-approved and never go to CAB; Emergency changes go to the Emergency CAB (§9.4), not
    the weekly one. A Normal change not yet rated is treated as needing CAB (the cautious
    answer until the assessment says otherwise).
    """
    if change_type != ChangeType.NORMAL:
        return False
    if risk is None or impact is None:
        return True
    return Rating(risk) != Rating.LOW or Rating(impact) != Rating.LOW
