"""REST API v1: re-prioritising an incident (§3.8) and its work notes (Appendix G).

`POST /api/v1/incidents/{number}/classify/` and `GET/POST /api/v1/incidents/{number}/work-notes/`.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from rest_framework.test import APIClient

from cases.services import case_raise_incident
from comms.models import OutboundMessage
from incidents.models import Incident
from incidents.services import incident_transition, incident_work_note_add
from sla.models import TicketSLA
from tests.factories.access import api_client
from tests.factories.accounts import ResolverGroupFactory
from tests.factories.cases import CaseFactory

INCIDENTS = "/api/v1/incidents/"


def api(user=None) -> APIClient:
    """A client with an access token of `user` carrying every scope."""
    return api_client(user)


def url(incident, suffix: str) -> str:
    return f"{INCIDENTS}{incident.number}/{suffix}"


def error(response) -> dict:
    return response.json()["error"]


def classify(user, incident, data):
    return api(user).post(url(incident, "classify/"), data, format="json")


@pytest.fixture
def incident(org_user, agent, resolver_group):
    return case_raise_incident(
        case=CaseFactory(caller=org_user),
        actor=agent,
        assignment_group=resolver_group,
        impact=2,
        urgency=2,
    )


@pytest.fixture
def other_group_incident(org_user, agent):
    return case_raise_incident(
        case=CaseFactory(caller=org_user),
        actor=agent,
        assignment_group=ResolverGroupFactory(name="Settlement Operations"),
        impact=3,
        urgency=3,
    )


# --- classify --------------------------------------------------------------------------------


def test_classify_returns_the_incident_at_its_new_priority(resolver, incident):
    """§3.8: impact 1 × urgency 2 gives P2; the SLA clock is replaced."""
    response = classify(resolver, incident, {"impact": 1, "urgency": 2})

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["impact"], body["urgency"], body["priority"]) == (1, 2, 2)
    clocks = TicketSLA.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=incident.pk
    )
    assert clocks.filter(cancelled=True).exists()
    assert clocks.filter(cancelled=False, replaces__isnull=False).exists()


def test_classify_bad_input_is_400_with_field_messages(agent, incident):
    """§3.8: impact and urgency are 1, 2 or 3, both required."""
    response = classify(agent, incident, {"impact": 7})

    assert response.status_code == 400
    assert error(response)["code"] == "validation_failed"
    assert set(error(response)["fields"]) == {"impact", "urgency"}
    incident.refresh_from_db()
    assert incident.priority == 3


def test_classify_by_staff_without_change_permission_is_403(cab_member, incident):
    """§3.8: reading incidents does not allow re-prioritising them."""
    response = classify(cab_member, incident, {"impact": 1, "urgency": 1})

    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"


def test_classify_other_groups_or_participants_incident_is_404(
    org_user, resolver, incident, other_group_incident
):
    """§10.4, Appendix G: participants never see incidents; resolvers only their groups'."""
    assert classify(org_user, incident, {"impact": 1, "urgency": 1}).status_code == 404
    response = classify(resolver, other_group_incident, {"impact": 1, "urgency": 1})
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_classify_cancelled_incident_is_409(agent, incident):
    """§5.13: a cancelled incident is a finished record."""
    incident_transition(incident=incident, actor=agent, name="cancel", reason="duplicate")

    response = classify(agent, incident, {"impact": 1, "urgency": 1})

    assert response.status_code == 409
    assert error(response)["code"] == "transition_not_allowed"


# --- work notes ------------------------------------------------------------------------------


def test_work_note_is_added_and_listed_and_never_emailed(
    resolver, incident, django_capture_on_commit_callbacks
):
    """Appendix G: resolvers' technical notes stay with the desk; nothing is emailed."""
    before = OutboundMessage.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = api(resolver).post(
            url(incident, "work-notes/"), {"body": "Adapter restarted."}, format="json"
        )

    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "work_note"
    assert response.json()["body"] == "Adapter restarted."
    assert OutboundMessage.objects.count() == before
    listing = api(resolver).get(url(incident, "work-notes/"))
    assert listing.status_code == 200
    assert [row["body"] for row in listing.json()] == ["Adapter restarted."]


def test_work_notes_list_holds_only_work_notes(agent, incident):
    """Appendix G: the list is the incident's work notes, not its system entries."""
    incident_work_note_add(incident=incident, actor=agent, body="Checked the logs.")

    rows = api(agent).get(url(incident, "work-notes/")).json()

    assert [(row["kind"], row["body"]) for row in rows] == [("work_note", "Checked the logs.")]


def test_empty_work_note_is_400(resolver, incident):
    """Appendix G: a work note has text."""
    response = api(resolver).post(url(incident, "work-notes/"), {"body": ""}, format="json")

    assert response.status_code == 400
    assert "body" in error(response)["fields"]


def test_work_note_by_staff_without_change_permission_is_403(cab_member, incident):
    """Appendix G: only those who work incidents write work notes on them."""
    response = api(cab_member).post(url(incident, "work-notes/"), {"body": "Hi."}, format="json")

    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"


def test_work_notes_of_an_incident_you_may_not_see_are_404(
    org_user, resolver, incident, other_group_incident
):
    """§10.4, Appendix G: a participant gets 404 for an incident, reading or writing."""
    assert api(org_user).get(url(incident, "work-notes/")).status_code == 404
    response = api(org_user).post(url(incident, "work-notes/"), {"body": "?"}, format="json")
    assert response.status_code == 404
    assert api(resolver).get(url(other_group_incident, "work-notes/")).status_code == 404


def test_work_note_on_closed_incident_is_409(agent, incident):
    """§5.12: nothing is added to a closed incident."""
    incident = incident_transition(incident=incident, actor=agent, name="start")
    incident = incident_transition(
        incident=incident, actor=agent, name="resolve", notes="Done.", code="solved"
    )
    incident_transition(incident=incident, actor=agent, name="close")

    response = api(agent).post(url(incident, "work-notes/"), {"body": "Late."}, format="json")

    assert response.status_code == 409


def test_work_notes_require_credentials(incident):
    """The API needs a token or a session."""
    assert api().get(url(incident, "work-notes/")).status_code == 401
