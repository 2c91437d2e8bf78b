"""One test per row of the manual's SLA tables, with concrete instants (§3.1, §3.10, §4.1,
§7.2, §14.4). Time is moved with time-machine; nothing sleeps."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from cases.services import case_classify, case_convert_to_request
from incidents.services import incident_create
from sla.calendar import LONDON
from sla.models import SLADefinition, TicketSLA
from sla.services import ticket_sla_agree_target
from tests.factories.cases import CaseFactory, category
from tickets.priority import Impact, Urgency

pytestmark = pytest.mark.django_db

# The §3.8 matrix cell that gives each priority.
P1 = {"impact": Impact.HIGH, "urgency": Urgency.HIGH}
P2 = {"impact": Impact.MEDIUM, "urgency": Urgency.HIGH}
P3 = {"impact": Impact.LOW, "urgency": Urgency.HIGH}
P4 = {"impact": Impact.LOW, "urgency": Urgency.LOW}


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def live_clocks(ticket) -> dict[str, TicketSLA]:
    """The ticket's clocks that are not cancelled, by definition name."""
    return {
        clock.definition.name: clock
        for clock in TicketSLA.objects.filter(
            ticket_type=ContentType.objects.get_for_model(ticket),
            ticket_id=ticket.pk,
            cancelled=False,
        ).select_related("definition")
    }


def raise_incident(agent, resolver_group, priority: dict):
    return incident_create(
        actor=agent,
        short_description="DIP outage",
        description="Messages are rejected.",
        category=category(),
        assignment_group=resolver_group,
        **priority,
    )


# --- §3.10: incident priorities ---


def test_p1_incident_is_due_6_hours_later_on_the_24x7_clock(agent, resolver_group):
    """§3.10 P1: a fix within 6 hours, on the 24x7 clock (§3.8)."""
    with time_machine.travel(london(2026, 12, 2, 14, 0), tick=False):
        incident = raise_incident(agent, resolver_group, P1)

    clock = live_clocks(incident)["Incident P1 resolution"]
    assert clock.calendar == "24x7"
    assert clock.target == timedelta(hours=6)
    assert clock.started_at == london(2026, 12, 2, 14, 0)
    assert clock.deadline == london(2026, 12, 2, 20, 0)
    assert clock.at_risk_at == london(2026, 12, 2, 18, 30)


def test_p1_raised_at_23_00_on_the_saturday_clocks_go_forward_is_due_05_00_utc(
    agent, resolver_group
):
    """§3.10 P1 on 24x7: raised 23:00 GMT on Sat 27 Mar 2027; the clocks go forward at 01:00 UTC
    on Sunday, so six real hours later is 05:00 UTC, which London calls 06:00 BST."""
    with time_machine.travel(london(2027, 3, 27, 23, 0), tick=False):
        incident = raise_incident(agent, resolver_group, P1)

    deadline = live_clocks(incident)["Incident P1 resolution"].deadline
    assert deadline == datetime(2027, 3, 28, 5, 0, tzinfo=UTC)
    assert deadline.astimezone(LONDON).hour == 6


def test_p2_incident_is_due_24_hours_later_through_the_weekend(agent, resolver_group):
    """§3.10 P2: 1 day on the 24x7 clock, so a Friday 16:00 incident is due Saturday 16:00."""
    with time_machine.travel(london(2026, 12, 4, 16, 0), tick=False):
        incident = raise_incident(agent, resolver_group, P2)

    clock = live_clocks(incident)["Incident P2 resolution"]
    assert clock.deadline == london(2026, 12, 5, 16, 0)


def test_p3_raised_on_the_friday_before_a_bank_holiday_monday_skips_the_holiday(
    agent, resolver_group
):
    """§3.10 P3: 5 business days; Mon 31 Aug 2026 is the summer bank holiday (§2.3.1), so a P3
    raised Fri 28 Aug 10:00 is due Mon 7 Sep 10:00."""
    with time_machine.travel(london(2026, 8, 28, 10, 0), tick=False):
        incident = raise_incident(agent, resolver_group, P3)

    clock = live_clocks(incident)["Incident P3 resolution"]
    assert clock.calendar == "business"
    assert clock.deadline == london(2026, 9, 7, 10, 0)


