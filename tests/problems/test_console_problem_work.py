"""Working a problem in the console (§6.4 steps 7–10): the linked-incident count on the list,
the resolve form's option for linked incidents, progress updates, the post-resolution
review checklist that closing needs, unlinking an incident, and cases linked at triage."""

from django.urls import reverse

from cases.services import case_raise_problem
from comms.models import Notification
from incidents.models import Incident
from problems.models import Problem, ProblemReviewCheck
from problems.services import problem_link_incident, problem_transition
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.selectors import journal_for

CHANGELIST = "admin:problems_problem_changelist"


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _url(name: str, problem) -> str:
    return reverse(f"admin:problems_problem_{name}", args=[problem.pk])


def _resolved(problem, actor):
    problem = problem_transition(problem=problem, actor=actor, name="start")
    return problem_transition(
        problem=problem,
        actor=actor,
        name="resolve",
        notes="Fixed.",
        code="resolved",
        root_cause="Bug.",
    )


def test_list_shows_how_many_incidents_are_linked(
    problem_manager_client, problem, problem_manager, incident
):
    problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    response = problem_manager_client.get(reverse(CHANGELIST))
    html = response.content.decode()
    assert "Incidents" in html
    assert response.context["cl"].result_list[0].incident_count == 1


def test_resolve_form_offers_to_resolve_the_linked_incidents(
    problem_manager_client, problem, problem_manager, incident
):
    problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    problem = problem_transition(problem=problem, actor=problem_manager, name="start")
    url = reverse("admin:problems_problem_transition", args=[problem.pk, "resolve"])
    form = problem_manager_client.get(url)
    assert "Resolve them with this resolution" in form.content.decode()
    response = problem_manager_client.post(
        url,
        {
            "expected_state": "in_progress",
            "notes": "Fixed.",
            "code": "resolved",
            "root_cause": "Bug.",
            "linked_incidents": "resolve",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == Incident.State.RESOLVED


def test_progress_update_form_posts_and_tells_the_raiser(problem_manager_client, problem, agent):
    page = problem_manager_client.get(_url("change", problem))
    assert 'id="progress"' in page.content.decode()
    response = problem_manager_client.post(
        _url("progress", problem), {"body": "Vendor has a fix."}, follow=True
    )
    assert "Progress update added." in _messages(response)
    assert Notification.objects.filter(user=agent, event="problem_updated").exists()
    empty = problem_manager_client.post(_url("progress", problem), {"body": ""}, follow=True)
    assert any("Write the progress update" in m for m in _messages(empty))


def test_review_checklist_on_the_page_gates_closing(
    problem_manager_client, problem, problem_manager
):
    problem = _resolved(problem, problem_manager)
    page = problem_manager_client.get(_url("change", problem))
    html = page.content.decode()
    assert 'id="review"' in html
    assert ProblemReviewCheck.Item.FIX_VERIFIED.label in html

    close_url = reverse("admin:problems_problem_transition", args=[problem.pk, "close"])
    refused = problem_manager_client.post(close_url, {"expected_state": "resolved"}, follow=True)
    assert refused.status_code == 200
    assert "post-resolution review" in refused.content.decode()
    problem.refresh_from_db()
    assert problem.state == Problem.State.RESOLVED

    saved = problem_manager_client.post(
        _url("review", problem), {"items": list(ProblemReviewCheck.Item.values)}, follow=True
    )
    assert any("complete" in m for m in _messages(saved))
    problem_manager_client.post(close_url, {"expected_state": "resolved"})
    problem.refresh_from_db()
    assert problem.state == Problem.State.CLOSED


def test_review_of_an_open_problem_is_refused_with_a_message(problem_manager_client, problem):
    response = problem_manager_client.post(
        _url("review", problem), {"items": ["fix_verified"]}, follow=True
    )
    assert any("while" in m and "Resolved" in m for m in _messages(response))
    bad = problem_manager_client.post(_url("review", problem), {"items": ["coffee"]}, follow=True)
    assert "Tick only items of the checklist." in _messages(bad)


def test_unlink_button_removes_the_incident(
    problem_manager_client, problem, problem_manager, incident
):
    problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    response = problem_manager_client.post(
        _url("unlink_incident", problem), {"incident": incident.number}, follow=True
    )
    assert f"{incident.number} unlinked from {problem.number}." in _messages(response)
    response = problem_manager_client.post(
        _url("unlink_incident", problem), {"incident": incident.number}, follow=True
    )
    assert any("is not linked" in m for m in _messages(response))


def test_page_lists_cases_linked_at_triage(problem_manager_client, agent, org_user, resolver_group):
    case = CaseFactory(caller=org_user)
    problem = case_raise_problem(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    html = problem_manager_client.get(_url("change", problem)).content.decode()
    assert "Cases linked at triage" in html and case.number in html
    assert any(
        case.number in entry.body and entry.kind == JournalEntry.Kind.SYSTEM
        for entry in journal_for(problem, include_work_notes=True)
    )


def test_review_checklist_is_read_only_for_the_desk(agent_client, problem, problem_manager):
    problem = _resolved(problem, problem_manager)
    html = agent_client.get(_url("change", problem)).content.decode()
    assert "Post-resolution review" in html
    assert "To do: Fix verified in production" in html
    assert _url("review", problem) not in html
