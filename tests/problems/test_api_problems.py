"""REST API v1: problems — raise, list, read, the lifecycle and an incident's problems (§6).

Participants never see problems; resolvers see their own groups'; the desk and problem
managers see all.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve

from problems.models import Problem, ProblemReviewCheck
from tests.factories.access import api_client
from tests.factories.cases import category
from tests.problems.conftest import raise_problem

PROBLEMS = "/api/v1/problems/"


def error(response) -> dict:
    return response.json()["error"]


def _body(group, **fields) -> dict:
    return {
        "short_description": "Recurring DIP message rejections",
        "description": "Messages from several suppliers are rejected each night.",
        "category": category("Market Systems").pk,
        "assignment_group": group.pk,
        "impact": 2,
        "urgency": 2,
        "service": "dip",
        **fields,
    }


def test_the_registry_gives_problems_their_routes(db):
    """docs/architecture.md §2.3: the type's own routes and one per lifecycle action."""
    for route in ("", "PRB0000001/", "PRB0000001/resolve/", "PRB0000001/close/"):
        assert resolve(f"{PROBLEMS}{route}") is not None
    assert resolve("/api/v1/problems/PRB0000001/slas/").url_name == "problem_slas"
    assert resolve("/api/v1/incidents/INC0000001/problems/").url_name == "incident_problems"


def test_agent_raises_a_problem(agent, resolver_group):
    """§6.4, §6.5: raised with the mandatory fields; the number is PRB…, priority by §3.8."""
    response = api_client(agent).post(PROBLEMS, _body(resolver_group), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith("PRB")
    assert data["priority"] == 3
    assert data["service"]["code"] == "dip"
    assert data["closure_code"] is None
    assert data["state"] == "new"
    assert data["actions"] == []  # the desk raises problems; problem managers work them


def test_raising_with_incidents_links_them(agent, resolver_group, incident):
    body = _body(resolver_group, incidents=[incident.number.lower()])
    response = api_client(agent).post(PROBLEMS, body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["incidents"] == [incident.number]


def test_bad_input_is_a_400_naming_the_fields(agent, resolver_group):
    body = _body(resolver_group, impact=9, category=999999, service="nope")
    del body["description"]
    response = api_client(agent).post(PROBLEMS, body, format="json")

    assert response.status_code == 400
    assert {"impact", "category", "service", "description"} <= set(error(response)["fields"])


def test_resolver_may_not_raise_a_problem(resolver, resolver_group):
    """Only the desk and the managers raise problems: 403, not 500."""
    response = api_client(resolver).post(PROBLEMS, _body(resolver_group), format="json")
    assert response.status_code == 403
    assert not Problem.objects.exists()


def test_participant_sees_no_problems_and_may_not_raise(org_user, problem, resolver_group):
    """§6.1: problems are staff records; a participant's token may not even ask."""
    client = api_client(org_user, scopes=["read", "write", "cases"])
    assert client.get(PROBLEMS).status_code == 403
    session = api_client(None)
    session.force_authenticate(org_user)
    assert session.get(PROBLEMS).json()["results"] == []
    assert session.get(f"{PROBLEMS}{problem.number}/").status_code == 404
    assert session.post(PROBLEMS, _body(resolver_group), format="json").status_code == 403


def test_resolver_reads_own_groups_problem_only(resolver, problem, agent, other_group):
    other = raise_problem(agent, other_group)
    client = api_client(resolver)
    assert [row["number"] for row in client.get(PROBLEMS).json()["results"]] == [problem.number]
    assert client.get(f"{PROBLEMS}{problem.number}/").status_code == 200
    assert client.get(f"{PROBLEMS}{other.number}/").status_code == 404


def test_list_filters_by_service_and_priority(agent, problem, resolver_group):
    raise_problem(agent, resolver_group, impact=3, urgency=3)
    client = api_client(agent)
    by_service = client.get(PROBLEMS, {"service": "dip"}).json()["results"]
    assert [row["number"] for row in by_service] == [problem.number]
    by_priority = client.get(PROBLEMS, {"priority": 4}).json()["results"]
    assert len(by_priority) == 1 and by_priority[0]["number"] != problem.number


@pytest.mark.parametrize("size", [1, 15])
def test_problem_list_query_count_is_constant(agent, resolver_group, size):
    """docs/conventions.md §7: the list costs the same at any size."""
    for _ in range(size):
        raise_problem(agent, resolver_group)
    client = api_client(agent)
    client.get(PROBLEMS)  # warm the access cache
    # the token joined with its user (permissions and TOTP from the access cache), the page
    # of problems joined with group, assignee, category and service, and one grouped count
    # of the page's linked incidents.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PROBLEMS)
    assert response.status_code == 200
    assert len(response.json()["results"]) == size
    assert len(queries) == 3, [q["sql"] for q in queries]


def test_resolve_without_root_cause_is_a_400(problem, problem_manager):
    """§6.5: the root cause is mandatory to resolve; then it resolves and closes."""
    client = api_client(problem_manager)
    assert client.post(f"{PROBLEMS}{problem.number}/start/", {}, format="json").status_code == 200
    url = f"{PROBLEMS}{problem.number}/resolve/"

    refused = client.post(url, {"notes": "Fixed.", "code": "resolved"}, format="json")
    assert refused.status_code == 400
    assert "root_cause" in error(refused)["fields"]

    known = client.post(
        url, {"notes": "Later.", "code": "known_error", "root_cause": "Bug."}, format="json"
    )
    assert known.status_code == 400 and "workaround" in error(known)["fields"]

    done = client.post(
        url, {"notes": "Fixed.", "code": "resolved", "root_cause": "Bug."}, format="json"
    )
    assert done.status_code == 200, done.json()
    assert done.json()["closure_code"] == "resolved"
    assert done.json()["root_cause"] == "Bug."
    unreviewed = client.post(f"{PROBLEMS}{problem.number}/close/", {}, format="json")
    assert unreviewed.status_code == 400 and "review" in error(unreviewed)["fields"]
    review = client.put(
        f"{PROBLEMS}{problem.number}/review/",
        {"items": list(ProblemReviewCheck.Item.values)},
        format="json",
    )
    assert review.status_code == 200 and review.json()["complete"] is True
    closed = client.post(f"{PROBLEMS}{problem.number}/close/", {}, format="json")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"


def test_incident_problems_list_and_raise(incident, agent, resolver):
    """§5.5 step 17 over the API: raise from the incident, anything left out taken from it."""
    url = f"/api/v1/incidents/{incident.number}/problems/"
    created = api_client(agent).post(url, {"impact": 1}, format="json")

    assert created.status_code == 201, created.json()
    number = created.json()["number"]
    assert created.json()["short_description"] == incident.short_description
    assert created.json()["incidents"] == [incident.number]
    listed = api_client(resolver).get(url)
    assert [row["number"] for row in listed.json()] == [number]


def test_incident_problems_of_an_unseen_incident_is_a_404(incident, org_user, other_group, agent):
    session = api_client(None)
    session.force_authenticate(org_user)
    url = f"/api/v1/incidents/{incident.number}/problems/"
    assert session.get(url).status_code == 404
    assert session.post(url, {}, format="json").status_code == 404
