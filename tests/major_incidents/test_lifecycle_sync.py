"""A major incident follows the incident it wraps (§5.11 steps 17–23, `major_incidents.lifecycle`):
resolved with it (services operational, no comms due, the review opened), active again when the
resolution is rejected, closed with it; one led by another provider (§5.24) is left alone."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.services import incident_transition
from major_incidents.models import (
    MajorIncident,
    PostIncidentReview,
    ReviewMilestone,
    ServiceImpact,
    TimelineEntry,
)
from major_incidents.records import major_incident_open
from tests.factories.incidents import opened_major_incident, raised_incident

RESOLVED_AT = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)


@pytest.fixture
def major(org_user, agent, resolver_group, incident_manager):
    with time_machine.travel(RESOLVED_AT - timedelta(hours=3)):
        incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        incident = incident_transition(incident=incident, actor=agent, name="start")
        return opened_major_incident(incident=incident, actor=agent, manager=incident_manager)


def _resolve(major, agent, at=RESOLVED_AT):
    with time_machine.travel(at, tick=False):
        return incident_transition(
            incident=major.incident,
            actor=agent,
            name="resolve",
            notes="Restarted the DIP message broker; queues drained.",
            code="solved",
        )


def test_resolving_the_incident_resolves_the_major_incident(major, agent):
    """§5.11 steps 17, 22: resolved at the incident's instant, public status resolved, services
    operational, no comms due, a timeline entry, and the review opened (§5.23)."""
    incident = _resolve(major, agent)
    major.refresh_from_db()
    assert major.state == MajorIncident.State.RESOLVED
    assert major.resolved_at == incident.resolved_at == RESOLVED_AT
    assert major.public_status == MajorIncident.PublicStatus.RESOLVED
    assert major.next_comms_due_at is None
    assert set(major.service_impacts.values_list("status", flat=True)) == {
        ServiceImpact.Status.OPERATIONAL
    }
    assert major.timeline.filter(kind=TimelineEntry.Kind.STATE, body__contains="resolved").exists()
    review = PostIncidentReview.objects.get(major_incident=major)
    assert review.resolved_at == RESOLVED_AT


def test_rejected_resolution_makes_it_active_again_and_keeps_the_review(major, agent, org_user):
    """§10.3: a rejected resolution reopens the incident; the major incident is active with
    updates due again, and the one review is kept, marked reopened."""
    incident = _resolve(major, agent)
    with time_machine.travel(RESOLVED_AT + timedelta(hours=1), tick=False):
        incident_transition(
            incident=incident, actor=agent, name="reject_resolution", note="Still failing."
        )
    major.refresh_from_db()
    assert major.state == MajorIncident.State.ACTIVE
    assert major.resolved_at is None
    assert major.next_comms_due_at == RESOLVED_AT + timedelta(
        hours=1, minutes=major.update_interval_minutes
    )
    review = PostIncidentReview.objects.get(major_incident=major)
    assert review.reopened_at == RESOLVED_AT + timedelta(hours=1)


def test_re_resolution_reuses_the_review_and_moves_its_milestones(major, agent):
    """§5.23: one review per major incident; the milestones run from the latest resolution."""
    incident = _resolve(major, agent)
    review = PostIncidentReview.objects.get(major_incident=major)
    first = review.milestones.get(code="initial_summary")
    ReviewMilestone.objects.filter(pk=first.pk).update(reminded_at=RESOLVED_AT)
    rows_before = review.timeline_rows.count()
    with time_machine.travel(RESOLVED_AT + timedelta(hours=1), tick=False):
        incident = incident_transition(
            incident=incident, actor=agent, name="reject_resolution", note="Still failing."
        )
    again = RESOLVED_AT + timedelta(hours=5)
    _resolve(major, agent, at=again)
    assert PostIncidentReview.objects.filter(major_incident=major).count() == 1
    review.refresh_from_db()
    assert review.resolved_at == again
    assert review.service_restored_at == again
    first.refresh_from_db()
    assert first.due_at == again + timedelta(hours=2)
    assert first.reminded_at is None
    # What happened since the first resolution joins the timeline, nothing twice.
    bodies = list(review.timeline_rows.values_list("event", flat=True))
    assert len(bodies) > rows_before
    rows = list(review.timeline_rows.values_list("occurred_at", "event"))
    assert len(rows) == len(set(rows)), rows
    assert any("Still failing" in body for body in bodies)


def test_closing_the_incident_closes_the_major_incident(major, agent):
    incident = _resolve(major, agent)
    with time_machine.travel(RESOLVED_AT + timedelta(days=1), tick=False):
        incident_transition(incident=incident, actor=agent, name="close")
    major.refresh_from_db()
    assert major.state == MajorIncident.State.CLOSED
    assert major.closed_at == RESOLVED_AT + timedelta(days=1)


def test_other_transitions_leave_the_major_incident_alone(
    org_user, agent, resolver_group, incident_manager
):
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    major = opened_major_incident(incident=incident, actor=agent, manager=incident_manager)
    incident_transition(incident=incident, actor=agent, name="start")
    major.refresh_from_db()
    assert major.state == MajorIncident.State.ACTIVE
    assert not PostIncidentReview.objects.exists()


def test_a_major_incident_led_by_another_provider_is_not_synced(
    org_user, agent, resolver_group, incident_manager
):
    """§5.24: the desk's incidents are only linked to another provider's major incident; resolving
    one of them does not resolve it."""
    major = major_incident_open(
        actor=agent,
        manager=incident_manager,
        title="CSS outage",
        public_title="Switching service outage",
        led_by_other_provider=True,
        lead_provider="DCC",
    )
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    major.linked_incidents.add(incident)
    incident = incident_transition(incident=incident, actor=agent, name="start")
    incident_transition(
        incident=incident, actor=agent, name="resolve", notes="Fixed upstream.", code="solved"
    )
    major.refresh_from_db()
    assert major.state == MajorIncident.State.ACTIVE
    assert not PostIncidentReview.objects.exists()
