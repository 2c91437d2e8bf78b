"""The 15-minute triage check (§4.1 step 2, §5.17): service management is alerted when a
portal case is still New 15 minutes after it was raised, and again at 30, once each; triaged
cases and cases from other channels are left alone. Time is moved with time-machine."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from cases.services import case_convert_to_request, case_reroute, case_transition
from cases.triage_check import TRIAGE_ALERT_NOTE, case_triage_check
from comms.models import OutboundMessage
from sla.calendar import LONDON
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.selectors import journal_for

pytestmark = pytest.mark.django_db

RAISED = datetime(2026, 12, 3, 10, 0, tzinfo=LONDON)
DESK_LEAD = settings.SERVICE_MANAGEMENT_EMAIL


@pytest.fixture
def travel():
    with time_machine.travel(RAISED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def case(travel, org_user):
    return CaseFactory(caller=org_user)


def overdue_alerts(case) -> list[str]:
    """The subjects of the triage alerts about `case`, oldest first."""
    return list(
        OutboundMessage.objects.filter(template="case_triage_overdue", ticket_id=case.pk)
        .order_by("created_at", "id")
        .values_list("subject", flat=True)
    )


def test_desk_is_alerted_when_a_portal_case_is_still_new_after_15_minutes(travel, case):
    """§4.1 step 2: triage "within 15 mins of raising case"; service management hears at 15."""
    travel.move_to(RAISED + timedelta(minutes=14, seconds=59))
    assert case_triage_check().count == 0
    assert overdue_alerts(case) == []

    travel.move_to(RAISED + timedelta(minutes=15))
    result = case_triage_check()

    assert result.alerted == {30: [], 15: [case.pk]}
    (subject,) = overdue_alerts(case)
    assert case.number in subject and "15 minutes" in subject
    message = OutboundMessage.objects.get(template="case_triage_overdue")
    assert message.to_email == DESK_LEAD


def test_desk_is_alerted_again_at_30_minutes(travel, case):
    """§4.1, §5.17: a case still untriaged at 30 minutes is raised with the desk again."""
    travel.move_to(RAISED + timedelta(minutes=15))
    case_triage_check()
    travel.move_to(RAISED + timedelta(minutes=29, seconds=59))
    case_triage_check()
    assert len(overdue_alerts(case)) == 1

    travel.move_to(RAISED + timedelta(minutes=30))
    result = case_triage_check()

    assert result.alerted[30] == [case.pk]
    first, second = overdue_alerts(case)
    assert "15 minutes" in first and "30 minutes" in second


def test_each_triage_alert_is_sent_once(travel, case):
    """docs/conventions.md §5: the check runs every minute and is idempotent; two alerts in all."""
    for minute in (15, 15, 16, 29, 30, 30, 31, 45, 120):
        travel.move_to(RAISED + timedelta(minutes=minute))
        case_triage_check()

    assert len(overdue_alerts(case)) == 2


def test_alert_is_recorded_on_the_case_for_the_desk_only(travel, case, org_user):
    """§4.1: the agent sees on the case when the desk was alerted; the participant does not
    (a work note never leaves the desk, §10.2)."""
    travel.move_to(RAISED + timedelta(minutes=15))
    case_triage_check()

    notes = journal_for(case, include_work_notes=True).filter(kind=JournalEntry.Kind.WORK_NOTE)
    assert [(n.body, n.author) for n in notes] == [(TRIAGE_ALERT_NOTE.format(minutes=15), None)]
    assert not journal_for(case, include_work_notes=False).filter(body__contains="Triage").exists()


def test_case_first_seen_after_30_minutes_gets_one_alert(travel, case):
    """§4.1: when the check first sees a case at 40 minutes (beat was down), the desk gets the
    30-minute alert, not both at once."""
    travel.move_to(RAISED + timedelta(minutes=40))
    result = case_triage_check()

    assert result.alerted == {30: [case.pk], 15: []}
    (subject,) = overdue_alerts(case)
    assert "30 minutes" in subject


@pytest.mark.parametrize("how", ["request", "rerouted", "picked_up", "cancelled"])
def test_triaged_cases_are_not_alerted(how, travel, case, agent):
    """§4.1 steps 2–5: once first-line triage has routed the case (request, re-routed) or an
    agent has picked it up or cancelled it, it is no longer New and nobody is chased."""
    travel.move_to(RAISED + timedelta(minutes=10))
    if how == "request":
        case_convert_to_request(case=case, actor=agent, request_type=Case.RequestType.STANDARD)
    elif how == "rerouted":
        from accounts.models import ServiceDesk

        desk = ServiceDesk.objects.filter(active=True).first()
        case_reroute(case=case, actor=agent, desk=desk)
    elif how == "picked_up":
        case_transition(case=case, actor=agent, name="start")
    else:
        case_transition(case=case, actor=agent, name="cancel", reason="duplicate")

    for minute in (15, 30, 60):
        travel.move_to(RAISED + timedelta(minutes=minute))
        assert case_triage_check().count == 0
    assert overdue_alerts(case) == []


def test_case_triaged_between_the_alerts_gets_no_second_alert(travel, case, agent):
    """§4.1: the 30-minute alert is only for a case still New."""
    travel.move_to(RAISED + timedelta(minutes=15))
    case_triage_check()
    travel.move_to(RAISED + timedelta(minutes=20))
    case_convert_to_request(case=case, actor=agent, request_type=Case.RequestType.COMPLEX)
    travel.move_to(RAISED + timedelta(minutes=30))
    case_triage_check()

    assert len(overdue_alerts(case)) == 1


def test_cases_raised_outside_the_portal_are_not_chased(travel, org_user):
    """§4.1 step 1: the 15-minute triage is for cases raised in the portal."""
    by_api = CaseFactory(caller=org_user, channel=Case.Channel.API)
    travel.move_to(RAISED + timedelta(minutes=30))

    assert case_triage_check().count == 0
    assert overdue_alerts(by_api) == []


def test_several_cases_are_found_by_one_statement_each_round(travel, org_user):
    """docs/conventions.md §5: set-based detection. Ten overdue cases are found and recorded by one
    INSERT … SELECT per alert round, then loaded in one query per round to be alerted."""
    cases = [CaseFactory(caller=org_user) for _ in range(10)]
    travel.move_to(RAISED + timedelta(minutes=15))

    with CaptureQueriesContext(connection) as queries:
        result = case_triage_check()

    assert sorted(result.alerted[15]) == sorted(c.pk for c in cases)
    detecting = [q for q in queries.captured_queries if "FROM cases_case c" in q["sql"]]
    assert len(detecting) == 2  # the 30-minute round, then the 15-minute round
    assert OutboundMessage.objects.filter(template="case_triage_overdue").count() == 10
