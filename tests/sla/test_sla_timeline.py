"""The explanation of each clock (issue 3 §5): events with the working time counted per
segment, for the desk and, without internal details, for the participant (§3.10, §5.12)."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.template.loader import render_to_string

from cases.services import case_classify, case_transition
from sla.calendar import LONDON
from sla.selectors import case_target_resolution, format_working_time, sla_timeline_for
from tests.factories.cases import CaseFactory
from tickets.priority import Impact, Urgency

pytestmark = pytest.mark.django_db


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def held_case(org_user, agent):
    """Raised Thu 3 Dec 2026 10:00 as P3, On Hold (Awaiting Caller) Fri 15:00 to Mon 11:00,
    then raised to P4 at Mon 12:00; the timeline is read at Mon 13:00."""
    with time_machine.travel(london(2026, 12, 3, 10, 0), tick=False) as clock:
        case = CaseFactory(caller=org_user)
        case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.HIGH)
        case = case_transition(case=case, actor=agent, name="start")
        clock.move_to(london(2026, 12, 4, 15, 0))
        case = case_transition(case=case, actor=agent, name="hold", reason="awaiting_caller")
        clock.move_to(london(2026, 12, 7, 11, 0))
        case = case_transition(case=case, actor=agent, name="resume")
        clock.move_to(london(2026, 12, 7, 12, 0))
        case = case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.LOW)
    return case


NOW = london(2026, 12, 7, 13, 0)


def test_timeline_shows_each_clock_with_its_segments(held_case):
    """Each clock lists started, paused (why), resumed, priority changed, with the business
    time counted in each segment (§5.12)."""
    clocks = {view.name: view for view in sla_timeline_for(held_case, now=NOW)}

    p4 = clocks["Case P4 resolution"]
    assert [e.kind for e in p4.events] == ["started", "paused", "resumed", "priority_changed"]
    started, paused, resumed, changed = p4.events
    assert paused.detail == "On Hold — Awaiting Caller"
    assert paused.counted == timedelta(hours=14)
    assert resumed.excluded == timedelta(hours=5)
    assert changed.counted == timedelta(hours=1)
    assert "Priority changed from P3 to P4" in changed.detail
    assert p4.elapsed == timedelta(hours=16)
    assert p4.status == "Running"
    assert p4.percent == 8

    p3 = clocks["Case P3 resolution"]
    assert p3.cancelled and p3.status == "Cancelled (replaced)"
    assert clocks["First-line triage"].status == "Met — First response: In Progress"
    assert clocks["Acknowledgement"].status == "Met — Acknowledgement sent"


def test_participant_timeline_leaves_out_internal_clocks_and_notes(held_case):
    """The participant sees their case's clocks, not the desk's triage clock, cancelled clocks,
    at-risk warnings or desk notes."""
    views = sla_timeline_for(held_case, for_participant=True, now=NOW)

    assert [v.name for v in views] == ["Acknowledgement", "Case P4 resolution"]
    assert all(not e.note for v in views for e in v.events)
    assert not any(v.internal for v in views)


def test_paused_clock_shows_where_its_deadline_stands_now(held_case, agent):
    """§5.12: while On Hold the deadline moves on; the view shows it as if work resumed now."""
    with time_machine.travel(london(2026, 12, 7, 14, 0), tick=False):
        case = case_transition(case=held_case, actor=agent, name="hold", reason="awaiting_vendor")
    later = london(2026, 12, 8, 10, 0)
    p4 = next(v for v in sla_timeline_for(case, now=later) if v.name == "Case P4 resolution")

    assert p4.phase == "paused"
    assert p4.status == "Paused — Awaiting Vendor"
    assert p4.elapsed == timedelta(hours=17)
    assert p4.deadline == p4.clock.projected_deadline(later) > p4.clock.deadline


def test_target_resolution_date_appears_once_the_case_is_prioritised(org_user, agent):
    """§3.8, issue 3 §7: the participant sees a target resolution date once the desk has
    prioritised the case; before that there is none."""
    with time_machine.travel(london(2026, 8, 28, 10, 0), tick=False):
        case = CaseFactory(caller=org_user)
        assert case_target_resolution(case) is None
        case = case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.HIGH)
        assert case_target_resolution(case) == london(2026, 9, 7, 10, 0)
        # The page reads its clocks once: from the participant's timeline, the same date.
        clocks = sla_timeline_for(case, for_participant=True)
        assert case_target_resolution(case, clocks=clocks) == london(2026, 9, 7, 10, 0)


def test_clock_timeline_partial_renders_a_semantic_table_without_script(held_case):
    """The partial others include: one table per clock with a caption and column headers, no
    inline script (docs/conventions.md §8), and desk notes only in the desk's version."""
    with time_machine.travel(NOW, tick=False):
        desk = render_to_string(
            "sla/_clock_timeline.html", {"sla_clocks": sla_timeline_for(held_case)}
        )
        portal = render_to_string(
            "sla/_clock_timeline.html",
            {"sla_clocks": sla_timeline_for(held_case, for_participant=True)},
        )

    assert "<script" not in desk and "<script" not in portal
    assert desk.count("<table") == desk.count("<caption>") == 4
    assert '<th scope="col">When</th>' in desk
    assert "Paused: On Hold — Awaiting Caller" in desk
    assert "Fri 4 Dec 2026, 15:00" in desk
    assert "Desk note" in desk and "Desk note" not in portal
    assert "First-line triage" not in portal
    assert portal.count("<table") == 2
    empty = render_to_string("sla/_clock_timeline.html", {"sla_clocks": []})
    assert "No service level applies" in empty


def test_timeline_reads_a_constant_number_of_queries(held_case, django_assert_num_queries):
    """docs/conventions.md §7: the clocks joined with their definitions and events — one query
    at any size (issue 9)."""
    with django_assert_num_queries(1):
        sla_timeline_for(held_case, now=NOW)


def test_a_clock_without_events_is_still_listed(held_case):
    """The clocks are read joined with their events: a clock with none (never so from the
    engine, but a row may be edited) is listed with an empty timeline, not dropped."""
    from sla.models import TicketSLAEvent

    p4 = next(v for v in sla_timeline_for(held_case, now=NOW) if v.name == "Case P4 resolution")
    TicketSLAEvent.objects.filter(clock_id=p4.clock.pk).delete()
    again = {view.name: view for view in sla_timeline_for(held_case, now=NOW)}
    assert list(again) == [view.name for view in sla_timeline_for(held_case, now=NOW)]
    assert again["Case P4 resolution"].events == ()
    assert again["Case P4 resolution"].elapsed == p4.elapsed
    assert len(again["Acknowledgement"].events) > 0


def test_working_time_is_shown_in_hours_and_minutes():
    assert format_working_time(timedelta(hours=45)) == "45 h 00 min"
    assert format_working_time(timedelta(minutes=-90)) == "-1 h 30 min"
    assert format_working_time(None) == "—"
