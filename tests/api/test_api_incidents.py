"""REST API v1: incidents — list, read and lifecycle actions (§5, Appendix G).

Participants never see incidents (they hear through their case); resolvers see their own
groups' incidents; the desk sees all.
"""

import pytest
from rest_framework.test import APIClient

from cases.models import Case, ProposedUpdate
from cases.services import case_raise_incident
from incidents.models import Incident
from incidents.services import incident_create, incident_transition
from tests.factories.access import api_client
from tests.factories.accounts import ResolverGroupFactory
from tests.factories.cases import CaseFactory, category

INCIDENTS = "/api/v1/incidents/"


def api(user=None) -> APIClient:
    """A client with an access token of `user` carrying every scope."""
    return api_client(user)


def incident_url(incident, suffix: str = "") -> str:
    return f"{INCIDENTS}{incident.number}/{suffix}"


def error(response) -> dict:
    return response.json()["error"]


def act(user, incident, action: str, data: dict | None = None):
    return api(user).post(incident_url(incident, f"{action}/"), data or {}, format="json")


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


@pytest.fixture
def incident(case, agent, resolver_group):
    """An incident raised at triage from a participant's case, for the resolver's group (§4.1)."""
    return case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )


@pytest.fixture
def other_group_incident(agent):
    group = ResolverGroupFactory(name="Settlement Operations")
    return incident_create(
        actor=agent,
        short_description="VAS run late",
        description="The 02:00 run is late.",
        category=category("Settlement Services"),
        assignment_group=group,
        impact=1,
        urgency=1,
    )


def listed(user, **params) -> list[str]:
    response = api(user).get(INCIDENTS, params)
    assert response.status_code == 200, response.json()
    return [row["number"] for row in response.json()["results"]]


# --- list and detail ---------------------------------------------------------------------------


def test_agent_lists_every_incident(agent, incident, other_group_incident):
    """§10: the desk sees every incident."""
    assert set(listed(agent)) == {incident.number, other_group_incident.number}


def test_resolver_sees_only_own_groups_incidents(resolver, incident, other_group_incident):
    """Appendix G: resolvers work what is assigned to their groups."""
    assert listed(resolver) == [incident.number]
    assert api(resolver).get(incident_url(incident)).status_code == 200
    response = api(resolver).get(incident_url(other_group_incident))
    assert response.status_code == 404
    assert error(response)["code"] == "not_found"


def test_participant_incident_list_is_empty_and_detail_404(org_user, parent_user, incident):
    """Appendix G: participants hear about incidents through their case, never directly —
    not even the caller of the case it was raised from."""
    for participant in (org_user, parent_user):
        assert listed(participant) == []
        assert api(participant).get(incident_url(incident)).status_code == 404


def test_incident_detail_shows_priority_group_and_actions(resolver, incident, resolver_group):
    """§3.8: priority from impact and urgency; §5.5: the group that works it."""
    body = api(resolver).get(incident_url(incident)).json()
    assert body["number"] == incident.number
    assert body["state"] == "new"
    assert (body["impact"], body["urgency"], body["priority"]) == (2, 2, 3)
    assert body["assignment_group"] == {"id": resolver_group.pk, "name": resolver_group.name}
    assert body["category"]["name"] == "Market Systems"
    assert set(body["actions"]) == {"start", "resolve", "cancel"}


def test_incident_list_filters_by_state_priority_group_and_text(
    agent, incident, other_group_incident
):
    """Filters: state, priority (repeatable), assignment group, q."""
    incident_transition(incident=incident, actor=agent, name="start")
    assert listed(agent, state="in_progress") == [incident.number]
    assert listed(agent, priority=1) == [other_group_incident.number]
    assert set(listed(agent, priority=[1, 3])) == {incident.number, other_group_incident.number}
    assert listed(agent, assignment_group=incident.assignment_group_id) == [incident.number]
    assert listed(agent, q="vas run") == [other_group_incident.number]


def test_incident_list_with_bad_filter_is_400(agent):
    """Bad filters are refused with the field named."""
    response = api(agent).get(INCIDENTS, {"priority": 9, "state": "lost"})
    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"priority", "state"}


def test_incident_list_without_credentials_is_401(incident):
    """No anonymous reads."""
    assert APIClient().get(INCIDENTS).status_code == 401


