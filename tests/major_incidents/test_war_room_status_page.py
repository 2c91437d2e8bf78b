"""Public updates and service status from the war room (§5.11 steps 13 and 20, §5.22,
Appendix G "BSC Website Update"): public words only, each change on the timeline."""

import pytest

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from incidents.services import incident_work_note_add
from major_incidents.models import MajorIncident, PublicUpdate, ServiceImpact, TimelineEntry
from major_incidents.public import (
    public_update_publish,
    service_impact_set,
    service_impacts_restore,
)
from tickets.models import Service

WORK_NOTE = "Ingest node db-07 out of disk; restarted with --force"


def test_a_public_update_sets_the_public_status_and_is_on_the_timeline(major, incident_manager):
    update = public_update_publish(
        major_incident=major,
        actor=incident_manager,
        status=MajorIncident.PublicStatus.IDENTIFIED,
        body="We have found the cause and are applying a fix.",
    )
    major.refresh_from_db()
    assert major.public_status == MajorIncident.PublicStatus.IDENTIFIED
    assert update.published_by == incident_manager
    assert major.timeline.filter(kind=TimelineEntry.Kind.PUBLIC_UPDATE).exists()


def test_public_updates_never_copy_work_notes(major, incident, incident_manager):
    """Appendix G: public text only; nothing from work notes or case descriptions."""
    incident_work_note_add(incident=incident, actor=incident_manager, body=WORK_NOTE)
    public_update_publish(
        major_incident=major,
        actor=incident_manager,
        status=MajorIncident.PublicStatus.MONITORING,
        body="A fix is in place and we are monitoring.",
    )
    for update in PublicUpdate.objects.all():
        assert WORK_NOTE not in update.body and "db-07" not in update.body
        assert incident.description not in update.body


@pytest.mark.parametrize(
    ("status", "body", "field"),
    [
        ("fixed", "Fine", "status"),
        ("monitoring", " ", "body"),
        ("monitoring", "MPAN 1200023305967", "body"),
    ],
)
def test_a_bad_public_update_is_refused_naming_the_field(
    major, incident_manager, status, body, field
):
    with pytest.raises(ValidationFailed) as refused:
        public_update_publish(
            major_incident=major, actor=incident_manager, status=status, body=body
        )
    assert field in refused.value.field_errors
    assert not PublicUpdate.objects.exists()


def test_only_a_manager_publishes(major, agent):
    with pytest.raises(ActionNotPermitted):
        public_update_publish(major_incident=major, actor=agent, status="monitoring", body="x")


def test_a_service_status_change_is_on_the_timeline_and_a_new_service_is_added(
    major, incident_manager
):
    dip, cra = Service.objects.get(code="dip"), Service.objects.get(code="cra")
    service_impact_set(
        major_incident=major, actor=incident_manager, service=dip, status="partial_outage"
    )
    service_impact_set(major_incident=major, actor=incident_manager, service=cra, status="degraded")
    same = service_impact_set(
        major_incident=major, actor=incident_manager, service=cra, status="degraded"
    )
    assert same.status == ServiceImpact.Status.DEGRADED
    bodies = list(
        major.timeline.filter(kind=TimelineEntry.Kind.SERVICE_STATUS).values_list("body", flat=True)
    )
    assert len(bodies) == 2
    assert "Major outage → Partial outage" in bodies[0]
    assert "added as affected" in bodies[1]


def test_an_unknown_service_status_is_refused(major, incident_manager):
    with pytest.raises(ValidationFailed) as refused:
        service_impact_set(
            major_incident=major,
            actor=incident_manager,
            service=Service.objects.get(code="dip"),
            status="on_fire",
        )
    assert "status" in refused.value.field_errors


def test_service_status_is_not_changed_once_resolved(major, incident_manager):
    MajorIncident.objects.filter(pk=major.pk).update(state=MajorIncident.State.RESOLVED)
    with pytest.raises(TransitionNotAllowed):
        service_impact_set(
            major_incident=major,
            actor=incident_manager,
            service=Service.objects.get(code="dip"),
            status="degraded",
        )


def test_on_resolution_every_service_goes_back_to_operational(major, incident_manager):
    """§5.11 step 20: the status page shows the resolution."""
    assert service_impacts_restore(major_incident=major, actor=incident_manager) == 1
    assert set(major.service_impacts.values_list("status", flat=True)) == {"operational"}
    assert service_impacts_restore(major_incident=major, actor=incident_manager) == 0


def test_the_war_room_publishes_a_public_update(major, incident_manager):
    from django.urls import reverse

    from tests.conftest import mfa_client

    client = mfa_client(incident_manager)
    url = reverse("admin:major_incidents_majorincident_public_update", args=[major.pk])
    response = client.post(url, {"status": "monitoring", "body": "Fix applied; monitoring."})
    assert response.status_code == 302
    assert PublicUpdate.objects.get().status == "monitoring"
    assert client.post(url, {"status": "monitoring", "body": ""}).status_code == 400
