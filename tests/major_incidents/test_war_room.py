"""The war room (§5.11 steps 8–22, §5.17, §5.19.1): one console page per major incident,
run by the Major Incident Manager and read by other staff."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import IncidentEngagement
from incidents.services import incident_work_note_add
from major_incidents.comms import comms_draft, comms_send
from major_incidents.models import MajorIncident, ServiceImpact, TimelineEntry
from major_incidents.records import timeline_add
from major_incidents.war_room import comms_due, timeline_for
from tests.conftest import mfa_client
from tickets.models import Service
from tickets.services import ticket_comment_add


def war_room_url(major) -> str:
    return reverse("admin:major_incidents_majorincident_change", args=[major.pk])


def url(major, name: str) -> str:
    return reverse(f"admin:major_incidents_majorincident_{name}", args=[major.pk])


@pytest.fixture
def manager_client(incident_manager):
    return mfa_client(incident_manager)


def send_initial(major, actor):
    draft = comms_draft(major_incident=major, kind="initial")
    return comms_send(
        major_incident=major, actor=actor, kind="initial", subject=draft.subject, body=draft.body
    )


def test_the_war_room_shows_header_services_people_due_and_timeline(
    major, incident, incident_manager, manager_client
):
    IncidentEngagement.objects.create(
        incident=incident,
        role=IncidentEngagement.Role.PRODUCT_OWNER,
        contact_name="Priya Product",
        engaged_by=incident_manager,
    )
    response = manager_client.get(war_room_url(major))
    assert response.status_code == 200
    html = response.content.decode()
    for expected in (
        major.number,
        major.public_title,
        major.title,
        incident.number,
        reverse("admin:incidents_incident_change", args=[incident.pk]),
        "Data Integration Platform",
        "Major outage",
        "Priya Product",
        "Product owner",
        "due in 15 min",
        "promoted to major incident",
    ):
        assert expected in html, expected
    assert 'id="bridge"' in html and 'action="' + url(major, "bridge") in html


def test_work_notes_are_marked_internal_on_the_timeline(major, incident, incident_manager):
    incident_work_note_add(incident=incident, actor=incident_manager, body="Disk full on node 7")
    ticket_comment_add(ticket=incident, actor=incident_manager, body="We are on it")
    items = timeline_for(major).items
    note = next(item for item in items if item.body == "Disk full on node 7")
    comment = next(item for item in items if item.body == "We are on it")
    assert note.internal and note.label == "Work note (internal)"
    assert not comment.internal


def test_the_timeline_merges_events_journal_and_comms_newest_first(
    major, incident, incident_manager
):
    send_initial(major, incident_manager)
    incident_work_note_add(incident=incident, actor=incident_manager, body="Later note")
    items = timeline_for(major).items
    sources = [item.source for item in items]
    assert {"event", "journal", "comms"} <= set(sources)
    assert items[0].body == "Later note"
    assert [item.at for item in items] == sorted((item.at for item in items), reverse=True)
    # A communication appears once, as the message sent.
    assert sum(1 for item in items if item.source == "comms") == 1
    assert not any(item.kind == TimelineEntry.Kind.COMMS for item in items)


def test_the_timeline_shows_the_newest_200_with_show_all(major, incident_manager, manager_client):
    for n in range(205):
        timeline_add(major_incident=major, kind=TimelineEntry.Kind.NOTE, body=f"note {n}")
    timeline = timeline_for(major)
    assert len(timeline.items) == 200 and timeline.truncated
    html = manager_client.get(war_room_url(major)).content.decode()
    assert "Show the whole timeline" in html
    everything = manager_client.get(war_room_url(major), {"timeline": "all"})
    assert len(everything.context["timeline"].items) > 205


def test_the_due_badge_says_due_in_or_late_by(major):
    at = major.next_comms_due_at
    assert comms_due(major, now=at - timedelta(minutes=12)).text == "due in 12 min"
    assert comms_due(major, now=at + timedelta(minutes=5)).text == "LATE by 5 min"
    assert comms_due(major, now=at).text == "Due now"
    major.state = MajorIncident.State.RESOLVED
    assert comms_due(major, now=at).text == "No update due"


def test_the_manager_changes_the_bridge_and_it_is_on_the_timeline(major, manager_client):
    response = manager_client.post(
        url(major, "bridge"), {"bridge_details": "Teams: https://bridge.example/mi PIN 4242"}
    )
    assert response.status_code == 302
    major.refresh_from_db()
    assert "PIN 4242" in major.bridge_details
    assert major.timeline.filter(kind=TimelineEntry.Kind.BRIDGE, body__contains="4242").exists()


def test_the_manager_changes_a_service_status_and_it_is_on_the_timeline(major, manager_client):
    dip = Service.objects.get(code="dip")
    response = manager_client.post(
        url(major, "service"), {"service": dip.pk, "status": ServiceImpact.Status.DEGRADED}
    )
    assert response.status_code == 302
    assert major.service_impacts.get(service=dip).status == ServiceImpact.Status.DEGRADED
    entry = major.timeline.get(kind=TimelineEntry.Kind.SERVICE_STATUS)
    assert "Major outage → Degraded performance" in entry.body


def test_a_bad_interval_is_shown_on_the_form(major, manager_client):
    response = manager_client.post(url(major, "interval"), {"update_interval_minutes": 90})
    assert response.status_code == 400
    assert "Give a number from 30 to 60." in response.content.decode()


def test_the_war_room_offers_the_initial_notification_first_then_updates(
    major, incident_manager, manager_client
):
    """§5.18: the initial notification first; resolution comms only once resolved."""
    links = manager_client.get(war_room_url(major)).context["comms_links"]
    assert [label for label, _ in links] == ["Initial notification"]
    send_initial(major, incident_manager)
    links = manager_client.get(war_room_url(major)).context["comms_links"]
    assert [label for label, _ in links] == ["Update", "Escalation notification"]


def test_the_composer_prefills_and_sends(major, manager_client, comms_list):
    page = manager_client.get(url(major, "comms"), {"kind": "initial"})
    assert page.status_code == 200
    form = page.context["form"]
    assert major.public_title in form.initial["subject"]
    response = manager_client.post(
        url(major, "comms"),
        {"kind": "initial", "subject": form.initial["subject"], "body": form.initial["body"]},
    )
    assert response.status_code == 302
    assert major.comms.count() == 1


def test_the_composer_shows_a_refusal_on_the_form(major, manager_client):
    response = manager_client.post(
        url(major, "comms"), {"kind": "update", "subject": "Update", "body": "Still down."}
    )
    assert response.status_code == 400
    assert "Send the initial notification" in response.content.decode()


def test_other_staff_read_the_war_room_without_its_forms(major, agent_client):
    response = agent_client.get(war_room_url(major))
    assert response.status_code == 200
    html = response.content.decode()
    assert major.number in html
    assert url(major, "bridge") not in html and url(major, "comms") not in html
    assert agent_client.post(url(major, "bridge"), {"bridge_details": "x"}).status_code == 403
    assert agent_client.get(url(major, "comms")).status_code == 403


def test_participants_never_reach_the_war_room(major, org_client):
    response = org_client.get(war_room_url(major))
    assert response.status_code == 302  # to the console's sign-in


def test_an_unknown_war_room_is_404(major, manager_client):
    bad = reverse("admin:major_incidents_majorincident_change", args=[999999])
    assert manager_client.get(bad).status_code == 404


def test_the_list_shows_the_due_badge(major, manager_client):
    response = manager_client.get(reverse("admin:major_incidents_majorincident_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert major.number in html and "due in" in html
    assert reverse("admin:major_incidents_majorincident_other_provider") in html


def _grow(major, incident, actor, size: int) -> None:
    """`size` rows of each timeline source."""
    now = timezone.now()
    for n in range(size):
        timeline_add(major_incident=major, kind=TimelineEntry.Kind.NOTE, body=f"note {n}")
        incident_work_note_add(incident=incident, actor=actor, body=f"work {n}")
    from major_incidents.models import CommsMessage

    CommsMessage.objects.bulk_create(
        CommsMessage(
            major_incident=major,
            kind=CommsMessage.Kind.UPDATE,
            subject=f"Update {n}",
            body="Still investigating.",
            sent_by=actor,
            sent_at=now,
        )
        for n in range(size)
    )
    IncidentEngagement.objects.bulk_create(
        IncidentEngagement(
            incident=incident,
            role=IncidentEngagement.Role.TECHNICAL_RESOLVER,
            person=actor,
            engaged_by=actor,
        )
        for _ in range(size)
    )


@pytest.mark.parametrize("size", [1, 50])
def test_the_war_room_costs_the_same_however_long_the_timeline(
    major, incident, incident_manager, manager_client, size, django_assert_num_queries
):
    """docs/conventions.md §7: constant queries for 1 or 50 rows of each source."""
    _grow(major, incident, incident_manager, size)
    manager_client.get(war_room_url(major))  # warm the session and the access cache
    # 1 session, 2 user, 3 the major incident with manager, triage lead and incident joined,
    # 4 its services, 5 people engaged, 6 timeline events, 7 the incident's journal, 8 comms
    # sent, 9 the last public updates, 10 whether the initial notification is out (the
    # composer's choices), 11 the services offered by the status form, 12 its industry
    # circulars, 13 its post-incident review.
    with django_assert_num_queries(13):
        response = manager_client.get(war_room_url(major))
    assert response.status_code == 200


@pytest.mark.parametrize("size", [2, 20])
def test_the_major_incident_list_costs_the_same_at_any_size(
    incident_manager, agent, org_user, resolver_group, comms_list, size, django_assert_num_queries
):
    """docs/conventions.md §7: the console list joins the manager and counts no further than
    its page."""
    from tests.factories.incidents import opened_major_incident, raised_incident

    for _ in range(size):
        opened_major_incident(
            incident=raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group),
            actor=agent,
            manager=incident_manager,
        )
    client = mfa_client(incident_manager)
    changelist = reverse("admin:major_incidents_majorincident_changelist")
    client.get(changelist)  # warm the session and the access cache
    # 1 session, 2 user, 3 the page count (capped), 4 the page with the manager joined.
    with django_assert_num_queries(4):
        response = client.get(changelist)
    assert len(response.context["cl"].result_list) == size
