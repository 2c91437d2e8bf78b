"""The live engine, `ticket_sla_sync`, as the ticket services drive it (§3.8, §3.10, §5.12,
§7.2, §10.3): pauses On Hold, resumes, stops, reopens on a rejected resolution, and replaces a
clock when the priority changes. Time is moved with time-machine."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from cases.services import case_classify, case_convert_to_request, case_transition
from sla.calendar import BUSINESS, LONDON, TWENTY_FOUR_SEVEN
from sla.models import TicketSLA
from sla.services import ticket_sla_sync
from tests.factories.cases import CaseFactory
from tickets.priority import Impact, Urgency

pytestmark = pytest.mark.django_db

P2 = {"impact": Impact.MEDIUM, "urgency": Urgency.HIGH}
P3 = {"impact": Impact.LOW, "urgency": Urgency.HIGH}
P4 = {"impact": Impact.LOW, "urgency": Urgency.LOW}


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def clocks_of(case, name: str) -> list[TicketSLA]:
    return list(
        TicketSLA.objects.filter(
            ticket_type=ContentType.objects.get_for_model(case),
            ticket_id=case.pk,
            definition__name=name,
        ).order_by("id")
    )


def clock(case, name: str) -> TicketSLA:
    (live,) = [c for c in clocks_of(case, name) if not c.cancelled]
    return live


def kinds(clock_row: TicketSLA) -> list[str]:
    return list(clock_row.events.order_by("at", "id").values_list("kind", flat=True))


@pytest.fixture
def travel():
    """Time stands still at the start of each test until it is moved."""
    with time_machine.travel(london(2026, 12, 3, 10, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def p3_case(travel, org_user, agent):
    """A case raised Thu 3 Dec 2026 10:00, classified P3 and picked up at once."""
    case = CaseFactory(caller=org_user)
    case_classify(case=case, actor=agent, **P3)
    return case_transition(case=case, actor=agent, name="start")


def test_on_hold_over_a_weekend_pauses_the_resolution_clock(travel, p3_case, agent):
    """§5.12: On Hold pauses the SLA clock. P3 raised Thu 3 Dec 10:00 (due Thu 10 Dec 10:00),
    on hold Fri 15:00 to Mon 11:00: 2.5 + 2.5 business hours are not counted, so it is due
    Thu 10 Dec 15:00."""
    assert clock(p3_case, "Case P3 resolution").deadline == london(2026, 12, 10, 10, 0)
    travel.move_to(london(2026, 12, 4, 15, 0))
    case = case_transition(case=p3_case, actor=agent, name="hold", reason="awaiting_caller")

    paused = clock(case, "Case P3 resolution")
    assert paused.paused_since == london(2026, 12, 4, 15, 0)
    assert paused.elapsed == timedelta(hours=14)
    assert paused.elapsed_at(london(2026, 12, 7, 10, 0)) == timedelta(hours=14)

    travel.move_to(london(2026, 12, 7, 11, 0))
    case = case_transition(case=case, actor=agent, name="resume")

    resumed = clock(case, "Case P3 resolution")
    assert resumed.paused_since is None
    assert resumed.running_since == london(2026, 12, 7, 11, 0)
    assert resumed.paused_total == timedelta(hours=5)
    assert resumed.deadline == london(2026, 12, 10, 15, 0)
    events = list(resumed.events.order_by("at", "id"))
    assert [e.kind for e in events] == ["started", "paused", "resumed"]
    assert events[1].counted == timedelta(hours=14)
    assert events[1].detail == "On Hold — Awaiting Caller"
    assert events[2].excluded == timedelta(hours=5)


@pytest.mark.parametrize("reason", [r.value for r in Case.HoldReason])
def test_every_hold_reason_pauses_the_clock(travel, p3_case, agent, reason):
    """§5.12: On Hold pauses the clock whatever the subcategory."""
    travel.shift(timedelta(hours=1))
    case = case_transition(case=p3_case, actor=agent, name="hold", reason=reason)

    assert clock(case, "Case P3 resolution").paused_since == london(2026, 12, 3, 11, 0)


def test_a_24x7_clock_on_hold_over_a_weekend_excludes_the_whole_weekend(travel, org_user, agent):
    """§3.10 P2 on 24x7, §5.12: the pause is measured on the clock's own calendar, so Fri 15:00
    to Mon 11:00 keeps 68 hours out of a P2 clock."""
    case = CaseFactory(caller=org_user)
    case_classify(case=case, actor=agent, **P2)
    case = case_transition(case=case, actor=agent, name="start")
    travel.move_to(london(2026, 12, 4, 9, 0))
    case = case_transition(case=case, actor=agent, name="hold", reason="awaiting_vendor")
    travel.move_to(london(2026, 12, 7, 5, 0))
    case = case_transition(case=case, actor=agent, name="resume")

    p2 = clock(case, "Case P2 resolution")
    assert p2.elapsed == timedelta(hours=23)
    assert p2.paused_total == timedelta(hours=68)
    assert p2.deadline == london(2026, 12, 7, 6, 0)


def test_resolving_in_time_stops_the_resolution_clock_met(travel, p3_case, agent):
    """§10.3: the clock stops at Resolved; resolved before the deadline it is met, though
    past 75% of its target (38 of 45 business hours) it was at risk."""
    travel.move_to(london(2026, 12, 9, 12, 0))
    case = case_transition(case=p3_case, actor=agent, name="resolve", notes="Fixed the mapping.")

    stopped = clock(case, "Case P3 resolution")
    assert stopped.stopped_at == london(2026, 12, 9, 12, 0)
    assert stopped.elapsed == timedelta(hours=38)
    assert stopped.stop_reason == "resolved"
    assert not stopped.breached and stopped.at_risk


def test_resolving_after_the_deadline_records_the_breach_at_the_deadline(travel, p3_case, agent):
    """§3.10: resolved after its deadline, the clock is breached, as of the deadline itself."""
    travel.move_to(london(2026, 12, 11, 9, 0))
    case = case_transition(case=p3_case, actor=agent, name="resolve", notes="Fixed late.")

    stopped = clock(case, "Case P3 resolution")
    assert stopped.breached
    assert stopped.breached_at == london(2026, 12, 10, 10, 0)


def test_closing_after_resolution_keeps_the_clock_stopped_at_resolution(travel, p3_case, agent):
    """§10.3: Resolved → Closed changes nothing; the clock stopped when it was resolved."""
    travel.move_to(london(2026, 12, 4, 10, 0))
    case = case_transition(case=p3_case, actor=agent, name="resolve", notes="Fixed.")
    travel.move_to(london(2026, 12, 9, 10, 0))
    case = case_transition(case=case, actor=agent, name="close")

    stopped = clock(case, "Case P3 resolution")
    assert stopped.stopped_at == london(2026, 12, 4, 10, 0)
    assert kinds(stopped) == ["started", "stopped"]


def test_cancelling_stops_every_running_clock(travel, org_user, agent):
    """docs/architecture.md §2: any open state → Cancelled; no clock keeps running on a cancelled case."""
    case = CaseFactory(caller=org_user)
    case = case_convert_to_request(case=case, actor=agent, request_type="standard")
    travel.shift(timedelta(hours=2))
    case = case_transition(case=case, actor=agent, name="cancel", reason="duplicate")

    running = TicketSLA.objects.filter(
        ticket_type=ContentType.objects.get_for_model(case),
        ticket_id=case.pk,
        stopped_at__isnull=True,
    )
    assert not running.exists()
    assert clock(case, "Standard request resolution").stop_reason == "cancelled"


def test_rejected_resolution_resumes_the_clock_from_where_it_stopped(travel, org_user, agent):
    """§10.3, docs/architecture.md §3: a reopen carries the resolution clock on from where it stopped;
    the days it stood resolved are not counted. P3 raised Thu 3 Dec 10:00, resolved Fri 10:00
    (9 h counted), rejected Tue 8 Dec 10:00 (18 business hours not counted): due Mon 14 Dec
    10:00 instead of Thu 10 Dec 10:00. The response clock, once stopped, stays stopped."""
    case = CaseFactory(caller=org_user)
    case_classify(case=case, actor=agent, **P3)
    case = case_transition(case=case, actor=agent, name="start")
    travel.move_to(london(2026, 12, 4, 10, 0))
    case = case_transition(case=case, actor=agent, name="resolve", notes="Fixed.")
    original = clock(case, "Case P3 resolution")
    travel.move_to(london(2026, 12, 8, 10, 0))
    case = case_transition(case=case, actor=agent, name="reject_resolution", note="Still broken.")

    reopened = clock(case, "Case P3 resolution")
    assert reopened.pk == original.pk
    assert reopened.stopped_at is None and reopened.stop_reason == ""
    assert reopened.elapsed == timedelta(hours=9)
    assert reopened.paused_total == timedelta(hours=18)
    assert reopened.running_since == london(2026, 12, 8, 10, 0)
    assert reopened.deadline == london(2026, 12, 14, 10, 0)
    assert kinds(reopened) == ["started", "stopped", "reopened"]
    assert clock(case, "First-line triage").stopped_at == london(2026, 12, 3, 10, 0)


def test_priority_change_cancels_the_old_clock_and_starts_one_from_the_original_start(
    travel, p3_case, agent
):
    """§3.8, docs/architecture.md §3: raising P3 to P2 cancels the P3 clock and starts a P2 clock from
    the case's opening, with its pause carried over and re-measured on the P2 clock's own
    (24x7) calendar: Fri 15:00 to Mon 11:00 is 68 hours. Both clocks stay in the history."""
    travel.move_to(london(2026, 12, 4, 15, 0))
    case = case_transition(case=p3_case, actor=agent, name="hold", reason="awaiting_change")
    travel.move_to(london(2026, 12, 7, 11, 0))
    case = case_transition(case=case, actor=agent, name="resume")
    travel.move_to(london(2026, 12, 7, 12, 0))
    case = case_classify(case=case, actor=agent, **P2)

    (old,) = clocks_of(case, "Case P3 resolution")
    assert old.cancelled and old.stopped_at == london(2026, 12, 7, 12, 0)
    assert old.elapsed == timedelta(hours=15) and old.paused_total == timedelta(hours=5)
    assert kinds(old) == ["started", "paused", "resumed", "cancelled"]
    assert old.events.get(kind="cancelled").detail == "Priority changed from P3 to P2"

    new = clock(case, "Case P2 resolution")
    assert new.replaces_id == old.pk
    assert new.started_at == london(2026, 12, 3, 10, 0)
    assert new.paused_total == timedelta(hours=68)
    assert new.elapsed == timedelta(hours=30)
    assert new.elapsed + new.paused_total == TWENTY_FOUR_SEVEN.between(
        new.started_at, london(2026, 12, 7, 12, 0)
    )
    # 24 hours were up at Fri 10:00, before the hold: a P2 with this history is breached.
    assert new.breached and new.breached_at == london(2026, 12, 4, 10, 0)
    assert kinds(new) == ["started", "paused", "resumed", "priority_changed"]


def test_lowering_the_priority_gives_a_later_deadline_with_pauses_kept(travel, p3_case, agent):
    """§3.8: P3 to P4 moves the deadline to 20 business days from the opening, keeping the
    5 business hours already on hold out of the count."""
    travel.move_to(london(2026, 12, 4, 15, 0))
    case = case_transition(case=p3_case, actor=agent, name="hold", reason="awaiting_caller")
    travel.move_to(london(2026, 12, 7, 11, 0))
    case = case_transition(case=case, actor=agent, name="resume")
    case = case_classify(case=case, actor=agent, **P4)

    p4 = clock(case, "Case P4 resolution")
    assert p4.paused_total == timedelta(hours=5)
    assert p4.elapsed == timedelta(hours=14)
    assert p4.deadline == BUSINESS.add(london(2026, 12, 7, 11, 0), timedelta(hours=180 - 14))


def test_triage_into_a_service_request_replaces_the_priority_clock(travel, org_user, agent):
    """§3.9, §7.2: a case classified P3 then triaged as a service request is timed by §7.2;
    its P3 clock is cancelled and the request's resolution clock replaces it."""
    case = CaseFactory(caller=org_user)
    case_classify(case=case, actor=agent, **P3)
    travel.shift(timedelta(minutes=10))
    case = case_convert_to_request(case=case, actor=agent, request_type="standard")

    (p3,) = clocks_of(case, "Case P3 resolution")
    assert p3.cancelled
    resolution = clock(case, "Standard request resolution")
    assert resolution.replaces_id == p3.pk
    assert resolution.started_at == london(2026, 12, 3, 10, 0)


