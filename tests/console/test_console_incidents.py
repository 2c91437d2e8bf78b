"""Incidents in the console (§5, Appendix G): transitions, reassignment, linked cases."""

import pytest
from django.urls import reverse

from cases.models import Case, ProposedUpdate
from cases.services import case_raise_incident
from incidents.models import Incident
from tests.factories.accounts import ResolverGroupFactory
from tests.factories.cases import CaseFactory


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


@pytest.fixture
def incident(case, agent, resolver_group):
    return case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_incident_page_shows_linked_case_journal_and_buttons(agent_client, incident, case):
    """Appendix G: the incident is created from a case; the page links back to it."""
    response = agent_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("admin:cases_case_change", args=[case.pk]) in html
    assert "Incident raised with priority P3" in html
    assert [b["name"] for b in response.context["transitions"]] == ["start", "resolve", "cancel"]
    assert response.context["assign_url"] == reverse(
        "admin:incidents_incident_assign", args=[incident.pk]
    )


def test_resolver_resolves_own_group_incident_and_the_desk_is_given_the_resolution(
    resolver_client, incident, case
):
    """§5.5 steps 14–15, Appendix G: resolving the incident proposes its resolution on the
    linked case for the desk to check; the case stays In Progress and the caller is told
    nothing yet (it used to resolve the case with the resolver's notes word for word)."""
    url = reverse("admin:incidents_incident_transition", args=[incident.pk, "start"])
    resolver_client.post(url, {"expected_state": "new"})
    url = reverse("admin:incidents_incident_transition", args=[incident.pk, "resolve"])

    response = resolver_client.post(
        url, {"expected_state": "in_progress", "notes": "Queue restarted.", "code": "solved"}
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    case.refresh_from_db()
    assert incident.state == Incident.State.RESOLVED
    assert case.state == Case.State.IN_PROGRESS and case.resolution_notes == ""
    [proposal] = ProposedUpdate.objects.filter(case=case)
    assert proposal.status == ProposedUpdate.Status.PENDING
    assert proposal.kind == ProposedUpdate.Kind.RESOLUTION
    assert proposal.proposed_text == "Queue restarted."


def test_incident_resolve_without_notes_shows_error(resolver_client, incident):
    url = reverse("admin:incidents_incident_transition", args=[incident.pk, "resolve"])

    response = resolver_client.post(url, {"expected_state": "new", "notes": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["notes"] == ["Resolution notes are required."]


def test_resolver_does_not_see_other_groups_incidents(resolver_client, org_user, agent):
    """§10.4: resolvers see what is assigned to their groups only."""
    other_group = ResolverGroupFactory(name="LSS Support")
    other = case_raise_incident(
        case=CaseFactory(caller=org_user),
        actor=agent,
        assignment_group=other_group,
        impact=3,
        urgency=3,
    )

    listing = resolver_client.get(reverse("admin:incidents_incident_changelist"))
    assert other.number not in listing.content.decode()
    page = resolver_client.get(reverse("admin:incidents_incident_change", args=[other.pk]))
    assert page.status_code == 302
    transition = resolver_client.post(
        reverse("admin:incidents_incident_transition", args=[other.pk, "start"]),
        {"expected_state": "new"},
    )
    assert transition.status_code == 302
    other.refresh_from_db()
    assert other.state == Incident.State.NEW


def test_reassign_moves_incident_to_another_group(
    agent_client, incident, django_capture_on_commit_callbacks
):
    """Appendix G: incidents can be passed to different resolver groups."""
    lss = ResolverGroupFactory(name="LSS Support", email="lss@mhhs.example")
    url = reverse("admin:incidents_incident_assign", args=[incident.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url, {"assignment_group": lss.pk}, follow=True)

    incident.refresh_from_db()
    assert incident.assignment_group == lss
    assert f"{incident.number} assigned to LSS Support." in _messages(response)


def test_reassign_to_a_non_member_shows_the_error_on_the_form(agent_client, incident, resolver):
    """Appendix G: an incident goes to a person only within the group."""
    lss = ResolverGroupFactory(name="LSS Support")
    url = reverse("admin:incidents_incident_assign", args=[incident.pk])

    response = agent_client.post(url, {"assignment_group": lss.pk, "assigned_to": resolver.pk})

    assert response.status_code == 200
    assert response.context["form"].errors["assigned_to"] == ["Choose a member of the group."]
    incident.refresh_from_db()
    assert incident.assignment_group != lss


def test_incident_fields_are_read_only(agent_client, incident):
    """docs/conventions.md §3: state and fields are not edited through the incident form."""
    response = agent_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert list(response.context["adminform"].form.fields) == []
    agent_client.post(
        reverse("admin:incidents_incident_change", args=[incident.pk]),
        {"state": "closed", "short_description": "x"},
    )
    incident.refresh_from_db()
    assert incident.state == Incident.State.NEW and incident.short_description != "x"
