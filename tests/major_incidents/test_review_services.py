"""The post major incident review's services (`major_incidents.reviews`): opened once on
resolution and prefilled from Appendix E and the war room, the §5.23 milestones in real hours,
reminders once per milestone, follow-up actions, sign-off by a service manager and distribution
to the Major Incident comms list."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comms.lists import MAJOR_INCIDENT_COMMS
from comms.models import DistributionList, DistributionListMessage, Notification, OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from incidents.services import incident_transition, incident_work_note_add
from major_incidents.models import PostIncidentReview, ReviewMilestone, TimelineEntry
from major_incidents.records import timeline_add
from major_incidents.reviews import (
    MILESTONES,
    review_action_add,
    review_action_complete,
    review_action_reopen,
    review_action_update,
    review_distribute,
    review_milestone_complete,
    review_milestone_remind_due,
    review_milestone_reopen,
    review_milestone_skip,
    review_open,
    review_sign_off,
    review_timeline_row_add,
    review_update,
)
from tests.factories.accounts import UserFactory
from tests.factories.incidents import opened_major_incident, raised_incident

# The night the clocks go forward (29 March 2026, 01:00 GMT → 02:00 BST).
RESOLVED_AT = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)


def _major(org_user, agent, resolver_group, incident_manager, *, war_room_entries=0):
    with time_machine.travel(RESOLVED_AT - timedelta(hours=3)):
        incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        incident = incident_transition(incident=incident, actor=agent, name="start")
        major = opened_major_incident(
            incident=incident, actor=agent, manager=incident_manager, services=("dip", "isd")
        )
        for n in range(war_room_entries):
            timeline_add(
                major_incident=major, kind=TimelineEntry.Kind.NOTE, body=f"Bridge note {n}"
            )
    return major


def _resolve(major, agent, at=RESOLVED_AT):
    with time_machine.travel(at, tick=False):
        incident_transition(
            incident=major.incident,
            actor=agent,
            name="resolve",
            notes="Restarted the DIP message broker; queues drained.",
            code="solved",
        )
    major.refresh_from_db()
    return PostIncidentReview.objects.get(major_incident=major)


@pytest.fixture
def major(org_user, agent, resolver_group, incident_manager):
    return _major(org_user, agent, resolver_group, incident_manager)


@pytest.fixture
def review(major, agent):
    return _resolve(major, agent)


def _close_steps_before_signoff(review, actor):
    for milestone in review.milestones.exclude(code__in=("signoff", "follow_up_meeting")):
        review_milestone_complete(milestone=milestone, actor=actor)


# --- milestones ---------------------------------------------------------------------------


def test_milestones_fall_due_in_real_hours_across_the_clock_change(review):
    """§5.23 timings and §5.19.1's follow-up meeting, counted in real hours from the resolution
    instant: resolved 28 Mar 2026 23:30 UTC, the clocks go forward at 01:00 UTC, and each step
    is still due exactly N hours later."""
    due = dict(review.milestones.values_list("code", "due_at"))
    assert due == {
        "initial_summary": datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        "root_cause_analysis": datetime(2026, 3, 29, 5, 30, tzinfo=UTC),
        "response_assessment": datetime(2026, 3, 29, 7, 30, tzinfo=UTC),
        "impact_analysis": datetime(2026, 3, 29, 11, 30, tzinfo=UTC),
        "recommendations": datetime(2026, 3, 29, 17, 30, tzinfo=UTC),
        "report_drafting": datetime(2026, 3, 29, 21, 30, tzinfo=UTC),
        "signoff": datetime(2026, 3, 29, 23, 30, tzinfo=UTC),
        "follow_up_meeting": datetime(2026, 4, 11, 23, 30, tzinfo=UTC),
    }
    hours = dict(review.milestones.values_list("code", "hours_after_resolution"))
    assert [hours[spec.code] for spec in MILESTONES] == [2, 6, 8, 12, 18, 22, 24, 336]


def test_review_is_prefilled_from_appendix_e_and_the_war_room(major, agent, incident_manager):
    """Appendix E incident details, the incident's description and resolution, and the
    timeline from the war room and the incident's journal (not its work notes), in order."""
    incident_work_note_add(incident=major.incident, actor=agent, body="Secret technical note")
    review = _resolve(major, agent)
    assert review.incident_title == major.public_title
    assert review.incident_ref == major.incident.number
    assert review.incident_report_ref == major.number
    assert set(review.services.values_list("code", flat=True)) == {"dip", "isd"}
    assert review.service_impacted_at == major.started_at
    assert review.service_restored_at == RESOLVED_AT
    assert review.major_incident_managers == str(incident_manager)
    assert review.incident_description == major.incident.description
    assert review.incident_resolution == "Restarted the DIP message broker; queues drained."
    rows = list(review.timeline_rows.all())
    events = [row.event for row in rows]
    assert any("promoted to major incident" in event for event in events)
    assert any("State changed from In Progress to Resolved" in event for event in events)
    assert not any("Secret technical note" in event for event in events)
    assert [row.occurred_at for row in rows] == sorted(row.occurred_at for row in rows)