def test_clock_changes_roll_back_with_the_transition(travel, p3_case, agent):
    """docs/conventions.md §2: clock changes happen in the transaction of the change that causes them."""
    travel.shift(timedelta(hours=1))
    with pytest.raises(RuntimeError), transaction.atomic():
        case_transition(case=p3_case, actor=agent, name="hold", reason="awaiting_caller")
        assert clock(p3_case, "Case P3 resolution").paused_since is not None
        raise RuntimeError("the request failed after the transition")

    assert clock(p3_case, "Case P3 resolution").paused_since is None


def test_sync_without_new_history_changes_nothing(travel, p3_case):
    """A second sync finds nothing new to apply and writes nothing."""
    before = list(TicketSLA.objects.values())
    travel.shift(timedelta(days=3))

    assert ticket_sla_sync(ticket=p3_case) == []
    assert list(TicketSLA.objects.values()) == before


def _sla_queries(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured
        if '"sla_' in q["sql"]
        or (q["sql"].lstrip().upper().startswith("SELECT") and "historicalcase" in q["sql"])
    ]


def test_clock_work_per_transition_is_a_constant_number_of_queries(
    travel, org_user, agent, django_assert_num_queries
):
    """Issue 3 §8: a transition's clock work takes the same queries whatever the ticket holds.
    Per transition: definitions, the ticket's clocks, its history, one UPDATE of the clocks
    that changed and one INSERT of their events."""
    small = CaseFactory(caller=org_user)
    big = CaseFactory(caller=org_user, short_description="Report Request: settlement volumes")
    for case in (small, big):
        case_classify(case=case, actor=agent, **P3)
    small = case_transition(case=small, actor=agent, name="start")
    big = case_transition(case=big, actor=agent, name="start")
    for _ in range(15):
        travel.shift(timedelta(hours=1))
        big = case_transition(case=big, actor=agent, name="hold", reason="awaiting_vendor")
        big = case_transition(case=big, actor=agent, name="resume")

    steps = [
        ("hold", {"reason": "awaiting_caller"}),
        ("resume", {}),
        ("resolve", {"notes": "Fixed."}),
        ("reject_resolution", {"note": "Not fixed."}),
    ]
    for name, arguments in steps:
        travel.shift(timedelta(minutes=30))
        with CaptureQueriesContext(connection) as on_small:
            small = case_transition(case=small, actor=agent, name=name, **arguments)
        with django_assert_num_queries(len(on_small.captured_queries)) as on_big:
            big = case_transition(case=big, actor=agent, name=name, **arguments)
        assert len(_sla_queries(on_small.captured_queries)) == 5, name
        assert len(_sla_queries(on_big.captured_queries)) == 5, name