def test_p4_spanning_christmas_skips_christmas_boxing_day_substitute_and_new_year(
    agent, resolver_group
):
    """§3.10 P4: 20 business days. From Mon 14 Dec 2026 10:00 the days off are Fri 25 Dec,
    Mon 28 Dec (Boxing Day substitute) and Fri 1 Jan 2027, so it is due Thu 14 Jan 10:00."""
    with time_machine.travel(london(2026, 12, 14, 10, 0), tick=False):
        incident = raise_incident(agent, resolver_group, P4)

    assert live_clocks(incident)["Incident P4 resolution"].deadline == london(2027, 1, 14, 10, 0)


def test_case_classified_with_a_priority_is_due_from_when_it_was_raised(org_user, agent):
    """§3.8, §3.10: a case the desk classifies P3 an hour after it was raised is due five
    business days after it was raised, not after it was classified."""
    with time_machine.travel(london(2026, 12, 1, 9, 0), tick=False) as clock:
        case = CaseFactory(caller=org_user)
        clock.move_to(london(2026, 12, 1, 10, 0))
        case_classify(case=case, actor=agent, **P3)

    p3 = live_clocks(case)["Case P3 resolution"]
    assert p3.started_at == london(2026, 12, 1, 9, 0)
    assert p3.deadline == london(2026, 12, 8, 9, 0)


# --- §7.2: service requests ---


def _request(org_user, agent, request_type: str, raised: datetime, subject: str = "Access"):
    with time_machine.travel(raised, tick=False):
        case = CaseFactory(caller=org_user, short_description=subject)
        return case_convert_to_request(case=case, actor=agent, request_type=request_type)


def test_standard_request_response_1_business_day_resolution_5(org_user, agent):
    """§7.2 Standard: response within 1 business day, resolution within 5."""
    case = _request(org_user, agent, "standard", london(2026, 12, 1, 10, 0))

    clocks = live_clocks(case)
    assert clocks["Standard request response"].deadline == london(2026, 12, 2, 10, 0)
    assert clocks["Standard request resolution"].deadline == london(2026, 12, 8, 10, 0)


def test_standard_request_response_stops_when_triage_picks_it_up(org_user, agent):
    """§7.2, §3.3: the response is the first contact; triage moving the case to In Progress
    is it, so the response clock stops, met, at that instant."""
    with time_machine.travel(london(2026, 12, 1, 10, 0), tick=False) as clock:
        case = CaseFactory(caller=org_user)
        clock.move_to(london(2026, 12, 1, 10, 40))
        case = case_convert_to_request(case=case, actor=agent, request_type="standard")

    response = live_clocks(case)["Standard request response"]
    assert response.stopped_at == london(2026, 12, 1, 10, 40)
    assert response.elapsed == timedelta(minutes=40)
    assert not response.breached
    assert live_clocks(case)["Standard request resolution"].stopped_at is None


def test_complex_request_response_1_day_on_24x7_resolution_10_business_days(org_user, agent):
    """§7.2 Complex: response "within 1 day" (24 hours, 24x7: the table says "Business Day"
    where it means one), resolution within 5-10 business days (the upper bound)."""
    case = _request(org_user, agent, "complex", london(2026, 12, 4, 15, 0))

    clocks = live_clocks(case)
    assert clocks["Complex request response"].calendar == "24x7"
    assert clocks["Complex request response"].deadline == london(2026, 12, 5, 15, 0)
    assert clocks["Complex request resolution"].deadline == london(2026, 12, 18, 15, 0)


def test_high_priority_request_raised_at_16_00_gets_its_response_by_11_00_next_day(org_user, agent):
    """§7.2 High Priority: response within 4 business hours. Raised 16:00 on Tue 1 Dec 2026,
    1.5 hours count before 17:30 and 2.5 after 08:30 on Wednesday: due Wed 2 Dec 11:00."""
    case = _request(org_user, agent, "high_priority", london(2026, 12, 1, 16, 0))

    clocks = live_clocks(case)
    response = clocks["High Priority request response"]
    assert response.target == timedelta(hours=4)
    assert response.deadline == london(2026, 12, 2, 11, 0)
    assert clocks["High Priority request resolution"].deadline == london(2026, 12, 3, 16, 0)


