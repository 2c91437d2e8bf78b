"""The §5.9 thresholds, judged by `thresholds_for` from the data and the reviewer's answers:
each one met and not met at its boundary, in the manual's words."""

from datetime import timedelta
from decimal import Decimal

import pytest

from major_incidents.models import ValidityCriterion as C
from major_incidents.promotion import PromotionFacts, thresholds_for

P2_TARGET = timedelta(hours=24)


def facts(affected=0, whole=20, target=P2_TARGET, cyber=False, label="Incident P2 resolution"):
    return PromotionFacts(
        affected_organisations=affected,
        participant_organisations=whole,
        resolution_target=target,
        resolution_target_label=label,
        suspected_cyber=cyber,
    )


def judged(facts_, answers=None, hours=None) -> dict:
    return {result.key: result for result in thresholds_for(facts_, answers or {}, hours)}


def test_thresholds_use_the_manuals_wording():
    """§5.9: the four thresholds, named and worded as the manual has them."""
    results = judged(facts())
    assert [r.name for r in results.values()] == [
        "Impact Threshold",
        "Duration Threshold",
        "Compliance Risk Threshold",
        "Security Threshold",
    ]
    assert results["impact"].wording == (
        "Affecting more than 10% of market participants or a critical settlement function."
    )
    assert results["duration"].wording == (
        "Expected resolution time exceeds standard SLAs by 50% or more."
    )
    assert results["compliance"].wording == (
        "Any incident that risks non-compliance with regulatory obligations."
    )
    assert results["security"].wording == (
        "Any confirmed or suspected security breach affecting settlement data integrity."
    )


def test_impact_threshold_shows_the_share_of_organisations():
    """§5.9 Impact: "3 of 20 organisations (15%)", over 10%, so met."""
    impact = judged(facts(affected=3, whole=20))["impact"]
    assert impact.value == "3 of 20 organisations (15%)"
    assert impact.met


def test_impact_threshold_at_exactly_ten_percent_is_not_met():
    """§5.9 says "more than 10%": 2 of 20 is exactly 10%, so not met."""
    impact = judged(facts(affected=2, whole=20))["impact"]
    assert impact.value == "2 of 20 organisations (10%)"
    assert not impact.met


def test_impact_threshold_just_over_ten_percent_is_met():
    """101 of 1,000 participants is 10.1%: more than 10%."""
    impact = judged(facts(affected=101, whole=1000))["impact"]
    assert impact.value == "101 of 1000 organisations (10.1%)"
    assert impact.met


def test_impact_threshold_met_by_a_critical_settlement_function():
    """§5.9 "… or a critical settlement function": Critical process interruption recorded yes
    meets it whatever the share."""
    impact = judged(facts(affected=1, whole=20), {C.CRITICAL_PROCESS: True})["impact"]
    assert impact.met
    assert "Critical process interruption" in impact.value
    assert not judged(facts(affected=1, whole=20), {C.CRITICAL_PROCESS: False})["impact"].met


def test_impact_threshold_without_participants_on_record():
    impact = judged(facts(affected=0, whole=0))["impact"]
    assert not impact.met
    assert "No active participant organisations" in impact.value


def test_duration_threshold_met_at_exactly_one_and_a_half_times_the_target():
    """§5.9 Duration "by 50% or more": 36 hours against a 24-hour P2 target is met."""
    duration = judged(facts(), hours=Decimal("36"))["duration"]
    assert duration.met
    assert "Incident P2 resolution: 24 h 00 min" in duration.value
    assert "150%" in duration.value


def test_duration_threshold_just_under_one_and_a_half_times_is_not_met():
    assert not judged(facts(), hours=Decimal("35.99"))["duration"].met
    assert judged(facts(target=timedelta(hours=6)), hours=9)["duration"].met
    assert not judged(facts(target=timedelta(hours=6)), hours=8.99)["duration"].met


def test_duration_threshold_needs_the_expected_time_and_a_target():
    waiting = judged(facts(), hours=None)["duration"]
    assert not waiting.met
    assert waiting.value.startswith("Enter the expected resolution time")
    no_target = judged(facts(target=None, label=""), hours=100)["duration"]
    assert not no_target.met
    assert "No resolution SLA target" in no_target.value


@pytest.mark.parametrize("criterion", [C.REGULATORY_DEADLINE, C.NON_COMPLIANCE])
def test_compliance_threshold_met_by_either_regulatory_criterion(criterion):
    """§5.9 Compliance risk: any risk of non-compliance (§5.8 regulatory criteria)."""
    compliance = judged(facts(), {criterion: True})["compliance"]
    assert compliance.met
    assert criterion.label in compliance.value


def test_compliance_threshold_not_met_when_neither_is_recorded():
    compliance = judged(facts(), {C.REGULATORY_DEADLINE: False, C.NON_COMPLIANCE: False})[
        "compliance"
    ]
    assert not compliance.met
    assert compliance.value.startswith("Neither")


@pytest.mark.parametrize("criterion", [C.DATA_SECURITY, C.CYBERATTACK])
def test_security_threshold_met_by_either_security_criterion(criterion):
    """§5.9 Security: a confirmed or suspected breach (§5.8 security criteria)."""
    assert judged(facts(), {criterion: True})["security"].met


def test_security_threshold_met_by_a_suspected_cyber_incident():
    """§5.11 step 1: an incident raised as a suspected cyber incident meets it."""
    security = judged(facts(cyber=True))["security"]
    assert security.met
    assert "suspected cyber incident" in security.value
    assert not judged(facts(cyber=False))["security"].met
