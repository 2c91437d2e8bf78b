"""Major-incident comms (§5.17–5.19.1, Appendix G): the composer's prefilled templates and
sending to the Major Incident comms list."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from comms.models import DistributionListMessage, OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from incidents.services import incident_transition, incident_work_note_add
from major_incidents.comms import (
    comms_draft,
    comms_send,
    major_incident_update_interval_set,
)
from major_incidents.models import (
    CommsMessage,
    MajorIncident,
    PublicUpdate,
    ServiceImpact,
    TimelineEntry,
)

SECRET_NOTE = "Root cause: the ingest node db-07 ran out of disk; password hunter2"


def send(major, actor, kind="initial", **kwargs):
    draft = comms_draft(major_incident=major, kind=kind)
    return comms_send(
        major_incident=major,
        actor=actor,
        kind=kind,
        subject=kwargs.pop("subject", draft.subject),
        body=kwargs.pop("body", draft.body),
        **kwargs,
    )


def resolve(incident, actor):
    incident.refresh_from_db()
    if incident.state == incident.State.NEW:
        incident_transition(incident=incident, actor=actor, name="start")
        incident.refresh_from_db()
    incident_transition(
        incident=incident, actor=actor, name="resolve", notes="Node restarted.", code="solved"
    )


@pytest.mark.parametrize("kind", ["initial", "update", "escalation", "resolution", "recovery"])
def test_drafts_are_in_business_language_from_the_public_fields_only(
    major, incident, incident_manager, kind
):
    """§5.17, Appendix G: prefilled from title, services, impact summary and next update time;
    never from work notes or the case's description."""
    incident_work_note_add(incident=incident, actor=incident_manager, body=SECRET_NOTE)
    draft = comms_draft(major_incident=major, kind=kind)
    text = draft.subject + draft.body
    assert major.public_title in text
    assert "Data Integration Platform" in draft.body
    assert "Suppliers cannot submit settlement data" in draft.body
    assert SECRET_NOTE not in text and "db-07" not in text
    assert incident.description not in text and incident.short_description not in text
    if kind in ("resolution", "recovery"):
        assert "Next update" not in draft.body
    else:
        assert "Major outage" in draft.body and "Next update: by" in draft.body


def test_sending_goes_to_the_comms_list_and_sets_the_next_update_due(
    major, incident_manager, django_capture_on_commit_callbacks
):
    """§5.19, §5.19.1: the list message is the delivery record; the next update is due the
    major incident's interval after this one."""
    with django_capture_on_commit_callbacks(execute=True):
        sent = send(major, incident_manager)
    major.refresh_from_db()
    assert sent.kind == CommsMessage.Kind.INITIAL
    assert sent.list_message.kind == DistributionListMessage.Kind.INITIAL
    assert sent.list_message.distribution_list.name == "Major Incident comms"
    assert major.next_comms_due_at == sent.sent_at + timedelta(minutes=60)
    email = OutboundMessage.objects.get(to_email="stakeholders@supplier.example")
    assert major.public_title in email.body_text
    assert major.timeline.filter(kind=TimelineEntry.Kind.COMMS).count() == 1


def test_the_next_update_is_due_the_chosen_interval_after_each_send(major, incident_manager):
    """§5.19.1: every 30 minutes to an hour; with 30, an update sent now is due in 30."""
    major_incident_update_interval_set(major_incident=major, actor=incident_manager, minutes=30)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send(major, incident_manager)
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        send(major, incident_manager, kind="update")
    major.refresh_from_db()
    assert major.next_comms_due_at == start + timedelta(minutes=55)


def test_changing_the_interval_moves_the_next_due_time_from_the_last_send(major, incident_manager):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        send(major, incident_manager)
    major_incident_update_interval_set(major_incident=major, actor=incident_manager, minutes=45)
    major.refresh_from_db()
    assert major.next_comms_due_at == start + timedelta(minutes=45)
    assert major.timeline.filter(body__contains="every 45 minutes (was 60)").exists()


