"""Replay and `manage.py sla_recompute` (issue 3 §4, §3.10): clocks rebuilt from the ticket's
own history agree with the live ones, and a stored clock that does not is reported."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command

from cases.services import case_classify, case_convert_to_request, case_transition
from incidents.services import incident_create, incident_transition
from sla.calendar import LONDON
from sla.models import SLADefinition, TicketSLA
from sla.replay import clock_differences, replay_clocks
from sla.services import ticket_sla_agree_target
from tests.factories.cases import CaseFactory, category
from tickets.priority import Impact, Urgency

pytestmark = pytest.mark.django_db


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def recompute(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("sla_recompute", *args, stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def lifecycle_case(org_user, agent):
    """A case through triage, a priority change, a weekend hold, a rejected resolution and
    closure, with time moving between each step."""
    with time_machine.travel(london(2026, 12, 3, 16, 45), tick=False) as clock:
        case = CaseFactory(caller=org_user)
        clock.shift(timedelta(minutes=20))
        case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.HIGH)
        case = case_transition(case=case, actor=agent, name="start")
        clock.move_to(london(2026, 12, 4, 14, 10))
        case = case_transition(case=case, actor=agent, name="hold", reason="awaiting_caller")
        clock.move_to(london(2026, 12, 7, 9, 5))
        case = case_transition(case=case, actor=agent, name="resume")
        case = case_classify(case=case, actor=agent, impact=Impact.MEDIUM, urgency=Urgency.HIGH)
        clock.move_to(london(2026, 12, 7, 18, 0))
        case = case_transition(case=case, actor=agent, name="resolve", notes="Fixed.")
        clock.move_to(london(2026, 12, 8, 9, 0))
        case = case_transition(case=case, actor=agent, name="reject_resolution", note="No.")
        clock.move_to(london(2026, 12, 8, 11, 0))
        case = case_transition(case=case, actor=agent, name="resolve", notes="Fixed again.")
        clock.move_to(london(2026, 12, 9, 11, 0))
        case = case_transition(case=case, actor=agent, name="close")
    return case


def test_replay_from_history_agrees_with_the_live_clocks_after_a_full_lifecycle(lifecycle_case):
    """Issue 3 §4: the live engine and the replay agree, field for field and event for event."""
    assert clock_differences(lifecycle_case) == []
    replayed = replay_clocks(lifecycle_case)
    names = {c.definition_id for c in replayed}
    assert SLADefinition.objects.get(name="Case P2 resolution").pk in names
    assert sum(1 for c in replayed if c.cancelled) == 1


def test_sla_recompute_reports_no_differences_after_a_scripted_lifecycle(lifecycle_case):
    """`sla_recompute NUMBER` exits 0 and says so when the stored clocks are right."""
    status, output = recompute(lifecycle_case.number)

    assert status == 0
    assert "1 ticket(s) checked, 0 with differences" in output


def test_sla_recompute_reports_a_tampered_clock_and_exits_1(lifecycle_case):
    """A stored clock that no longer matches the history is reported, with the field, and the
    command fails so a check job notices."""
    clock = TicketSLA.objects.get(
        ticket_type=ContentType.objects.get_for_model(lifecycle_case),
        ticket_id=lifecycle_case.pk,
        definition__name="Case P2 resolution",
    )
    TicketSLA.objects.filter(pk=clock.pk).update(
        paused_total=clock.paused_total - timedelta(hours=1)
    )

    status, output = recompute(lifecycle_case.number)

    assert status == 1
    assert f"{lifecycle_case.number}: 1 difference(s)" in output
    assert "Case P2 resolution" in output and "paused_total" in output


def test_sla_recompute_fix_rebuilds_the_clocks_from_history(lifecycle_case):
    """`--fix` rewrites the stored clocks from the replay; a second run finds nothing."""
    ticket_type = ContentType.objects.get_for_model(lifecycle_case)
    clocks = TicketSLA.objects.filter(ticket_type=ticket_type, ticket_id=lifecycle_case.pk)
    clocks.filter(definition__name="Case P2 resolution").update(deadline=london(2030, 1, 1, 9, 0))
    clocks.filter(definition__name="Acknowledgement").delete()

    status, output = recompute("--all", "--fix")
    assert status == 0
    assert "fixed" in output

    assert recompute("--all")[0] == 0
    assert clock_differences(lifecycle_case) == []


def test_sla_recompute_checks_incidents_by_number(agent, resolver_group):
    """Incidents are recomputed the same way (§3.10)."""
    with time_machine.travel(london(2026, 12, 24, 15, 0), tick=False) as clock:
        incident = incident_create(
            actor=agent,
            short_description="DIP down",
            description="All messages fail.",
            category=category(),
            assignment_group=resolver_group,
            impact=Impact.LOW,
            urgency=Urgency.MEDIUM,
        )
        clock.shift(timedelta(hours=1))
        incident = incident_transition(incident=incident, actor=agent, name="start")
        clock.move_to(london(2027, 1, 5, 9, 0))
        incident_transition(
            incident=incident, actor=agent, name="resolve", notes="Restarted.", code="solved"
        )

    assert recompute(incident.number) == (0, "1 ticket(s) checked, 0 with differences\n")


def test_sla_recompute_refuses_unknown_numbers_and_no_arguments():
    with pytest.raises(CommandError, match="No such ticket: CS9999999"):
        call_command("sla_recompute", "CS9999999")
    with pytest.raises(CommandError, match="--all"):
        call_command("sla_recompute")


def test_replay_judges_a_clock_on_the_terms_recorded_when_it_started(org_user, agent):
    """Editing a definition later does not rewrite a clock already running, in the live engine
    or in the replay (§3.10 figures stay defensible)."""
    with time_machine.travel(london(2026, 12, 1, 10, 0), tick=False):
        case = CaseFactory(caller=org_user)
        case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.HIGH)
    SLADefinition.objects.filter(name="Case P3 resolution").update(duration=timedelta(hours=90))

    assert clock_differences(case) == []


def test_replay_keeps_an_agreed_custom_target(org_user, agent):
    """§7.2 Custom: the agreed target is part of the clock's record; the replay uses it."""
    with time_machine.travel(london(2026, 12, 1, 10, 0), tick=False) as clock:
        case = CaseFactory(caller=org_user)
        case = case_convert_to_request(case=case, actor=agent, request_type="custom")
        resolution = TicketSLA.objects.get(
            ticket_type=ContentType.objects.get_for_model(case),
            ticket_id=case.pk,
            definition__name="Custom request resolution",
        )
        clock.shift(timedelta(days=1))
        ticket_sla_agree_target(clock=resolution, target=timedelta(hours=27), actor=agent)
        clock.shift(timedelta(days=1))
        case_transition(case=case, actor=agent, name="hold", reason="awaiting_caller")

    assert clock_differences(case) == []
