"""The 5-day auto-close of resolved cases (§10.3): reminders after 2 and 4 days, closure at
exactly 5 days with the final email, and a reply from the participant side stops it. Days are
calendar days from `resolved_at`. Time is moved with time-machine, never slept."""

from datetime import datetime, timedelta

import pytest
import time_machine

from cases.auto_close import CLOSED_NOTE, REMINDER_NOTE, case_auto_close
from cases.models import Case
from cases.services import (
    case_comment_add,
    case_confirm_resolution,
    case_participant_comment,
    case_reject_resolution,
    case_transition,
)
from comms.models import OutboundMessage
from sla.calendar import LONDON
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.selectors import journal_for

pytestmark = pytest.mark.django_db

RAISED = datetime(2026, 12, 3, 9, 0, tzinfo=LONDON)
RESOLVED = datetime(2026, 12, 3, 10, 0, tzinfo=LONDON)  # Thursday


@pytest.fixture
def travel():
    with time_machine.travel(RAISED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def resolved_case(travel, org_user, agent):
    case = CaseFactory(caller=org_user)
    case = case_transition(case=case, actor=agent, name="start")
    travel.move_to(RESOLVED)
    return case_transition(case=case, actor=agent, name="resolve", notes="Certificate renewed.")


def at(travel, delta: timedelta, since: datetime = RESOLVED):
    travel.move_to(since + delta)
    return case_auto_close()


def to_caller(case, template: str) -> list[OutboundMessage]:
    return list(
        OutboundMessage.objects.filter(
            template=template, ticket_id=case.pk, to_email=case.caller.email
        ).order_by("created_at", "id")
    )


def reload(case) -> Case:
    return Case.objects.get(pk=case.pk)


def test_caller_is_reminded_2_and_4_days_after_resolution(travel, resolved_case):
    """§10.3 "follow-up reminders": after 2 days (3 days left) and 4 days (1 day left)."""
    assert at(travel, timedelta(days=2) - timedelta(seconds=1)).reminded == {4: [], 2: []}
    assert to_caller(resolved_case, "case_resolution_reminder") == []

    result = at(travel, timedelta(days=2))
    assert result.reminded[2] == [resolved_case.pk]
    (first,) = to_caller(resolved_case, "case_resolution_reminder")
    assert "3 days" in first.body_text and resolved_case.number in first.subject

    at(travel, timedelta(days=4) - timedelta(seconds=1))
    assert len(to_caller(resolved_case, "case_resolution_reminder")) == 1
    result = at(travel, timedelta(days=4))
    assert result.reminded[4] == [resolved_case.pk]
    second = to_caller(resolved_case, "case_resolution_reminder")[1]
    assert "1 day." in second.body_text
    assert reload(resolved_case).state == Case.State.RESOLVED


def test_reminders_are_not_sent_twice(travel, resolved_case):
    """docs/conventions.md §5: the sweep runs every 15 minutes and is idempotent."""
    for hours in (48, 48, 49, 60, 96, 96, 97, 110):
        at(travel, timedelta(hours=hours))

    assert len(to_caller(resolved_case, "case_resolution_reminder")) == 2


def test_reminder_is_shown_in_the_case_history(travel, resolved_case):
    """§10.2: the participant sees in the portal history that a reminder went out."""
    at(travel, timedelta(days=2))

    visible = journal_for(resolved_case, include_work_notes=False)
    assert visible.filter(kind=JournalEntry.Kind.SYSTEM, body=REMINDER_NOTE.format(day=2)).exists()


def test_case_closes_automatically_at_exactly_5_days_with_a_final_email(travel, resolved_case):
    """§10.3: "If no response from the participant is received within 5 days, the ticket will
    be automatically closed" and "the participant receives a final email notification"."""
    result = at(travel, timedelta(days=4, hours=23, minutes=59))
    assert result.closed == []
    assert reload(resolved_case).state == Case.State.RESOLVED
    assert to_caller(resolved_case, "case_closed") == []

    result = at(travel, timedelta(days=5))

    assert result.closed == [resolved_case.pk]
    case = reload(resolved_case)
    assert case.state == Case.State.CLOSED
    assert case.closed_at == RESOLVED + timedelta(days=5)
    assert not case.active
    (final,) = to_caller(case, "case_closed")
    assert case.number in final.subject
    bodies = list(journal_for(case, include_work_notes=False).values_list("body", flat=True))
    assert CLOSED_NOTE.format(days=5) in bodies
    assert "State changed from Resolved to Closed." in bodies


def test_auto_close_is_idempotent(travel, resolved_case):
    """docs/conventions.md §5: a second run after the closure closes nothing and sends nothing."""
    at(travel, timedelta(days=5))
    sent = OutboundMessage.objects.count()

    again = at(travel, timedelta(days=5, minutes=15))

    assert again.closed == [] and again.reminded == {4: [], 2: []}
    assert OutboundMessage.objects.count() == sent


def test_days_are_calendar_days_over_a_weekend(travel, resolved_case):
    """§10.3 "5 days": calendar days, not business days; resolved Thu 10:00, the reminders
    fall on Saturday and Monday and the case closes Tuesday 10:00."""
    assert at(travel, timedelta(days=2)).reminded[2] == [resolved_case.pk]  # Sat 5 Dec
    assert at(travel, timedelta(days=4)).reminded[4] == [resolved_case.pk]  # Mon 7 Dec
    assert at(travel, timedelta(days=5)).closed == [resolved_case.pk]  # Tue 8 Dec


def test_a_reply_from_the_caller_stops_the_auto_close(travel, resolved_case, org_user):
    """§10.3 "Participants can add comments directly to the ticket": a reply by email that
    neither confirms nor rejects stops the reminders and the auto-close; the case waits for the
    desk. (A comment in the portal reopens the case instead: test_case_reopening.py.)"""
    travel.move_to(RESOLVED + timedelta(days=1))
    case_participant_comment(
        resolved_case, actor=org_user, body="Thanks - can you confirm the cause?"
    )

    for days in (2, 4, 5, 10):
        result = at(travel, timedelta(days=days))
        assert result.closed == [] and not any(result.reminded.values())

    case = reload(resolved_case)
    assert case.state == Case.State.RESOLVED
    assert to_caller(case, "case_resolution_reminder") == []
    assert to_caller(case, "case_closed") == []


def test_a_reply_after_the_first_reminder_stops_the_rest(travel, resolved_case, org_user):
    """§10.3: the reply counts whenever it comes before the closure."""
    at(travel, timedelta(days=2))
    travel.move_to(RESOLVED + timedelta(days=3))
    case_participant_comment(resolved_case, actor=org_user, body="Still checking on our side.")

    at(travel, timedelta(days=4))
    at(travel, timedelta(days=5))

    assert len(to_caller(resolved_case, "case_resolution_reminder")) == 1
    assert reload(resolved_case).state == Case.State.RESOLVED


def test_a_colleague_of_the_caller_replying_also_stops_it(travel, resolved_case, parent_user):
    """§10.3, §10.4: anyone on the participant side who can see the case may reply for it."""
    travel.move_to(RESOLVED + timedelta(days=1))
    case_participant_comment(resolved_case, actor=parent_user, body="We will test on Monday.")

    assert at(travel, timedelta(days=5)).closed == []


def test_a_desk_comment_does_not_stop_it(travel, resolved_case, agent):
    """§10.3: only the participant's response counts; the desk adding a comment does not."""
    travel.move_to(RESOLVED + timedelta(days=1))
    case_comment_add(case=resolved_case, actor=agent, body="Let us know if it happens again.")

    assert at(travel, timedelta(days=5)).closed == [resolved_case.pk]


def test_a_comment_before_the_resolution_does_not_stop_it(travel, org_user, agent):
    """§10.3: only a reply after the case was resolved counts."""
    case = CaseFactory(caller=org_user)
    case = case_transition(case=case, actor=agent, name="start")
    case_comment_add(case=case, actor=org_user, body="Any news?")
    travel.move_to(RESOLVED)
    case = case_transition(case=case, actor=agent, name="resolve", notes="Fixed.")

    assert at(travel, timedelta(days=5)).closed == [case.pk]


def test_rejection_stops_it_and_a_new_resolution_counts_afresh(
    travel, resolved_case, org_user, agent
):
    """§10.3: rejecting reopens the case; when it is resolved again the 5 days count from the
    new resolution, with their own reminders."""
    travel.move_to(RESOLVED + timedelta(days=1))
    case = case_reject_resolution(case=resolved_case, actor=org_user, reason="Still failing.")
    assert at(travel, timedelta(days=5)).closed == []

    second = RESOLVED + timedelta(days=3)
    travel.move_to(second)
    case = case_transition(case=case, actor=agent, name="resolve", notes="Really fixed now.")

    assert at(travel, timedelta(days=2), since=second).reminded[2] == [case.pk]
    assert at(travel, timedelta(days=5) - timedelta(seconds=1), since=second).closed == []
    assert at(travel, timedelta(days=5), since=second).closed == [case.pk]


def test_confirmed_case_is_left_alone(travel, resolved_case, org_user):
    """§10.3: a confirmed case is already closed; no reminder or second closure follows."""
    travel.move_to(RESOLVED + timedelta(hours=1))
    case_confirm_resolution(case=resolved_case, actor=org_user)

    at(travel, timedelta(days=2))
    at(travel, timedelta(days=5))

    assert to_caller(resolved_case, "case_resolution_reminder") == []
    assert len(to_caller(resolved_case, "case_closed")) == 1


def test_a_case_first_seen_after_both_reminder_days_gets_the_latest_reminder(travel, resolved_case):
    """§10.3: when the sweep was down, the caller gets one reminder (the 4-day one), not two."""
    result = at(travel, timedelta(days=4, hours=3))

    assert result.reminded == {4: [resolved_case.pk], 2: []}
    (reminder,) = to_caller(resolved_case, "case_resolution_reminder")
    assert "1 day." in reminder.body_text


def test_the_days_are_settings(travel, resolved_case, settings):
    """AUTO_CLOSE_REMINDER_DAYS and AUTO_CLOSE_DAYS change the schedule."""
    settings.AUTO_CLOSE_REMINDER_DAYS = "1"
    settings.AUTO_CLOSE_DAYS = 3

    assert at(travel, timedelta(days=1)).reminded == {1: [resolved_case.pk]}
    assert at(travel, timedelta(days=3)).closed == [resolved_case.pk]


def test_reminder_days_must_come_before_the_closing_day(settings):
    """A reminder on or after the closing day could never be sent: refuse the setting."""
    from django.core.exceptions import ImproperlyConfigured

    settings.AUTO_CLOSE_REMINDER_DAYS = "2,5"
    settings.AUTO_CLOSE_DAYS = 5
    with pytest.raises(ImproperlyConfigured):
        case_auto_close()