@pytest.mark.parametrize("minutes", [0, 29, 61, 240, "soon", None])
def test_the_update_interval_must_be_between_30_and_60_minutes(major, incident_manager, minutes):
    """§5.19.1: regular updates every 30 minutes to 1 hour (the settings' bounds)."""
    with pytest.raises(ValidationFailed) as refused:
        major_incident_update_interval_set(
            major_incident=major, actor=incident_manager, minutes=minutes
        )
    assert "update_interval_minutes" in refused.value.field_errors


def test_the_interval_bounds_are_settings(major, incident_manager, settings):
    settings.MAJOR_INCIDENT_UPDATE_MAX_MINUTES = 90
    major_incident_update_interval_set(major_incident=major, actor=incident_manager, minutes=90)
    major.refresh_from_db()
    assert major.update_interval_minutes == 90


def test_the_initial_notification_goes_first_and_once(major, incident_manager):
    """§5.18: the initial stakeholder notification, then updates."""
    with pytest.raises(TransitionNotAllowed, match="initial notification"):
        send(major, incident_manager, kind="update")
    send(major, incident_manager)
    with pytest.raises(TransitionNotAllowed, match="sent already"):
        send(major, incident_manager)
    assert major.comms.count() == 1


def test_a_resolution_notification_needs_the_incident_resolved(
    major, incident, incident_manager, resolver
):
    """§5.11 step 21: resolution comms once the resolution is confirmed; after it nothing more
    is due, and the services are back to operational on the status page."""
    send(major, incident_manager)
    with pytest.raises(TransitionNotAllowed, match="resolved first"):
        send(major, incident_manager, kind="resolution")
    incident.assignment_group.members.add(resolver)
    resolve(incident, resolver)
    send(major, incident_manager, kind="resolution")
    major.refresh_from_db()
    assert major.next_comms_due_at is None
    assert set(major.service_impacts.values_list("status", flat=True)) == {
        ServiceImpact.Status.OPERATIONAL
    }
    # §5.17 recovery confirmation: on the list as an ad-hoc communication; still nothing due.
    recovery = send(major, incident_manager, kind="recovery")
    assert recovery.list_message.kind == DistributionListMessage.Kind.AD_HOC
    major.refresh_from_db()
    assert major.next_comms_due_at is None


def test_only_a_major_incident_manager_sends_comms(major, agent, resolver):
    for person in (agent, resolver):
        with pytest.raises(ActionNotPermitted):
            send(major, person)
    assert not CommsMessage.objects.exists()


def test_a_bad_message_is_refused_naming_the_fields_and_nothing_is_sent(major, incident_manager):
    with pytest.raises(ValidationFailed) as refused:
        send(major, incident_manager, subject="", body="MPAN 1200023305967 is affected")
    assert set(refused.value.field_errors) == {"subject", "body"}
    major.refresh_from_db()
    assert not major.comms.exists() and not DistributionListMessage.objects.exists()


def test_a_closed_major_incident_takes_no_more_comms(major, incident_manager):
    MajorIncident.objects.filter(pk=major.pk).update(state=MajorIncident.State.CLOSED)
    with pytest.raises(TransitionNotAllowed, match="closed"):
        send(major, incident_manager)


def test_sending_can_publish_the_same_words_on_the_status_page(major, incident, incident_manager):
    """Appendix G: the BSC website is updated with the progress; public words only."""
    incident_work_note_add(incident=incident, actor=incident_manager, body=SECRET_NOTE)
    sent = send(
        major,
        incident_manager,
        publish_to_status_page=True,
        public_status=MajorIncident.PublicStatus.IDENTIFIED,
    )
    update = PublicUpdate.objects.get(major_incident=major)
    major.refresh_from_db()
    assert update.body == sent.body
    assert SECRET_NOTE not in update.body
    assert major.public_status == MajorIncident.PublicStatus.IDENTIFIED


def test_publishing_with_an_unknown_status_is_refused(major, incident_manager):
    with pytest.raises(ValidationFailed) as refused:
        send(major, incident_manager, publish_to_status_page=True, public_status="fixed")
    assert "public_status" in refused.value.field_errors
