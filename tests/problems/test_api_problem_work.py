"""REST API v1: working a problem (§6.4 steps 6–10, §6.5) — recording the investigation,
its linked incidents (list, link, unlink) with counts, progress updates, the post-resolution
review and resolving its open linked incidents. Participants and other groups' resolvers get
404, staff without the right to work problems 403."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Incident
from problems.models import Problem, ProblemReviewCheck
from problems.services import problem_link_incident
from tests.factories.access import api_client
from tests.factories.incidents import raised_incident
from tests.problems.conftest import raise_problem
from tickets.priority import Priority

PROBLEMS = "/api/v1/problems/"


def error(response) -> dict:
    return response.json()["error"]


def test_patch_records_the_investigation_and_reprioritises(problem, problem_manager):
    response = api_client(problem_manager).patch(
        f"{PROBLEMS}{problem.number}/",
        {"root_cause": "A schema change.", "workaround": "Resend.", "impact": 1, "urgency": 1},
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["root_cause"] == "A schema change." and data["workaround"] == "Resend."
    assert data["priority"] == Priority.P1


def test_patch_refuses_unknown_fields_and_bad_values(problem, problem_manager):
    client = api_client(problem_manager)
    response = client.patch(f"{PROBLEMS}{problem.number}/", {"state": "closed"}, format="json")
    assert response.status_code == 400 and "state" in error(response)["fields"]
    response = client.patch(f"{PROBLEMS}{problem.number}/", {"impact": 9}, format="json")
    assert response.status_code == 400 and "impact" in error(response)["fields"]
    response = client.patch(
        f"{PROBLEMS}{problem.number}/", {"assignment_group": None}, format="json"
    )
    assert response.status_code == 400


def test_patch_is_refused_to_the_desk_and_hidden_from_participants(problem, agent, org_user):
    """The desk raises problems, problem managers and resolvers work them (403); participants
    never see them (404)."""
    assert (
        api_client(agent).patch(f"{PROBLEMS}{problem.number}/", {"workaround": "x"}, format="json")
    ).status_code == 403
    assert (
        api_client(org_user).patch(
            f"{PROBLEMS}{problem.number}/", {"workaround": "x"}, format="json"
        )
    ).status_code == 404


def test_linked_incidents_are_listed_linked_and_unlinked(
    problem, problem_manager, incident, agent, org_user, resolver_group
):
    client = api_client(problem_manager)
    url = f"{PROBLEMS}{problem.number}/incidents/"
    assert client.get(url).json() == []

    linked = client.post(url, {"incident": incident.number.lower()}, format="json")
    assert linked.status_code == 201, linked.json()
    assert [row["number"] for row in linked.json()] == [incident.number]
    detail = client.get(f"{PROBLEMS}{problem.number}/").json()
    assert detail["incidents"] == [incident.number] and detail["incident_count"] == 1
    listed = client.get(PROBLEMS).json()["results"]
    assert [row["incident_count"] for row in listed] == [1]

    missing = client.post(url, {"incident": "INC9999999"}, format="json")
    assert missing.status_code == 404
    assert client.post(url, {}, format="json").status_code == 400

    assert client.delete(f"{url}{incident.number}/").status_code == 204
    assert client.get(url).json() == []
    again = client.delete(f"{url}{incident.number}/")
    assert again.status_code == 400


def test_participant_gets_404_on_linked_incidents(problem, org_user):
    assert api_client(org_user).get(f"{PROBLEMS}{problem.number}/incidents/").status_code == 404


@pytest.mark.parametrize("size", [1, 6])
def test_linked_incidents_list_query_count_is_constant(
    problem, problem_manager, org_user, agent, resolver_group, size
):
    for _ in range(size):
        incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    client = api_client(problem_manager)
    url = f"{PROBLEMS}{problem.number}/incidents/"
    client.get(url)  # warm the access cache
    # the token with its user, the problem, the incidents joined with what they list.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert len(response.json()) == size
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_progress_update_is_posted_and_validated(problem, problem_manager, org_user):
    client = api_client(problem_manager)
    url = f"{PROBLEMS}{problem.number}/updates/"
    response = client.post(url, {"body": "Vendor reproduced it.", "customer_visible": True})
    assert response.status_code == 201, response.json()
    assert response.json()["customer_visible"] is True
    assert client.post(url, {"body": ""}, format="json").status_code == 400
    assert api_client(org_user).post(url, {"body": "Hi"}, format="json").status_code == 404


def test_review_and_close_through_the_api(problem, problem_manager):
    client = api_client(problem_manager)
    client.post(f"{PROBLEMS}{problem.number}/start/", {}, format="json")
    review_url = f"{PROBLEMS}{problem.number}/review/"
    early = client.put(review_url, {"items": ["fix_verified"]}, format="json")
    assert early.status_code == 409  # only while Resolved
    client.post(
        f"{PROBLEMS}{problem.number}/resolve/",
        {"notes": "Fixed.", "code": "resolved", "root_cause": "Bug."},
        format="json",
    )
    bad = client.put(review_url, {"items": ["coffee"]}, format="json")
    assert bad.status_code == 400
    half = client.put(review_url, {"items": ["fix_verified"]}, format="json")
    assert half.json() == {"items": ["fix_verified"], "complete": False}
    refused = client.post(f"{PROBLEMS}{problem.number}/close/", {}, format="json")
    assert refused.status_code == 400 and "review" in error(refused)["fields"]
    client.put(review_url, {"items": list(ProblemReviewCheck.Item.values)}, format="json")
    assert client.get(review_url).json()["complete"] is True
    closed = client.post(f"{PROBLEMS}{problem.number}/close/", {}, format="json")
    assert closed.json()["state"] == "closed"


def test_resolve_through_the_api_can_resolve_the_open_linked_incidents(
    problem, problem_manager, incident
):
    problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    client = api_client(problem_manager)
    client.post(f"{PROBLEMS}{problem.number}/start/", {}, format="json")
    response = client.post(
        f"{PROBLEMS}{problem.number}/resolve/",
        {
            "notes": "Fixed.",
            "code": "resolved",
            "root_cause": "Bug.",
            "linked_incidents": "resolve",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert incident.state == Incident.State.RESOLVED
    bad = client.post(
        f"{PROBLEMS}{raise_problem(problem_manager, incident.assignment_group).number}/resolve/",
        {"notes": "x", "code": "resolved", "root_cause": "y", "linked_incidents": "all"},
        format="json",
    )
    assert bad.status_code == 400 and "linked_incidents" in error(bad)["fields"]
    assert Problem.objects.filter(state=Problem.State.RESOLVED).count() == 1


@pytest.mark.parametrize("size", [1, 5])
def test_problem_detail_query_count_is_constant(
    problem, problem_manager, org_user, agent, resolver_group, size, django_assert_num_queries
):
    """The detail's linked incidents, their count and the review are one query each, however
    many incidents are linked."""
    for _ in range(size):
        incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    client = api_client(problem_manager)
    url = f"{PROBLEMS}{problem.number}/"
    client.get(url)  # warm the access cache
    # the token with its user, the problem joined with its relations, the linked incidents'
    # numbers, the review items.
    with django_assert_num_queries(4):
        response = client.get(url)
    assert response.json()["incident_count"] == size


def test_review_and_unlink_are_refused_to_the_desk_and_hidden_from_participants(
    problem, agent, org_user, incident, problem_manager
):
    problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    review_url = f"{PROBLEMS}{problem.number}/review/"
    unlink_url = f"{PROBLEMS}{problem.number}/incidents/{incident.number}/"
    desk = api_client(agent)
    assert desk.get(review_url).status_code == 200  # the desk may read it
    assert desk.put(review_url, {"items": []}, format="json").status_code == 403
    assert desk.delete(unlink_url).status_code == 403
    participant = api_client(org_user)
    assert participant.get(review_url).status_code == 404
    assert participant.delete(unlink_url).status_code == 404