def test_custom_request_response_2_business_days_resolution_agreed_per_request(org_user, agent):
    """§7.2 Custom: response within 2 business days; the resolution timeline is agreed per
    request, so its clock has no deadline until the agent enters the agreed target."""
    case = _request(org_user, agent, "custom", london(2026, 12, 1, 10, 0))

    clocks = live_clocks(case)
    assert clocks["Custom request response"].deadline == london(2026, 12, 3, 10, 0)
    resolution = clocks["Custom request resolution"]
    assert resolution.target is None and resolution.deadline is None

    with time_machine.travel(london(2026, 12, 2, 12, 0), tick=False):
        ticket_sla_agree_target(clock=resolution, target=timedelta(hours=15 * 9), actor=agent)

    resolution.refresh_from_db()
    assert resolution.target == timedelta(hours=135)
    assert resolution.deadline == london(2026, 12, 22, 10, 0)
    assert resolution.events.filter(kind="target_agreed").exists()


# --- §3.1, §14.4 acknowledgement and §4.1 triage ---


def test_acknowledgement_clock_is_15_minutes_24x7_and_stops_when_the_email_is_recorded(org_user):
    """§3.1, §14.4: an acknowledgement within 15 minutes of submission, any hour (the desk is
    24/7/365); the acknowledgement email written with the case stops the clock, met."""
    with time_machine.travel(london(2026, 12, 5, 23, 50), tick=False):
        case = CaseFactory(caller=org_user)

    ack = live_clocks(case)["Acknowledgement"]
    assert ack.calendar == "24x7"
    assert ack.deadline == london(2026, 12, 6, 0, 5)
    assert ack.stopped_at == london(2026, 12, 5, 23, 50)
    assert ack.stop_reason == "acknowledged"
    assert not ack.breached


def test_triage_clock_is_15_minutes_and_stops_when_triage_records_an_outcome(org_user, agent):
    """§4.1 step 2: first-line triage within 15 minutes of the case being raised, at any hour."""
    with time_machine.travel(london(2026, 12, 6, 3, 0), tick=False) as clock:
        case = CaseFactory(caller=org_user)
        triage = live_clocks(case)["First-line triage"]
        assert triage.deadline == london(2026, 12, 6, 3, 15)
        assert triage.at_risk_at == london(2026, 12, 6, 3, 11, 15)
        clock.move_to(london(2026, 12, 6, 3, 20))
        case_convert_to_request(case=case, actor=agent, request_type="standard")

    triage.refresh_from_db()
    assert triage.stopped_at == london(2026, 12, 6, 3, 20)
    assert triage.stop_reason == "triaged"
    assert triage.breached and triage.breached_at == london(2026, 12, 6, 3, 15)


def test_acknowledgement_and_triage_apply_only_to_portal_cases(org_user):
    """§3.1, §4.1: the 15-minute checks are for cases raised in the portal."""
    with time_machine.travel(london(2026, 12, 1, 10, 0), tick=False):
        portal = CaseFactory(caller=org_user)
        by_email = CaseFactory(caller=org_user, channel="email")

    assert {"Acknowledgement", "First-line triage"} <= set(live_clocks(portal))
    assert live_clocks(by_email) == {}


# --- §14.4 reporting ---


def test_report_request_first_response_24_business_hours_resolution_5_business_days(org_user):
    """§14.4 with §14.2 (subject "Report Request"): first response within 24 business hours,
    resolution within 5 business days. Raised Mon 30 Nov 2026 09:00: 8.5 h on Monday, 9 on
    Tuesday, 6.5 on Wednesday: the response is due Wed 2 Dec 15:00."""
    with time_machine.travel(london(2026, 11, 30, 9, 0), tick=False):
        case = CaseFactory(caller=org_user, short_description="Report Request: D0001 volumes")
        other = CaseFactory(caller=org_user, short_description="Reporting is broken")

    clocks = live_clocks(case)
    assert clocks["Report request first response"].deadline == london(2026, 12, 2, 15, 0)
    assert clocks["Report request resolution"].deadline == london(2026, 12, 7, 9, 0)
    assert "Report request resolution" not in live_clocks(other)


def test_every_table_row_is_seeded_as_a_definition():
    """§3.10, §7.2, §3.1, §4.1, §14.4: the seed holds a definition for every row."""
    names = set(SLADefinition.objects.values_list("name", flat=True))
    expected = {f"{kind} P{n} resolution" for kind in ("Incident", "Case") for n in range(1, 5)}
    expected |= {
        f"{label} request {what}"
        for label in ("Standard", "Complex", "High Priority", "Custom")
        for what in ("response", "resolution")
    }
    expected |= {
        "Acknowledgement",
        "First-line triage",
        "Report request first response",
        "Report request resolution",
    }
    assert expected <= names
    assert SLADefinition.objects.get(name="Custom request resolution").duration is None
    assert SLADefinition.objects.filter(at_risk_percent=75).count() == len(names)
