"""The CAB meeting (§8.9.5–§8.9.8) and the Emergency CAB (§9.4): created ahead by the beat,
decisions recorded in the meeting, minutes, actions, closing and the pack sent to the list."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from changes.models import CabAttendee, CabDecision, CabMeeting, Change, ChangeApproval
from changes.risk import ChangeType
from changes.services import (
    cab_action_add,
    cab_attendee_add,
    cab_decision_record,
    cab_meeting_close,
    cab_meeting_for_day,
    cab_meeting_record_minutes,
    cab_meeting_schedule_next,
    cab_meeting_send,
    change_assess,
    change_submit,
    ecab_convene,
)
from changes.tasks import cab_meeting_schedule_next_task
from comms.lists import distribution_list_member_add
from comms.models import DistributionList, OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tests.changes.cab_helpers import awaiting_cab
from tests.changes.conftest import london, raise_change

THIS = date(2027, 2, 9)
MONDAY = london(2027, 2, 1, 10, 0)


# --- the beat (§8.9.8) -------------------------------------------------------------------------


@pytest.mark.django_db
def test_beat_creates_next_tuesdays_cab_at_noon_london():
    """§8.9.8: "CAB will convene each Tuesday at 12.00" — created ahead by the beat task."""
    with time_machine.travel(london(2027, 2, 3, 6, 0), tick=False):
        meeting_id = cab_meeting_schedule_next_task()
    meeting = CabMeeting.objects.get(pk=meeting_id)
    assert meeting.kind == CabMeeting.Kind.CAB and meeting.meets_on == THIS
    assert meeting.starts_at == datetime(2027, 2, 9, 12, 0, tzinfo=UTC)  # GMT = UTC


@pytest.mark.django_db
def test_beat_keeps_noon_london_across_the_clock_change():
    """§8.9.8: after the clocks go forward (28 March 2027) the CAB is still at 12:00 London,
    11:00 UTC; before its start on the day, that day's meeting is the next one."""
    before = cab_meeting_schedule_next(now=london(2027, 3, 23, 11, 0))
    after = cab_meeting_schedule_next(now=london(2027, 3, 23, 12, 30))
    assert before.meets_on == date(2027, 3, 23)
    assert before.starts_at == datetime(2027, 3, 23, 12, 0, tzinfo=UTC)
    assert after.meets_on == date(2027, 3, 30)
    assert after.starts_at == datetime(2027, 3, 30, 11, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_beat_is_idempotent():
    """§8.9.8: running the beat again the same week creates nothing more."""
    first = cab_meeting_schedule_next(now=london(2027, 2, 3, 6, 0))
    again = cab_meeting_schedule_next(now=london(2027, 2, 4, 6, 0))
    assert first.pk == again.pk
    assert CabMeeting.objects.filter(kind=CabMeeting.Kind.CAB).count() == 1


@pytest.mark.django_db
def test_bank_holiday_tuesday_cab_meets_the_next_working_day():
    """§8.9.8 on the business calendar: Tuesday 29 December 2026 is a working day, but the CAB
    of a bank-holiday Tuesday moves to the next working day (Boxing Day 2028 falls on a
    Tuesday)."""
    meeting = cab_meeting_schedule_next(now=london(2028, 12, 20, 13, 0))
    assert meeting.meets_on == date(2028, 12, 27)
    assert meeting.starts_at == datetime(2028, 12, 27, 12, 0, tzinfo=UTC)


# --- decisions (§8.9.4, §8.9.5) ------------------------------------------------------------------


@pytest.fixture
def meeting(db):
    return cab_meeting_for_day(day=THIS)


@pytest.fixture
def proposal(service_owner, change_manager):
    return awaiting_cab(
        service_owner, change_manager, MONDAY, planned_start=london(2027, 2, 20, 22, 0)
    )


@pytest.mark.django_db
def test_cab_member_approval_is_recorded_and_schedules_the_change(meeting, proposal, cab_member):
    """§8.9.5 "final authorization": the member's approve is a CAB approval of the change, tied
    to the meeting, and the change is Scheduled."""
    decision = cab_decision_record(
        meeting=meeting, change=proposal, actor=cab_member, decision="approve", comment="Go."
    )
    assert decision.meeting == meeting
    assert decision.approval.kind == ChangeApproval.Kind.CAB
    assert decision.approval.approver == cab_member
    proposal.refresh_from_db()
    assert proposal.state == Change.State.SCHEDULED and proposal.authorised_via == "cab"


@pytest.mark.django_db
def test_rejection_needs_a_comment_and_cancels(meeting, proposal, cab_member):
    """§8.9.4 "recommend approval or rejection": a rejection says why; it cancels the change."""
    with pytest.raises(ValidationFailed):
        cab_decision_record(meeting=meeting, change=proposal, actor=cab_member, decision="reject")
    cab_decision_record(
        meeting=meeting,
        change=proposal,
        actor=cab_member,
        decision="reject",
        comment="The back-out plan is untested.",
    )
    proposal.refresh_from_db()
    assert proposal.state == Change.State.CANCELLED


@pytest.mark.django_db
def test_more_information_sends_the_change_back_to_assess(meeting, proposal, cab_member):
    """§8.9.5: changes need adequate documentation; the board asks for more."""
    cab_decision_record(
        meeting=meeting,
        change=proposal,
        actor=cab_member,
        decision="more_info",
        comment="Add the test results.",
    )
    proposal.refresh_from_db()
    assert proposal.state == Change.State.ASSESS
    assert CabDecision.objects.filter(meeting=meeting).count() == 1


@pytest.mark.django_db
def test_change_for_a_later_cab_is_not_decided_here(service_owner, change_manager, cab_member):
    """§8.7: a change submitted after COB Tuesday waits for the CAB a week later."""
    late = awaiting_cab(
        service_owner,
        change_manager,
        london(2027, 2, 2, 18, 0),
        planned_start=london(2027, 3, 1, 22, 0),
    )
    meeting = cab_meeting_for_day(day=THIS)
    with pytest.raises(ValidationFailed, match="not for the CAB"):
        cab_decision_record(meeting=meeting, change=late, actor=cab_member, decision="approve")


@pytest.mark.django_db
def test_only_cab_members_decide(meeting, proposal, agent):
    """§8.9.7: the board's members (or the Change Manager) decide, not any agent."""
    with pytest.raises(ActionNotPermitted):
        cab_decision_record(meeting=meeting, change=proposal, actor=agent, decision="approve")


# --- attendees, minutes, actions, closing (§8.9.6, §8.9.7) ------------------------------------


@pytest.mark.django_db
def test_deputy_names_the_permanent_member(meeting, change_manager, cab_member, service_owner):
    """§8.9.7: a permanent member who cannot attend nominates a deputy."""
    with pytest.raises(ValidationFailed, match="deputy attends for"):
        cab_attendee_add(
            meeting=meeting, actor=change_manager, user=service_owner, membership="deputy"
        )
    deputy = cab_attendee_add(
        meeting=meeting,
        actor=change_manager,
        user=service_owner,
        membership="deputy",
        deputy_for=cab_member,
    )
    ad_hoc = cab_attendee_add(
        meeting=meeting, actor=change_manager, user=cab_member, membership="ad_hoc"
    )
    assert deputy.deputy_for == cab_member and ad_hoc.deputy_for is None
    assert set(meeting.attendees.values_list("membership", flat=True)) == {
        CabAttendee.Membership.DEPUTY,
        CabAttendee.Membership.AD_HOC,
    }


@pytest.mark.django_db
def test_chair_records_minutes_and_actions_then_closes(meeting, change_manager, cab_member):
    """§8.9.6: outcome, minutes and actions (owner, due) are recorded, then the meeting is
    closed; a closed meeting takes nothing more."""
    with pytest.raises(ValidationFailed, match="outcome and the minutes"):
        cab_meeting_close(meeting=meeting, actor=change_manager)
    with pytest.raises(ValidationFailed):
        cab_action_add(
            meeting=meeting,
            actor=change_manager,
            description="Check",
            owner=cab_member,
            due_on=date(2027, 2, 1),
        )
    cab_meeting_record_minutes(
        meeting=meeting, actor=change_manager, outcome="One approved.", minutes="Discussed."
    )
    action = cab_action_add(
        meeting=meeting,
        actor=change_manager,
        description="Check the DIP window",
        owner=cab_member,
        due_on=date(2027, 2, 12),
    )
    assert action.is_open
    with pytest.raises(ActionNotPermitted):
        cab_meeting_close(meeting=meeting, actor=cab_member)
    closed = cab_meeting_close(meeting=meeting, actor=change_manager)
    assert closed.state == CabMeeting.State.CLOSED and closed.closed_by == change_manager
    with pytest.raises(TransitionNotAllowed):
        cab_meeting_record_minutes(meeting=closed, actor=change_manager, outcome="x", minutes="y")
    with pytest.raises(TransitionNotAllowed):
        cab_meeting_close(meeting=closed, actor=change_manager)


@pytest.mark.django_db
def test_closed_meeting_takes_no_decisions(meeting, proposal, change_manager, cab_member):
    """§8.9.6: decisions are taken in the meeting, not after it is closed."""
    cab_meeting_record_minutes(meeting=meeting, actor=change_manager, outcome="o", minutes="m")
    cab_meeting_close(meeting=meeting, actor=change_manager)
    with pytest.raises(TransitionNotAllowed):
        cab_decision_record(meeting=meeting, change=proposal, actor=cab_member, decision="approve")


@pytest.mark.django_db
def test_agenda_and_minutes_are_emailed_to_the_cab_list(
    meeting,
    proposal,
    change_manager,
    cab_member,
    service_manager,
    django_capture_on_commit_callbacks,
):
    """§8.9.6, §8.9.7: the agenda and minutes go to the CAB members list through the outbox."""
    cab_list = DistributionList.objects.get(name="CAB members")
    distribution_list_member_add(distribution_list=cab_list, actor=service_manager, user=cab_member)
    with pytest.raises(ValidationFailed, match="no minutes"):
        cab_meeting_send(meeting=meeting, actor=change_manager, what="minutes")
    with django_capture_on_commit_callbacks(execute=True):
        sent = cab_meeting_send(meeting=meeting, actor=change_manager, what="agenda")
    assert sent == 1
    message = OutboundMessage.objects.get(template="cab_pack", to_email=cab_member.email)
    assert "agenda" in message.subject
    assert proposal.number in message.body_text
    assert "New change proposals" in message.body_text
    with pytest.raises(ActionNotPermitted):
        cab_meeting_send(meeting=meeting, actor=cab_member, what="agenda")


# --- the Emergency CAB (§9.4) -------------------------------------------------------------------


@pytest.mark.django_db
def test_ecab_is_convened_ad_hoc_and_authorises_emergency_changes(
    service_owner, change_manager, mim, agent
):
    """§9.4.1, §9.4.4: an ECAB is held as required and authorises an Emergency change; in hours
    the Change Manager sits on it (§9.4.3)."""
    at = london(2027, 2, 3, 10, 0)
    with pytest.raises(ActionNotPermitted):
        ecab_convene(actor=agent, reason="DIP down")
    with pytest.raises(ValidationFailed):
        ecab_convene(actor=mim, reason=" ")
    with time_machine.travel(at, tick=False):
        ecab = ecab_convene(actor=mim, reason="Roll back the DIP release causing MI0000001.")
        change = raise_change(service_owner, change_type=ChangeType.EMERGENCY)
        change = change_submit(change=change, actor=service_owner, now=at)
        change = change_assess(change=change, actor=change_manager)
        decision = cab_decision_record(
            meeting=ecab, change=change, actor=change_manager, decision="approve"
        )
    assert ecab.kind == CabMeeting.Kind.ECAB and ecab.convened_by == mim
    assert decision.approval.kind == ChangeApproval.Kind.ECAB
    change.refresh_from_db()
    assert change.state == Change.State.SCHEDULED and change.authorised_via == "ecab"


def test_beat_schedule_runs_the_cab_task_daily_in_uk_time(settings):
    """§8.9.8: the beat entry names the registered task, daily at 06:00 Europe/London."""
    from mhhs_portal.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["cab-meeting-schedule-next"]
    assert entry["task"] == cab_meeting_schedule_next_task.name
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}
    assert settings.CELERY_TIMEZONE == "Europe/London"
