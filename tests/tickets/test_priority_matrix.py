"""The priority matrix of §3.8, all nine cells."""

import pytest

from tickets.priority import Impact, Priority, Urgency, priority_for


@pytest.mark.parametrize(
    ("impact", "urgency", "expected"),
    [
        (Impact.HIGH, Urgency.HIGH, Priority.P1),
        (Impact.MEDIUM, Urgency.HIGH, Priority.P2),
        (Impact.LOW, Urgency.HIGH, Priority.P3),
        (Impact.HIGH, Urgency.MEDIUM, Priority.P2),
        (Impact.MEDIUM, Urgency.MEDIUM, Priority.P3),
        (Impact.LOW, Urgency.MEDIUM, Priority.P4),
        (Impact.HIGH, Urgency.LOW, Priority.P3),
        (Impact.MEDIUM, Urgency.LOW, Priority.P4),
        (Impact.LOW, Urgency.LOW, Priority.P4),
    ],
)
def test_priority_matrix_cell(impact, urgency, expected):
    """§3.8: each impact × urgency cell gives the priority printed in the manual."""
    assert priority_for(impact, urgency) == expected


@pytest.mark.parametrize(("impact", "urgency"), [(0, 1), (1, 4), (None, 1), ("high", 1)])
def test_priority_matrix_refuses_values_outside_the_scale(impact, urgency):
    with pytest.raises(ValueError, match="impact and urgency must be 1, 2 or 3"):
        priority_for(impact, urgency)
