"""The §8.4 risk matrix and the §8.7 / §8.9.2 CAB rule (`changes.risk`)."""

import pytest

from changes.risk import ChangeType, Rating, needs_cab, risk_for

H, M, L = Rating.HIGH, Rating.MEDIUM, Rating.LOW


@pytest.mark.parametrize(
    ("probability", "impact", "risk"),
    [
        (H, H, H),
        (H, M, H),
        (H, L, M),
        (M, H, H),
        (M, M, M),
        (M, L, L),
        (L, H, M),
        (L, M, L),
        (L, L, L),
    ],
)
def test_risk_matrix_gives_each_of_the_nine_cells(probability, impact, risk):
    """§8.4: rows are the probability, columns the impact (High, Medium, Low)."""
    assert risk_for(probability, impact) == risk


def test_risk_matrix_refuses_a_rating_outside_one_to_three():
    """§8.4 has three levels only; anything else is a programming error with a clear message."""
    with pytest.raises(ValueError, match="1 \\(High\\), 2 \\(Medium\\) or 3 \\(Low\\)"):
        risk_for(4, 1)


@pytest.mark.parametrize(
    ("risk", "impact", "expected"),
    [(H, H, True), (H, L, True), (L, H, True), (M, L, True), (L, M, True), (L, L, False)],
)
def test_normal_change_needs_cab_unless_low_risk_and_low_impact(risk, impact, expected):
    """§8.9.2: Normal changes with a risk or impact of 1 or 2 go to CAB; §8.7: Low risk and
    Low impact are assessed by the Change Manager without CAB."""
    assert needs_cab(ChangeType.NORMAL, risk, impact) is expected


@pytest.mark.parametrize("risk", [H, M, L])
def test_standard_change_never_needs_cab(risk):
    """§8.9.2: CAB excludes Standard changes, which are pre-approved."""
    assert needs_cab(ChangeType.STANDARD, risk, H) is False


def test_emergency_change_goes_to_ecab_not_the_weekly_cab():
    """§9.4: Emergency changes are authorised by the Emergency CAB."""
    assert needs_cab(ChangeType.EMERGENCY, H, H) is False


def test_unrated_normal_change_is_treated_as_needing_cab():
    """§8.9.2: until assessed, the cautious answer is that CAB is needed."""
    assert needs_cab(ChangeType.NORMAL, None, None) is True