def test_opening_the_review_costs_the_same_queries_for_a_long_war_room(
    org_user, agent, resolver_group, incident_manager
):
    """The timeline is bulk-inserted: 1 or 50 war-room entries, the same number of queries."""
    counts = []
    for entries in (1, 50):
        major = _major(org_user, agent, resolver_group, incident_manager, war_room_entries=entries)
        with time_machine.travel(RESOLVED_AT, tick=False):
            incident_transition(
                incident=major.incident, actor=agent, name="resolve", notes="Fixed.", code="solved"
            )
        review = PostIncidentReview.objects.get(major_incident=major)
        assert review.timeline_rows.count() >= entries
        review.delete()
        with CaptureQueriesContext(connection) as queries:
            review_open(major_incident=major, actor=agent)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_review_open_is_idempotent(review, major):
    assert review_open(major_incident=major) == review
    assert PostIncidentReview.objects.filter(major_incident=major).count() == 1
    assert review.milestones.count() == len(MILESTONES)


def test_a_milestone_is_marked_done_with_who_and_when(review, incident_manager):
    milestone = review.milestones.get(code="initial_summary")
    with time_machine.travel(RESOLVED_AT + timedelta(hours=1), tick=False):
        done = review_milestone_complete(milestone=milestone, actor=incident_manager)
    assert done.completed_at == RESOLVED_AT + timedelta(hours=1)
    assert done.completed_by == incident_manager
    with pytest.raises(TransitionNotAllowed):
        review_milestone_complete(milestone=milestone, actor=incident_manager)
    assert review_milestone_reopen(milestone=milestone, actor=incident_manager).completed_at is None


def test_skipping_a_milestone_needs_a_reason(review, incident_manager):
    milestone = review.milestones.get(code="impact_analysis")
    with pytest.raises(ValidationFailed) as refused:
        review_milestone_skip(milestone=milestone, actor=incident_manager, reason="  ")
    assert "reason" in refused.value.field_errors
    skipped = review_milestone_skip(
        milestone=milestone, actor=incident_manager, reason="No participant impact to assess."
    )
    assert skipped.completed_at is not None
    assert skipped.skip_reason == "No participant impact to assess."


# --- reminders -------------------------------------------------------------------------------


def test_reminders_go_once_per_milestone_due_within_the_hour(
    review, incident_manager, django_capture_on_commit_callbacks
):
    """§5.23: the Major Incident Manager hears of a step due within the hour or overdue,
    once; a second run sends nothing."""
    at = RESOLVED_AT + timedelta(hours=1, minutes=10)  # the 2-hour step is due in 20 minutes
    with django_capture_on_commit_callbacks(execute=True):
        assert review_milestone_remind_due(now=at) == 1
        assert review_milestone_remind_due(now=at) == 0
        assert review_milestone_remind_due(now=at + timedelta(minutes=5)) == 0
    notices = Notification.objects.filter(user=incident_manager, event="review_milestone_due")
    assert notices.count() == 1
    assert "Initial incident summary" in notices.get().title
    message = OutboundMessage.objects.get(template="review_milestone_due")
    assert message.to_email == incident_manager.email
    assert review.milestones.get(code="initial_summary").reminded_at == at


def test_no_reminder_for_a_milestone_done_in_time(review, incident_manager):
    milestone = review.milestones.get(code="initial_summary")
    review_milestone_complete(milestone=milestone, actor=incident_manager)
    assert review_milestone_remind_due(now=RESOLVED_AT + timedelta(hours=3)) == 0
    assert not Notification.objects.filter(event="review_milestone_due").exists()


def test_overdue_milestones_are_each_reminded_once(review):
    """Seven hours after resolution the 2-hour and 6-hour steps are overdue and the 8-hour one
    is due within the hour: three reminders, then none."""
    assert review_milestone_remind_due(now=RESOLVED_AT + timedelta(hours=7, minutes=30)) == 3
    assert review_milestone_remind_due(now=RESOLVED_AT + timedelta(hours=7, minutes=35)) == 0


def test_a_claimed_milestone_is_not_reminded_again(review):
    """Another worker claimed it first (its conditional UPDATE won): this run sends nothing."""
    ReviewMilestone.objects.filter(review=review, code="initial_summary").update(
        reminded_at=RESOLVED_AT
    )
    assert review_milestone_remind_due(now=RESOLVED_AT + timedelta(hours=1, minutes=30)) == 0


# --- editing ---------------------------------------------------------------------------------


