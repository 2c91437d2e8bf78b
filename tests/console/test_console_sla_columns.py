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


# --- issue 9: the columns cost the page, the queue reads an indexed column -------------------


def test_time_to_breach_sorts_the_whole_list_when_asked(org_user, agent, agent_client):
    """Sorting by the column orders every visible case by its nearest running deadline (the
    annotation is added for that order only)."""
    p4 = _prioritised(org_user, agent, impact=3, urgency=3)
    p1 = _prioritised(org_user, agent)
    response = agent_client.get(CASES)
    columns = list(response.context["cl"].list_display)
    by_deadline = columns.index("time_to_breach")
    html = agent_client.get(CASES, {"o": str(by_deadline)}).content.decode()
    assert html.index(p1.number) < html.index(p4.number)
    html = agent_client.get(CASES, {"o": f"-{by_deadline}"}).content.decode()
    assert html.index(p4.number) < html.index(p1.number)


def test_sla_filter_finds_at_risk_cases_not_breached_ones(org_user, agent, agent_client):
    """At risk (75% of a P1's 6 hours gone) but not breached; a breached case is not at risk."""
    late = _prioritised(org_user, agent)
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        risky = _prioritised(org_user, agent)
    with time_machine.travel(timezone.now() + timedelta(hours=6, minutes=50), tick=False):
        sla_sweep()
        html = agent_client.get(CASES, {"sla": "at_risk"}).content.decode()
    assert risky.number in html and late.number not in html


def test_a_long_case_list_reads_1000_plus_instead_of_counting_every_case(
    org_user, agent_client, monkeypatch
):
    """Issue 9: the console counts no further than the page needs (cap lowered for the test)."""
    from cases.admin import CaseAdmin

    monkeypatch.setattr(CaseAdmin, "list_count_cap", 2)
    monkeypatch.setattr(CaseAdmin, "list_per_page", 1)
    for _ in range(4):
        CaseFactory(caller=org_user)
    response = agent_client.get(CASES)
    assert response.context["cl"].paginator.capped
    assert "2+ cases" in " ".join(response.content.decode().split())
    last = agent_client.get(CASES, {"p": "4"})
    assert last.status_code == 200 and not last.context["cl"].paginator.capped
    assert "4 cases" in " ".join(last.content.decode().split())


def test_the_triage_deadline_is_kept_on_the_case_while_its_clock_runs(org_user, agent):
    """§4.1: a portal case carries its triage clock's deadline (15 minutes from raising) until
    triage stops the clock."""
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        case = CaseFactory(caller=org_user)
    case.refresh_from_db()
    assert case.triage_due_at == start + timedelta(minutes=15)
    case_transition(case=case, actor=agent, name="start")
    case.refresh_from_db()
    assert case.triage_due_at is None


def test_cases_without_a_triage_clock_follow_those_with_one_in_the_queue(
    org_user, agent, agent_client
):
    """A phone case (no portal triage clock) waits after the portal cases, however old."""
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        phoned = CaseFactory(caller=org_user, channel="phone")
    with time_machine.travel(start, tick=False):
        portal = CaseFactory(caller=org_user)
    assert phoned.triage_due_at is None and portal.triage_due_at is not None
    html = agent_client.get(reverse("admin:cases_case_triage_queue")).content.decode()
    assert html.index(portal.number) < html.index(phoned.number)


def test_a_search_past_the_cap_says_1000_plus_results(org_user, agent_client, monkeypatch):
    from cases.admin import CaseAdmin

    monkeypatch.setattr(CaseAdmin, "list_count_cap", 2)
    monkeypatch.setattr(CaseAdmin, "list_per_page", 1)
    for _ in range(4):
        CaseFactory(caller=org_user, short_description="Settlement file late")
    html = " ".join(agent_client.get(CASES, {"q": "Settlement"}).content.decode().split())
    assert "2+ results" in html
