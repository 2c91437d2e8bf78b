"""The console's SLA panel drawn in Python (issue 9) must be the markup its template drew:
`sla_panel_as_template.html` beside this file is that template, kept as the reference, and
both are drawn here for running, at-risk, paused, breached, stopped and cancelled clocks."""

import re
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from django.template import engines

from cases.services import case_classify, case_transition
from sla.calendar import LONDON
from sla.selectors import sla_timeline_for
from sla.sweeps import sla_sweep
from sla.templatetags.sla_tags import sla_panel
from tests.factories.cases import CaseFactory
from tickets.priority import Impact, Urgency

pytestmark = pytest.mark.django_db

RAISED = datetime(2026, 12, 3, 10, 0, tzinfo=LONDON)
REFERENCE = (Path(__file__).parent / "sla_panel_as_template.html").read_text()


def _squeezed(html: str) -> str:
    html = re.sub(r"\s+", " ", html.strip())
    return re.sub(r"\s*(<[^>]+>)\s*", r"\1", html)


def _both(clocks) -> tuple[str, str]:
    template = engines["django"].from_string(REFERENCE)
    return _squeezed(str(sla_panel(clocks))), _squeezed(template.render({"sla_clocks": clocks}))


def test_a_ticket_without_clocks_says_so():
    drawn, reference = _both([])
    assert drawn == reference
    assert "No service level applies" in drawn


def test_running_at_risk_paused_breached_stopped_and_cancelled_clocks_match(org_user, agent):
    with time_machine.travel(RAISED, tick=False) as travel:
        case = CaseFactory(caller=org_user)
        case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.HIGH)
        case = case_transition(case=case, actor=agent, name="start")
        drawn, reference = _both(sla_timeline_for(case))  # running, triage stopped
        assert drawn == reference
        travel.move_to(datetime(2026, 12, 8, 17, 0, tzinfo=LONDON))
        drawn, reference = _both(sla_timeline_for(case))  # at risk
        assert drawn == reference and "At risk" in drawn
        case = case_transition(case=case, actor=agent, name="hold", reason="awaiting_caller")
        drawn, reference = _both(sla_timeline_for(case))
        assert drawn == reference and "if work resumes now" in drawn
        case = case_transition(case=case, actor=agent, name="resume")
        travel.move_to(datetime(2027, 1, 29, 12, 0, tzinfo=LONDON))
        sla_sweep()
        drawn, reference = _both(sla_timeline_for(case))
        assert drawn == reference and "Breached" in drawn
        # A reclassification replaces the running clocks: the old ones show cancelled.
        case_classify(case=case, actor=agent, impact=Impact.HIGH, urgency=Urgency.HIGH)
        clocks = sla_timeline_for(case)
        drawn, reference = _both(clocks)
        assert drawn == reference


def test_text_in_a_clock_is_escaped(org_user, agent):
    with time_machine.travel(RAISED, tick=False):
        case = CaseFactory(caller=org_user)
        clocks = sla_timeline_for(case)
    from dataclasses import replace

    hostile = [replace(clocks[0], name="<script>x</script>", description="a & b")]
    drawn, reference = _both(hostile)
    assert drawn == reference
    assert "<script>" not in drawn