def test_review_update_saves_sections_and_checks_fields(review, incident_manager, agent):
    updated = review_update(
        review=review, actor=incident_manager, business_impact="Settlement delayed 3 hours."
    )
    assert updated.business_impact == "Settlement delayed 3 hours."
    with pytest.raises(ValidationFailed) as refused:
        review_update(review=review, actor=incident_manager, incident_title=" ")
    assert "incident_title" in refused.value.field_errors
    with pytest.raises(ActionNotPermitted):
        review_update(review=review, actor=agent, business_impact="x")


def test_timeline_rows_can_be_added(review, incident_manager):
    row = review_timeline_row_add(
        review=review,
        actor=incident_manager,
        occurred_at=RESOLVED_AT - timedelta(hours=2),
        event="Bridge opened",
    )
    assert row in review.timeline_rows.all()
    with pytest.raises(ValidationFailed) as refused:
        review_timeline_row_add(review=review, actor=incident_manager, occurred_at=None, event="")
    assert set(refused.value.field_errors) == {"occurred_at", "event"}


# --- follow-up actions -----------------------------------------------------------------------


def test_follow_up_action_lifecycle(review, incident_manager, resolver, agent):
    """Appendix E "Owner / Action / Due": added (the owner is told), changed, done with a note,
    reopened."""
    with time_machine.travel(datetime(2026, 3, 30, 9, 0, tzinfo=UTC), tick=False):
        action = review_action_add(
            review=review,
            actor=incident_manager,
            owner=resolver,
            action="Add broker queue-depth alerting",
            due_on=date(2026, 4, 10),
        )
        assert Notification.objects.filter(user=resolver, event="review_action_assigned").exists()
        action = review_action_update(
            action=action,
            actor=incident_manager,
            owner=agent,
            text="Add queue-depth alerting to the DIP broker",
            due_on=date(2026, 4, 17),
        )
        assert Notification.objects.filter(user=agent, event="review_action_assigned").exists()
        done = review_action_complete(action=action, actor=agent, note="Alert live in production")
        assert (done.done_by, done.done_note) == (agent, "Alert live in production")
        with pytest.raises(TransitionNotAllowed):
            review_action_complete(action=action, actor=agent)
        assert review_action_reopen(action=done, actor=incident_manager).done_at is None


def test_an_action_needs_an_active_staff_owner_and_a_due_date_not_past(
    review, incident_manager, org_user
):
    inactive = UserFactory(email="gone@mhhs.example", is_staff=True, is_active=False)
    with time_machine.travel(datetime(2026, 3, 30, 9, 0, tzinfo=UTC), tick=False):
        for owner in (org_user, inactive):
            with pytest.raises(ValidationFailed) as refused:
                review_action_add(
                    review=review,
                    actor=incident_manager,
                    owner=owner,
                    action="Do it",
                    due_on=date(2026, 4, 1),
                )
            assert "owner" in refused.value.field_errors
        with pytest.raises(ValidationFailed) as refused:
            review_action_add(
                review=review,
                actor=incident_manager,
                owner=incident_manager,
                action="",
                due_on=date(2026, 3, 29),
            )
        assert set(refused.value.field_errors) == {"action", "due_on"}


# --- sign-off and distribution ---------------------------------------------------------------


def test_sign_off_needs_the_root_cause_and_every_step_before_it(
    review, incident_manager, service_manager
):
    """§5.23: refused while the root cause is unwritten or a step before sign-off is open."""
    with pytest.raises(ValidationFailed) as refused:
        review_sign_off(review=review, actor=service_manager)
    assert set(refused.value.field_errors) == {"root_cause", "milestones"}
    review_update(review=review, actor=incident_manager, root_cause="Broker disk filled up.")
    for milestone in review.milestones.exclude(
        code__in=("signoff", "follow_up_meeting", "impact_analysis")
    ):
        review_milestone_complete(milestone=milestone, actor=incident_manager)
    with pytest.raises(ValidationFailed) as refused:
        review_sign_off(review=review, actor=service_manager)
    assert "Impact analysis" in refused.value.field_errors["milestones"][0]
    review_milestone_skip(
        milestone=review.milestones.get(code="impact_analysis"),
        actor=incident_manager,
        reason="Covered by the response assessment.",
    )
    signed = review_sign_off(review=review, actor=service_manager)
    assert signed.state == PostIncidentReview.State.SIGNED_OFF
    assert signed.signed_off_by == service_manager
    assert signed.milestones.get(code="signoff").completed_by == service_manager


def test_only_a_service_manager_signs_off(review, incident_manager):
    """The Major Incident Manager writes the review; the desk lead signs it off."""
    review_update(review=review, actor=incident_manager, root_cause="Known.")
    _close_steps_before_signoff(review, incident_manager)
    with pytest.raises(ActionNotPermitted):
        review_sign_off(review=review, actor=incident_manager)


