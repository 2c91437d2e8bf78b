"""Opening a major incident (`major_incidents.records`): the first comms fall due within 15
minutes (§5.18), the promotion is on the timeline, and a bad opening is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import ValidationFailed
from major_incidents.models import MajorIncident, ServiceImpact, TimelineEntry
from major_incidents.records import major_incident_open
from tests.factories.incidents import opened_major_incident, raised_incident


@pytest.fixture
def incident(org_user, agent, resolver_group):
    return raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)


def test_initial_notification_falls_due_fifteen_minutes_after_promotion(
    incident, agent, incident_manager
):
    before = timezone.now()
    major = opened_major_incident(incident=incident, actor=agent, manager=incident_manager)
    assert major.number.startswith("MI")
    assert major.state == MajorIncident.State.ACTIVE
    assert before + timedelta(minutes=15) <= major.next_comms_due_at
    assert major.next_comms_due_at <= timezone.now() + timedelta(minutes=15)
    impact = major.service_impacts.get()
    assert (impact.service.code, impact.status) == ("dip", ServiceImpact.Status.MAJOR_OUTAGE)
    entry = major.timeline.get()
    assert entry.kind == TimelineEntry.Kind.PROMOTED
    assert incident.number in entry.body


def test_another_providers_major_incident_needs_the_lead_provider_named(agent, incident_manager):
    with pytest.raises(ValidationFailed) as refused:
        major_incident_open(
            actor=agent,
            manager=incident_manager,
            title="CSS outage",
            public_title="Switching service outage",
            led_by_other_provider=True,
        )
    assert "lead_provider" in refused.value.field_errors
    assert not MajorIncident.objects.exists()


def test_a_desk_led_major_incident_wraps_an_incident(agent, incident_manager):
    with pytest.raises(ValidationFailed) as refused:
        major_incident_open(actor=agent, manager=incident_manager, title="x", public_title="y")
    assert "incident" in refused.value.field_errors
