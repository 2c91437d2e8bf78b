"""Problems in the console (§6): the list, the page, raising (directly and from an incident,
§5.5 step 17), the investigation form and the §6.5 rules behind the buttons."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from problems.models import Problem
from problems.selectors import incident_problems_context
from problems.services import problem_link_incident, problem_raise_from_incident
from tests.conftest import mfa_client
from tests.factories.cases import category
from tests.factories.incidents import raised_incident
from tests.problems.conftest import raise_problem
from tickets.models import Service

CHANGELIST = "admin:problems_problem_changelist"


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _change_url(problem) -> str:
    return reverse("admin:problems_problem_change", args=[problem.pk])


@pytest.mark.parametrize("size", [2, 20])
def test_problem_changelist_query_count_is_constant(
    problem_manager_client, agent, resolver_group, size, django_assert_num_queries
):
    """docs/conventions.md §7: the list joins its group, assignee and service."""
    for _ in range(size):
        raise_problem(agent, resolver_group, service=Service.objects.get(code="dip"))
    problem_manager_client.get(reverse(CHANGELIST))  # warm the access cache
    # session, user, filter choices (service, resolver group; categories are kept by the
    # process), page count (capped), page of problems joined with group, assignee and service,
    # the page's SLA clocks and its linked-incident counts (one grouped query).
    with django_assert_num_queries(8):
        response = problem_manager_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == size


def test_empty_problem_list_says_where_problems_come_from(problem_manager_client):
    response = problem_manager_client.get(reverse(CHANGELIST))
    assert "No problems yet" in response.content.decode()
    response = problem_manager_client.get(reverse(CHANGELIST), {"q": "nothing"})
    assert "No problems match" in response.content.decode()


def test_changelist_filters_by_service_and_searches(problem_manager_client, agent, resolver_group):
    dip = raise_problem(agent, resolver_group, service=Service.objects.get(code="dip"))
    raise_problem(agent, resolver_group, short_description="Login failures")
    dip_id = Service.objects.get(code="dip").pk
    response = problem_manager_client.get(reverse(CHANGELIST), {"service__id__exact": dip_id})
    assert list(response.context["cl"].result_list) == [dip]
    response = problem_manager_client.get(reverse(CHANGELIST), {"q": "Login"})
    assert [p.short_description for p in response.context["cl"].result_list] == ["Login failures"]


@pytest.mark.parametrize("linked", [1, 6])
def test_problem_page_query_count_is_constant(
    problem_manager_client,
    problem,
    org_user,
    agent,
    resolver_group,
    problem_manager,
    linked,
    django_assert_num_queries,
):
    """docs/conventions.md §7: linked incidents are one query however many there are."""
    for _ in range(linked):
        incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    problem_manager_client.get(_change_url(problem))  # warm the caches
    # session, user, the problem joined with its relations, journal, SLA clocks, the linked
    # incidents with their groups, and the investigation form's four choice lists (services,
    # categories, resolver groups, their members), the cases linked at triage, the review
    # checklist and the changes linked to it.
    with django_assert_num_queries(13) as captured:
        response = problem_manager_client.get(_change_url(problem))
    assert response.status_code == 200, [q["sql"] for q in captured.captured_queries]
    assert len(response.context["linked_incidents"]) == linked


def test_problem_page_shows_fields_incidents_journal_and_buttons(
    problem_manager_client, incident, agent
):
    problem = problem_raise_from_incident(incident=incident, actor=agent)
    response = problem_manager_client.get(_change_url(problem))

    html = response.content.decode()
    assert reverse("admin:incidents_incident_change", args=[incident.pk]) in html
    assert f"Raised from incident {incident.number}." in html
    assert "Configuration item" in html and "Root cause" in html
    assert [b["name"] for b in response.context["transitions"]] == ["start", "resolve", "cancel"]
    assert response.context["update_url"].endswith("/update/")


def test_resolve_without_root_cause_is_refused_on_the_form(problem_manager_client, problem):
    """§6.5: the root cause is mandatory to resolve; the form says so next to the field."""
    url = reverse("admin:problems_problem_transition", args=[problem.pk, "resolve"])
    response = problem_manager_client.post(
        url, {"expected_state": "new", "notes": "Fixed.", "code": "resolved"}
    )
    assert response.status_code == 200
    assert "root_cause" in response.context["form"].errors
    problem.refresh_from_db()
    assert problem.state == Problem.State.NEW


def test_investigation_form_records_the_root_cause(problem_manager_client, problem):
    url = reverse("admin:problems_problem_update", args=[problem.pk])
    response = problem_manager_client.post(
        url,
        {
            "update-root_cause": "Expired certificate.",
            "update-workaround": "",
            "update-service": problem.service_id,
            "update-category": problem.category_id,
            "update-impact": 1,
            "update-urgency": 1,
            "update-assignment_group": problem.assignment_group_id,
            "update-assigned_to": "",
        },
        follow=True,
    )
    assert f"{problem.number} updated." in _messages(response)
    problem.refresh_from_db()
    assert problem.root_cause == "Expired certificate." and problem.priority == 1


def test_agent_raises_a_problem_from_the_console(agent_client, resolver_group):
    """§6.4: the desk raises a problem with the §6.5 fields."""
    add_url = reverse("admin:problems_problem_add")
    assert agent_client.get(add_url).status_code == 200
    response = agent_client.post(
        add_url,
        {
            "short_description": "Recurring login failures",
            "description": "Users are locked out every morning.",
            "category": category("Security").pk,
            "service": "",
            "impact": 2,
            "urgency": 2,
            "assignment_group": resolver_group.pk,
            "assigned_to": "",
        },
    )
    problem = Problem.objects.get()
    assert response.status_code == 302 and response.url == _change_url(problem)
    assert problem.priority == 3


def test_raise_page_shows_errors_next_to_fields(agent_client):
    response = agent_client.post(reverse("admin:problems_problem_add"), {"impact": 2})
    assert response.status_code == 200
    assert {"short_description", "description", "category"} <= set(response.context["form"].errors)
    assert not Problem.objects.exists()


def test_raise_from_incident_page_is_prefilled_and_links(agent_client, incident):
    """§5.5 step 17: "raise a problem from it", the form filled in from the incident."""
    url = reverse("admin:problems_problem_from_incident", args=[incident.pk])
    page = agent_client.get(url)

    form = page.context["form"]
    assert form.initial["short_description"] == incident.short_description
    assert form.initial["assignment_group"] == incident.assignment_group
    assert form.initial["service"] == Service.objects.get(code="dip")
    data = {
        "short_description": "Nightly rejections",
        "description": incident.description,
        "category": incident.category_id,
        "service": form.initial["service"].pk,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "assignment_group": incident.assignment_group_id,
        "assigned_to": "",
    }
    response = agent_client.post(url, data, follow=True)
    problem = Problem.objects.get()
    assert f"{problem.number} raised from {incident.number} and linked to it." in _messages(
        response
    )
    incident_page = agent_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert list(incident_page.context["incident_problems"]) == [problem]
    assert incident_page.context["raise_problem_url"] == url


def test_incident_problems_partial_lists_problems_and_the_raise_action(agent, incident):
    """The panel the incident page includes: its problems and the §5.5 step 17 action."""
    problem = problem_raise_from_incident(incident=incident, actor=agent)

    class Perms:
        problems = {"add_problem": True}

    html = render_to_string(
        "admin/problems/_incident_problems.html",
        {**incident_problems_context(incident), "perms": Perms()},
    )
    assert problem.number in html
    assert "Raise a problem from this incident" in html
    assert render_to_string("admin/problems/_incident_problems.html", {}).strip() == ""


def test_resolver_may_not_raise_and_sees_only_own_groups_problem(
    resolver_client, incident, problem, agent, other_group
):
    """§10.4: resolvers work their groups' problems; raising is for the desk (403, not 500)."""
    other = raise_problem(agent, other_group)
    url = reverse("admin:problems_problem_from_incident", args=[incident.pk])
    assert resolver_client.get(url).status_code == 403
    assert resolver_client.get(reverse("admin:problems_problem_add")).status_code == 403
    assert resolver_client.get(_change_url(problem)).status_code == 200
    assert resolver_client.get(_change_url(other)).status_code == 302  # "does not exist"


def test_participant_never_reaches_the_problem_console(org_user, problem):
    response = mfa_client(org_user).get(_change_url(problem))
    assert response.status_code == 302 and "/login/" in response.url