def test_a_signed_off_review_is_read_only_but_actions_are_tracked(
    review, incident_manager, service_manager, resolver
):
    action = review_action_add(
        review=review,
        actor=incident_manager,
        owner=resolver,
        action="Alerting",
        due_on=date.today() + timedelta(days=7),
    )
    review_update(review=review, actor=incident_manager, root_cause="Known.")
    _close_steps_before_signoff(review, incident_manager)
    review_sign_off(review=review, actor=service_manager)
    with pytest.raises(TransitionNotAllowed):
        review_update(review=review, actor=incident_manager, business_impact="Later edit")
    with pytest.raises(TransitionNotAllowed):
        review_timeline_row_add(
            review=review, actor=incident_manager, occurred_at=RESOLVED_AT, event="Late"
        )
    with pytest.raises(TransitionNotAllowed):
        review_milestone_reopen(
            milestone=review.milestones.get(code="initial_summary"), actor=incident_manager
        )
    with pytest.raises(TransitionNotAllowed):
        review_sign_off(review=review, actor=service_manager)
    assert review_action_complete(action=action, actor=resolver, note="Done").done_at
    meeting = review.milestones.get(code="follow_up_meeting")
    assert review_milestone_complete(milestone=meeting, actor=incident_manager).completed_at


def test_distribution_sends_a_summary_to_the_comms_list(
    review, incident_manager, service_manager, org_user, django_capture_on_commit_callbacks
):
    """§5.23 "Distribute the Final PIR" to the Major Incident comms list (§5.19) as a PIR
    communication: the summary, never the internal description or timeline."""
    comms_list = DistributionList.objects.get(name=MAJOR_INCIDENT_COMMS)
    comms_list.members.create(user=org_user)
    review_update(
        review=review,
        actor=incident_manager,
        root_cause="Broker disk filled up.",
        business_impact="Settlement runs delayed by three hours.",
        incident_description="INTERNAL: node dip-broker-3 in rack 12",
    )
    with pytest.raises(TransitionNotAllowed):
        review_distribute(review=review, actor=service_manager)
    _close_steps_before_signoff(review, incident_manager)
    review_sign_off(review=review, actor=service_manager)
    with django_capture_on_commit_callbacks(execute=True):
        message = review_distribute(review=review, actor=service_manager)
    assert message.kind == DistributionListMessage.Kind.PIR
    assert message.distribution_list == comms_list
    assert review.major_incident.number in message.subject
    assert "Broker disk filled up." in message.body
    assert "Settlement runs delayed" in message.body
    assert "INTERNAL" not in message.body
    assert "Bridge" not in message.body
    review.refresh_from_db()
    assert review.distributed_at is not None
    with pytest.raises(TransitionNotAllowed):
        review_distribute(review=review, actor=service_manager)


def test_the_reminder_task_runs_the_service(review):
    """Beat runs it every five minutes (settings `review-milestone-reminders`)."""
    from django.conf import settings

    from major_incidents.review_tasks import review_milestone_remind_due_task

    entry = settings.CELERY_BEAT_SCHEDULE["review-milestone-reminders"]
    assert entry["task"] == "major_incidents.review_tasks.review_milestone_remind_due_task"
    assert entry["schedule"] == 300.0
    with time_machine.travel(RESOLVED_AT + timedelta(hours=1, minutes=30), tick=False):
        assert review_milestone_remind_due_task.delay().get() == {"reminded": 1}


def test_no_reminders_while_the_major_incident_is_active_again(review, major, agent):
    """After a rejected resolution the milestones wait for the next resolution (§5.23)."""
    with time_machine.travel(RESOLVED_AT + timedelta(minutes=30), tick=False):
        incident_transition(
            incident=major.incident, actor=agent, name="reject_resolution", note="Still down."
        )
    assert review_milestone_remind_due(now=RESOLVED_AT + timedelta(hours=3)) == 0


def test_an_action_owner_marks_their_action_done_from_the_review_page(
    review, incident_manager, resolver
):
    from django.urls import reverse

    from tests.conftest import mfa_client

    action = review_action_add(
        review=review,
        actor=incident_manager,
        owner=resolver,
        action="Alerting",
        due_on=date.today() + timedelta(days=3),
    )
    client = mfa_client(resolver)
    page = reverse("admin:major_incidents_postincidentreview_change", args=[review.pk])
    assert "Mark done" in client.get(page).content.decode()
    client.post(
        reverse("admin:major_incidents_postincidentreview_action", args=[review.pk, action.pk]),
        {"do": "done", "note": "Shipped"},
    )
    action.refresh_from_db()
    assert (action.done_by, action.done_note) == (resolver, "Shipped")
