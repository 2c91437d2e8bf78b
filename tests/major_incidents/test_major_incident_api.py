"""REST API v1 for major incidents (§5.11, §5.17–5.19.1, §5.22): staff with the view
permission read them; managers send comms and publish status page updates."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from access.models import AccessToken
from incidents.services import incident_work_note_add
from major_incidents.comms import comms_draft, comms_send
from major_incidents.models import MajorIncident, PublicUpdate
from major_incidents.public import public_update_publish
from major_incidents.records import timeline_add
from tests.factories.access import api_client
from tests.factories.incidents import opened_major_incident, raised_incident

MAJOR_INCIDENTS = "/api/v1/major-incidents/"


def url(major, suffix: str = "") -> str:
    return f"{MAJOR_INCIDENTS}{major.number}/{suffix}"


def error(response) -> dict:
    return response.json()["error"]


def initial(major, actor):
    draft = comms_draft(major_incident=major, kind="initial")
    return comms_send(
        major_incident=major, actor=actor, kind="initial", subject=draft.subject, body=draft.body
    )


def test_staff_list_major_incidents_filtered_by_state(major, agent, incident_manager):
    response = api_client(agent).get(MAJOR_INCIDENTS, {"state": "active"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["number"] == major.number and row["incident"] == major.incident.number
    assert row["manager"]["email"] == incident_manager.email
    assert api_client(agent).get(MAJOR_INCIDENTS, {"state": "closed"}).json()["count"] == 0


def test_a_bad_state_filter_is_400_naming_it(major, agent):
    response = api_client(agent).get(MAJOR_INCIDENTS, {"state": "lost"})
    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"state"}


def test_participants_are_refused(major, org_user):
    response = api_client(org_user).get(MAJOR_INCIDENTS)
    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"
    assert api_client(org_user).get(url(major)).status_code == 403


def test_anonymous_callers_are_401(major):
    assert APIClient().get(MAJOR_INCIDENTS).status_code == 401


def test_a_token_needs_the_incidents_area(major, agent):
    response = api_client(agent, scopes=[AccessToken.Scope.READ, "cases"]).get(MAJOR_INCIDENTS)
    assert response.status_code == 403
    assert "incidents" in error(response)["message"]
    ok = api_client(agent, scopes=[AccessToken.Scope.READ, "incidents"]).get(MAJOR_INCIDENTS)
    assert ok.status_code == 200


def test_the_detail_has_services_manager_comms_due_public_updates_and_comms(
    major, agent, incident_manager
):
    sent = initial(major, incident_manager)
    public_update_publish(
        major_incident=major, actor=incident_manager, status="identified", body="Cause found."
    )
    response = api_client(agent).get(url(major))
    assert response.status_code == 200
    body = response.json()
    assert body["services"] == [
        {
            "service": "dip",
            "name": "Data Integration Platform",
            "status": "major_outage",
            "updated_at": body["services"][0]["updated_at"],
        }
    ]
    assert body["manager"]["email"] == incident_manager.email
    assert body["comms_due"]["late"] is False and body["comms_due"]["due_at"]
    assert body["public_updates"][0]["body"] == "Cause found."
    assert body["comms"][0]["subject"] == sent.subject
    assert body["public_status"] == "identified"


def test_an_unknown_number_is_404(agent):
    response = api_client(agent).get(f"{MAJOR_INCIDENTS}MI9999999/")
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_the_timeline_marks_work_notes_internal(major, incident, agent, incident_manager):
    incident_work_note_add(incident=incident, actor=incident_manager, body="Disk full")
    response = api_client(agent).get(url(major, "timeline/"))
    assert response.status_code == 200
    items = response.json()["items"]
    note = next(item for item in items if item["body"] == "Disk full")
    assert note["internal"] is True and note["source"] == "journal"
    assert api_client(agent).get(url(major, "timeline/"), {"all": "maybe"}).status_code == 400


def test_a_manager_sends_comms_and_the_next_update_falls_due(major, incident_manager):
    draft = comms_draft(major_incident=major, kind="initial")
    response = api_client(incident_manager).post(
        url(major, "comms/"),
        {"kind": "initial", "subject": draft.subject, "body": draft.body},
        format="json",
    )
    assert response.status_code == 201
    major.refresh_from_db()
    sent = major.comms.get()
    assert response.json()["id"] == sent.pk
    assert major.next_comms_due_at == sent.sent_at + timedelta(minutes=60)


def test_comms_bad_input_is_400_naming_the_field(major, incident_manager):
    response = api_client(incident_manager).post(
        url(major, "comms/"), {"kind": "gossip", "subject": "", "body": "x"}, format="json"
    )
    assert response.status_code == 400
    assert {"kind", "subject"} <= set(error(response)["fields"])


def test_comms_out_of_order_is_409(major, incident_manager):
    response = api_client(incident_manager).post(
        url(major, "comms/"), {"kind": "update", "subject": "U", "body": "Still."}, format="json"
    )
    assert response.status_code == 409
    assert error(response)["code"] == "transition_not_allowed"


def test_an_agent_may_read_but_not_send(major, agent):
    response = api_client(agent).post(
        url(major, "comms/"), {"kind": "initial", "subject": "S", "body": "B"}, format="json"
    )
    assert response.status_code == 403
    assert not major.comms.exists()
    response = api_client(agent).post(
        url(major, "public-updates/"), {"status": "monitoring", "body": "x"}, format="json"
    )
    assert response.status_code == 403


def test_a_manager_publishes_a_public_update(major, incident_manager):
    response = api_client(incident_manager).post(
        url(major, "public-updates/"),
        {"status": "monitoring", "body": "A fix is in place."},
        format="json",
    )
    assert response.status_code == 201
    assert PublicUpdate.objects.get().body == "A fix is in place."
    major.refresh_from_db()
    assert major.public_status == MajorIncident.PublicStatus.MONITORING
    bad = api_client(incident_manager).post(
        url(major, "public-updates/"), {"status": "fine", "body": ""}, format="json"
    )
    assert bad.status_code == 400 and {"status", "body"} <= set(error(bad)["fields"])


@pytest.mark.parametrize("size", [2, 20])
def test_the_list_costs_the_same_at_any_size(
    agent, org_user, incident_manager, resolver_group, comms_list, size, django_assert_num_queries
):
    """docs/conventions.md §7."""
    for _ in range(size):
        opened_major_incident(
            incident=raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group),
            actor=agent,
            manager=incident_manager,
        )
    client = api_client(agent)
    client.get(MAJOR_INCIDENTS)  # the token's first use stamps last-used
    # 1 token joined with its user; 2 the page count; 3 the page with manager, triage lead and
    # incident joined. Permissions and the TOTP check (§10.5.2) come from the access cache.
    with django_assert_num_queries(3):
        response = client.get(MAJOR_INCIDENTS, {"page_size": 50})
    assert len(response.json()["results"]) == size


@pytest.mark.parametrize("size", [1, 30])
def test_the_detail_and_timeline_cost_the_same_at_any_size(
    major, incident, agent, incident_manager, size, django_assert_num_queries
):
    initial(major, incident_manager)
    for n in range(size):
        timeline_add(major_incident=major, kind="note", body=f"note {n}")
        incident_work_note_add(incident=incident, actor=incident_manager, body=f"work {n}")
        public_update_publish(
            major_incident=major, actor=incident_manager, status="monitoring", body=f"p {n}"
        )
    client = api_client(agent)
    client.get(url(major))
    # 1 token and user, 2 the major incident with its people and incident joined, 3 services,
    # 4 public updates, 5 comms sent (permissions and TOTP from the access cache).
    with django_assert_num_queries(5):
        assert client.get(url(major)).status_code == 200
    # 1 token and user, 2 the major incident, 3 events, 4 journal, 5 comms.
    with django_assert_num_queries(5):
        assert client.get(url(major, "timeline/")).status_code == 200
