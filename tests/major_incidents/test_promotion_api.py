"""REST API v1 for major-incident promotion (§5.8–5.11): propose, the pending queue for Major
Incident Managers, accept and reject; refusals are 400/403/404/409, never 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from major_incidents.models import MajorIncident, MajorIncidentCandidate, ValidityCriterion
from tests.conftest import _staff
from tests.factories.access import api_client
from tests.factories.incidents import raised_incident
from tests.factories.promotion import proposed_candidate

CANDIDATES = "/api/v1/major-incident-candidates/"
C = ValidityCriterion


@pytest.fixture
def incident(org_user, agent, resolver_group):
    return raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)


@pytest.fixture
def triage_lead(db):
    return _staff("tess.triage@mhhs.example", roles.SERVICE_DESK_AGENT)


def propose_url(incident) -> str:
    return f"/api/v1/incidents/{incident.number}/major-candidate/"


def error(response) -> dict:
    return response.json()["error"]


def accept_body(manager, triage_lead, yes=(C.CRITICAL_PROCESS,), **extra) -> dict:
    return {
        "assessments": [
            {
                "criterion": criterion.value,
                "met": criterion in yes,
                "evidence": "Settlement run failed at 02:00" if criterion in yes else "",
            }
            for criterion in ValidityCriterion
        ],
        "manager": manager.email,
        "triage_lead": triage_lead.email,
        "public_title": "Settlement run delayed",
        "services": ["vas"],
        "service_status": "partial_outage",
        **extra,
    }


def test_an_agent_proposes_an_incident(agent, incident, incident_manager):
    """§5.5 step 3: 201 with the pending candidate; a second proposal joins it (200)."""
    response = api_client(agent).post(
        propose_url(incident), {"reason": "All suppliers affected"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "proposed"
    assert body["incident"]["number"] == incident.number
    assert body["reason"] == "All suppliers affected"
    again = api_client(incident_manager).post(
        propose_url(incident), {"reason": "And LDSOs"}, format="json"
    )
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]


def test_proposing_needs_a_reason(agent, incident):
    response = api_client(agent).post(propose_url(incident), {"reason": ""}, format="json")
    assert response.status_code == 400
    assert "reason" in error(response)["fields"]


def test_participants_cannot_find_an_incident_to_propose(org_user, incident):
    response = api_client(org_user).post(propose_url(incident), {"reason": "x"}, format="json")
    assert response.status_code == 404


def test_a_role_without_the_permission_is_refused(cab_member, incident):
    response = api_client(cab_member).post(propose_url(incident), {"reason": "x"}, format="json")
    assert response.status_code == 403


def test_a_closed_incident_is_refused_with_409(agent, incident):
    from incidents.services import incident_transition

    incident_transition(incident=incident, actor=agent, name="cancel", reason="duplicate")
    response = api_client(agent).post(propose_url(incident), {"reason": "x"}, format="json")
    assert response.status_code == 409


def test_the_pending_list_is_for_major_incident_managers(agent, incident, incident_manager):
    proposed_candidate(incident=incident, actor=agent)
    response = api_client(incident_manager).get(CANDIDATES)
    assert response.status_code == 200
    assert [row["incident"]["number"] for row in response.json()["results"]] == [incident.number]
    assert api_client(agent).get(CANDIDATES).status_code == 403


def test_accepting_promotes_to_a_p1_major_incident(agent, incident, incident_manager, triage_lead):
    """§5.11 step 7: P1, the MI opened with its manager and triage lead, the thresholds kept."""
    candidate = proposed_candidate(incident=incident, actor=agent)
    response = api_client(incident_manager).post(
        f"{CANDIDATES}{candidate.pk}/accept/",
        accept_body(incident_manager, triage_lead, expected_resolution_hours="9"),
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "accepted"
    major = MajorIncident.objects.get(incident=incident)
    assert body["major_incident"] == major.number
    assert body["incident"]["priority"] == 1
    assert body["thresholds"]["impact"]["met"] is True
    assert {a["criterion"] for a in body["assessments"]} == set(ValidityCriterion.values)
    assert (major.manager, major.triage_lead) == (incident_manager, triage_lead)


def test_accepting_without_a_criterion_met_is_a_400(agent, incident, incident_manager, triage_lead):
    candidate = proposed_candidate(incident=incident, actor=agent)
    response = api_client(incident_manager).post(
        f"{CANDIDATES}{candidate.pk}/accept/",
        accept_body(incident_manager, triage_lead, yes=()),
        format="json",
    )
    assert response.status_code == 400
    assert error(response)["message"] == "Record at least one validity criterion that is met."


def test_accepting_with_unknown_people_or_services_names_the_fields(
    agent, incident, incident_manager, triage_lead
):
    candidate = proposed_candidate(incident=incident, actor=agent)
    body = accept_body(incident_manager, triage_lead)
    body.update(manager="nobody@example.com", services=["nope"], expected_resolution_hours=-1)
    response = api_client(incident_manager).post(
        f"{CANDIDATES}{candidate.pk}/accept/", body, format="json"
    )
    assert response.status_code == 400
    assert {"manager", "services", "expected_resolution_hours"} <= set(error(response)["fields"])


def test_an_agent_may_not_accept_or_reject(agent, incident, triage_lead):
    candidate = proposed_candidate(incident=incident, actor=agent)
    client = api_client(agent)
    assert (
        client.post(
            f"{CANDIDATES}{candidate.pk}/accept/", accept_body(agent, triage_lead), format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{CANDIDATES}{candidate.pk}/reject/", {"reason": "no"}, format="json"
        ).status_code
        == 403
    )


def test_rejecting_and_then_deciding_again(agent, incident, incident_manager, triage_lead):
    """§5.11 step 6: rejected with the reason; a decided candidate answers 409."""
    candidate = proposed_candidate(incident=incident, actor=agent)
    client = api_client(incident_manager)
    response = client.post(
        f"{CANDIDATES}{candidate.pk}/reject/",
        {"reason": "Contained to one supplier"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
    again = client.post(
        f"{CANDIDATES}{candidate.pk}/accept/",
        accept_body(incident_manager, triage_lead),
        format="json",
    )
    assert again.status_code == 409


def test_an_unknown_candidate_is_a_404(incident_manager):
    client = api_client(incident_manager)
    assert (
        client.post(f"{CANDIDATES}999999/reject/", {"reason": "x"}, format="json").status_code
        == 404
    )
    huge = f"{CANDIDATES}{2**70}/reject/"
    assert client.post(huge, {"reason": "x"}, format="json").status_code == 404


def test_a_token_without_the_incidents_scope_is_refused(agent, incident):
    response = api_client(agent, scopes=["read", "write", "cases"]).post(
        propose_url(incident), {"reason": "x"}, format="json"
    )
    assert response.status_code == 403
    assert error(response)["code"] == "missing_scope"


def test_the_pending_list_costs_the_same_for_one_or_many(
    incident_manager, agent, org_user, resolver_group
):
    """docs/conventions.md §7: token with its user, the page's count, the page's candidates
    joined with incident, proposer, decider and major incident, their assessments."""
    client = api_client(incident_manager)
    counts = []
    for size in (1, 6):
        while MajorIncidentCandidate.objects.count() < size:
            incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
            proposed_candidate(incident=incident, actor=agent)
        client.get(CANDIDATES)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(CANDIDATES)
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts == [4, 4]
