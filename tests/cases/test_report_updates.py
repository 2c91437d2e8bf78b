"""Status updates on report requests (§14.2, §14.4): the desk is reminded when an update to the
requester is due — every 24 business hours, 48 for a minor issue — once per due point."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from cases.models import Case
from cases.report_updates import report_update_check
from cases.services import case_classify, case_comment_add, case_convert_to_request, case_transition
from cases.tasks import report_update_check_task
from comms.models import Notification, OutboundMessage
from sla.calendar import LONDON, get_calendar
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.priority import Impact, Urgency

BUSINESS = get_calendar("business")
# Tuesday 1 December 2026, 10:00 UK time.
RAISED = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)
# 24 business hours on: Tue 7.5 h + Wed 9 h + Thu 7.5 h → Thursday 16:00.
MODERATE_DUE = datetime(2026, 12, 3, 16, 0, tzinfo=LONDON)


@pytest.fixture
def clock():
    with time_machine.travel(RAISED, tick=False) as traveller:
        yield traveller


def _report_request(caller, agent, subject="Report Request: monthly DIP volumes"):
    case = CaseFactory(caller=caller, short_description=subject)
    return case_convert_to_request(case=case, actor=agent, request_type="standard")


def _reminders(case):
    return JournalEntry.objects.filter(
        ticket_id=case.pk, kind=JournalEntry.Kind.WORK_NOTE, author__isnull=True
    )


def _alerts(case):
    return OutboundMessage.objects.filter(template="report_update_due", ticket_id=case.pk)


def test_desk_is_reminded_when_24_business_hours_pass_without_an_update(
    clock, org_user, agent, django_capture_on_commit_callbacks
):
    """§14.4 moderate issues: an update every 24 business hours; the first is due 24 business
    hours after triage. Service management hears when nobody is assigned."""
    case = _report_request(org_user, agent)
    clock.move_to(MODERATE_DUE - timedelta(minutes=1))
    assert report_update_check().reminded == []

    clock.move_to(MODERATE_DUE)
    with django_capture_on_commit_callbacks(execute=True):
        result = report_update_check()

    assert result.reminded == [case.pk]
    message = _alerts(case).get()
    assert message.to_email == settings.SERVICE_MANAGEMENT_EMAIL
    assert "3 Dec 2026, 16:00" in message.body_text
    note = _reminders(case).get()
    assert "Thu 3 Dec 2026, 16:00" in note.body


def test_never_reminded_twice_for_the_same_due_point(clock, org_user, agent):
    """Idempotent: a second run at once, and another an hour later, send nothing more."""
    case = _report_request(org_user, agent)
    clock.move_to(MODERATE_DUE + timedelta(minutes=5))
    assert report_update_check().reminded == [case.pk]

    assert report_update_check().reminded == []
    clock.shift(timedelta(hours=1))
    assert report_update_check().reminded == []
    assert _alerts(case).count() == 1 and _reminders(case).count() == 1


def test_an_update_to_the_requester_moves_the_next_due_point(clock, org_user, agent):
    """A customer-visible comment from the desk is an update; the cadence restarts from it."""
    case = _report_request(org_user, agent)
    clock.move_to(MODERATE_DUE + timedelta(minutes=5))
    report_update_check()
    clock.move_to(datetime(2026, 12, 4, 11, 0, tzinfo=LONDON))
    case_comment_add(case=case, actor=agent, body="The report is half done.")
    next_due = BUSINESS.add(datetime(2026, 12, 4, 11, 0, tzinfo=LONDON), timedelta(hours=24))

    clock.move_to(next_due - timedelta(minutes=1))
    assert report_update_check().reminded == []
    clock.move_to(next_due)
    assert report_update_check().reminded == [case.pk]
    assert _reminders(case).count() == 2


def test_work_notes_and_the_requesters_own_comments_are_not_updates(clock, org_user, agent):
    case = _report_request(org_user, agent)
    clock.move_to(datetime(2026, 12, 2, 11, 0, tzinfo=LONDON))
    case_comment_add(case=case, actor=agent, body="Asked the data team.", work_note=True)
    case_comment_add(case=case, actor=org_user, body="Any news?")

    clock.move_to(MODERATE_DUE)
    assert report_update_check().reminded == [case.pk]


def test_a_minor_issue_is_updated_every_48_business_hours(clock, org_user, agent):
    """§14.4 minor issues: the desk assessed the impact as Low (a single user)."""
    case = _report_request(org_user, agent)
    case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.LOW)
    due = BUSINESS.add(RAISED, timedelta(hours=48))

    clock.move_to(MODERATE_DUE)
    assert report_update_check().reminded == []
    clock.move_to(due)
    assert report_update_check().reminded == [case.pk]


def test_the_assignee_is_reminded_rather_than_the_mailbox(
    clock, org_user, agent, django_capture_on_commit_callbacks
):
    case = _report_request(org_user, agent)
    Case.objects.filter(pk=case.pk).update(assigned_to=agent)
    clock.move_to(MODERATE_DUE)

    with django_capture_on_commit_callbacks(execute=True):
        report_update_check()

    assert _alerts(case).get().to_email == agent.email
    assert Notification.objects.filter(user=agent, event="report_update_due").count() == 1


@pytest.mark.parametrize(
    "situation",
    ["awaiting_caller", "resolved", "not_a_report", "not_triaged", "incident_subject"],
)
def test_no_reminder_when_no_update_is_owed(clock, org_user, agent, situation):
    """While the desk waits for the requester, once the request is resolved, for other cases
    and before triage, nothing is due."""
    if situation == "not_a_report":
        case = _report_request(org_user, agent, subject="Access request for a new user")
    elif situation == "not_triaged":
        case = CaseFactory(caller=org_user, short_description="Report Request: volumes")
    elif situation == "incident_subject":
        case = CaseFactory(caller=org_user, short_description="Report Request: volumes")
        case_transition(case=case, actor=agent, name="start")
    else:
        case = _report_request(org_user, agent)
        if situation == "awaiting_caller":
            case_transition(case=case, actor=agent, name="hold", reason="awaiting_caller")
        else:
            case_transition(case=case, actor=agent, name="resolve", notes="Report sent.")

    clock.move_to(MODERATE_DUE + timedelta(days=10))
    assert report_update_check().reminded == []
    assert not _reminders(case).exists()


def test_the_task_runs_the_check_and_beat_schedules_it(clock, org_user, agent):
    case = _report_request(org_user, agent)
    clock.move_to(MODERATE_DUE)

    assert report_update_check_task.delay().get() == {"reminded": 1, "skipped": False}
    assert report_update_check_task.delay().get() == {"reminded": 0, "skipped": False}
    assert _reminders(case).count() == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["report-update-check"]
    assert schedule["task"] == "cases.tasks.report_update_check_task"


def test_console_case_page_shows_when_the_next_update_is_due(clock, org_user, agent, agent_client):
    case = _report_request(org_user, agent)
    page = agent_client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "Next update to the requester due" in page and "Thu 3 Dec 2026, 16:00" in page
    assert "set the impact to Low for a minor issue" in page

    case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.LOW)
    page = agent_client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    assert "every 48 business hours (a minor issue)" in page

    plain = CaseFactory(caller=org_user)
    page = agent_client.get(reverse("admin:cases_case_change", args=[plain.pk])).content.decode()
    assert "report-update" not in page
