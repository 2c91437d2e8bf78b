"""SLA in the agents' lists (issue 3 point 7): time to breach, the SLA filter, and the triage
queue ordered by the triage clock's deadline (§4.1)."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.services import case_classify, case_transition
from sla.sweeps import sla_sweep
from tests.factories.cases import CaseFactory

CASES = reverse("admin:cases_case_changelist")


def _prioritised(caller, agent, *, impact=1, urgency=1):
    case = CaseFactory(caller=caller)
    case = case_transition(case=case, actor=agent, name="start")
    return case_classify(case=case, actor=agent, impact=impact, urgency=urgency)


def test_case_list_shows_time_to_breach(org_user, agent, agent_client):
    """A P1 (6 hours, 24x7, §3.10) shows the time left on its resolution clock."""
    _prioritised(org_user, agent)
    html = agent_client.get(CASES).content.decode()
    assert "Time to breach" in html
    assert "5 h 59 min" in html or "6 h 00 min" in html


def test_sla_filter_finds_breached_and_on_track_cases(org_user, agent, agent_client):
    late = _prioritised(org_user, agent)
    with time_machine.travel(timezone.now() + timedelta(hours=7), tick=False):
        on_time = _prioritised(org_user, agent)
        sla_sweep()
        breached = agent_client.get(CASES, {"sla": "breached"}).content.decode()
        on_track = agent_client.get(CASES, {"sla": "on_track"}).content.decode()
    assert late.number in breached and on_time.number not in breached
    assert on_time.number in on_track and late.number not in on_track


def test_sla_filter_finds_paused_cases(org_user, agent, agent_client):
    from cases.models import Case

    paused = _prioritised(org_user, agent, impact=3, urgency=3)
    paused = case_transition(
        case=paused, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_VENDOR
    )
    running = _prioritised(org_user, agent, impact=3, urgency=3)
    html = agent_client.get(CASES, {"sla": "paused"}).content.decode()
    assert paused.number in html and running.number not in html


def test_triage_queue_is_sorted_by_triage_deadline_and_shows_it(org_user, agent_client):
    """§4.1: every portal case gets first-line triage within 15 minutes of being raised."""
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        first = CaseFactory(caller=org_user)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        second = CaseFactory(caller=org_user)
    with time_machine.travel(start + timedelta(minutes=10), tick=False):
        html = agent_client.get(reverse("admin:cases_case_triage_queue")).content.decode()
    assert "Triage due" in html
    assert html.index(first.number) < html.index(second.number)
    due = timezone.localtime(start + timedelta(minutes=15)).strftime("%H:%M")
    assert due in html