@pytest.mark.parametrize("size", [2, 20])
def test_incident_list_query_count_is_constant(
    resolver, agent, resolver_group, django_assert_num_queries, size
):
    """docs/conventions.md §7: the list costs the same number of queries at any size."""
    for n in range(size):
        incident_create(
            actor=agent,
            short_description=f"DIP outage {n}",
            description="Messages queued.",
            category=category(),
            assignment_group=resolver_group,
            impact=2,
            urgency=1,
        )
    client = api_client(resolver)
    client.get(INCIDENTS, {"page_size": 1})  # the token's first use stamps last-used
    # 1 token joined with its user; 2 the staff account's TOTP authenticator (§10.5.2);
    # 3 the cursor page's rows with category, organisation, group and assignee joined.
    # Permissions and the resolver's groups (visible_tickets filters by their ids) come from
    # the access cache, and a cursor page counts nothing (issue 9).
    with django_assert_num_queries(2):
        response = client.get(INCIDENTS, {"page_size": 50})
    assert response.status_code == 200
    assert len(response.json()["results"]) == size


# --- lifecycle actions ------------------------------------------------------------------------


def test_resolver_starts_holds_and_resumes_incident(resolver, incident):
    """§5.12: New → In Progress → On Hold (with reason) → In Progress."""
    response = act(resolver, incident, "start", {"expected_state": "new"})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "in_progress"

    response = act(resolver, incident, "hold", {"reason": "awaiting_vendor"})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "on_hold"
    assert response.json()["hold_reason"] == "awaiting_vendor"

    response = act(resolver, incident, "resume", {"expected_state": "on_hold"})
    assert response.status_code == 200
    assert response.json()["state"] == "in_progress"
    assert response.json()["hold_reason"] is None


def test_resolving_incident_proposes_its_resolution_on_the_linked_case(resolver, incident, case):
    """§5.5 steps 14–15, Appendix G: the linked case does not resolve with the resolver's
    notes any more; they are proposed to the desk, and the caller sees nothing of them until
    the desk sends its own words."""
    act(resolver, incident, "start")
    response = act(
        resolver, incident, "resolve", {"notes": "DIP certificate renewed.", "code": "solved"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "resolved"
    assert response.json()["resolution_notes"] == "DIP certificate renewed."
    case = Case.objects.get(pk=case.pk)
    assert case.state == Case.State.IN_PROGRESS
    assert case.resolution_notes == ""
    [proposal] = ProposedUpdate.objects.filter(case=case)
    assert (proposal.proposed_text, proposal.proposed_code) == (
        "DIP certificate renewed.",
        "solved",
    )
    caller_view = api(case.caller).get(f"/api/v1/cases/{case.number}/")
    assert caller_view.status_code == 200
    assert "DIP certificate renewed." not in caller_view.content.decode()


def test_agent_cancels_incident_with_reason(agent, incident):
    """§5.13: cancelled as a duplicate or raised in error."""
    response = act(agent, incident, "cancel", {"reason": "raised_in_error"})
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert response.json()["cancel_reason"] == "raised_in_error"


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("hold", {"reason": "tea"}, "reason"),
        ("resolve", {}, "notes"),
        ("cancel", {}, "reason"),
    ],
)
def test_incident_action_with_bad_payload_is_400(resolver, incident, action, data, field):
    """Each action's payload is checked before anything changes."""
    incident_transition(incident=incident, actor=resolver, name="start")
    response = act(resolver, incident, action, data)
    assert response.status_code == 400
    assert field in error(response)["fields"]
    assert Incident.objects.get(pk=incident.pk).state == Incident.State.IN_PROGRESS


def test_role_without_change_permission_cannot_act_on_incident(cab_member, incident):
    """§9: a CAB member may read incidents but not work them."""
    assert api(cab_member).get(incident_url(incident)).status_code == 200
    response = act(cab_member, incident, "start")
    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"
    assert Incident.objects.get(pk=incident.pk).state == Incident.State.NEW


def test_incident_action_not_allowed_in_state_is_409(resolver, incident):
    """§5.12: only an In Progress incident can be put on hold."""
    response = act(resolver, incident, "hold", {"reason": "awaiting_vendor"})
    assert response.status_code == 409
    assert error(response)["code"] == "transition_not_allowed"


def test_incident_action_on_stale_state_is_409_changed_by_someone_else(resolver, agent, incident):
    """docs/conventions.md §3: the other resolver's change wins; yours is refused, not merged."""
    incident_transition(incident=incident, actor=agent, name="start")
    response = act(resolver, incident, "cancel", {"reason": "duplicate", "expected_state": "new"})
    assert response.status_code == 409
    assert error(response)["code"] == "changed_by_someone_else"


def test_other_groups_and_participants_cannot_act_on_incident(
    resolver, org_user, other_group_incident, incident
):
    """Appendix G: another group's incident, or any incident for a participant, is not found."""
    assert act(resolver, other_group_incident, "start").status_code == 404
    assert act(org_user, incident, "start").status_code == 404
    assert Incident.objects.filter(state=Incident.State.NEW).count() == 2
