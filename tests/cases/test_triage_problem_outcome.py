"""Triage's Problem outcome (§4.1, §6.4 steps 1–4): the agent raises a problem from a case,
or links the case to an open one; the caller is told in plain words, and then hears the
problem's shared progress updates and its resolution through the case (§6.4 steps 7 and 9)."""

import pytest
from django.urls import reverse

from accounts import roles
from cases.models import Case
from cases.services import PROBLEM_TRIAGE_MESSAGE, case_raise_problem
from comms.models import OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from problems.models import Problem
from problems.services import (
    problem_create,
    problem_linked_cases,
    problem_progress_update_add,
    problem_transition,
    problem_update,
)
from tests.conftest import _staff
from tests.factories.cases import CaseFactory, category
from tickets.models import JournalEntry, Service
from tickets.priority import Priority
from tickets.selectors import journal_for


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user, short_description="Nightly DIP rejections again")


@pytest.fixture
def manager(db):
    return _staff("paula.problem@mhhs.example", roles.PROBLEM_MANAGER)


def _comments(case) -> list[str]:
    return [
        entry.body
        for entry in journal_for(case, include_work_notes=True)
        if entry.kind == JournalEntry.Kind.COMMENT
    ]


def _existing(agent, resolver_group) -> Problem:
    return problem_create(
        actor=agent,
        short_description="DIP rejects messages",
        description="Several suppliers' messages are rejected each night.",
        category=category("Market Systems"),
        assignment_group=resolver_group,
        impact=2,
        urgency=2,
    )


def test_problem_outcome_raises_a_problem_links_the_case_and_tells_the_caller(
    case, agent, resolver_group
):
    problem = case_raise_problem(
        case=case, actor=agent, assignment_group=resolver_group, impact=1, urgency=2
    )

    assert problem.short_description == case.short_description
    assert problem.priority == Priority.P2
    assert problem.opened_by == agent
    assert problem_linked_cases(problem) == [case]
    case.refresh_from_db()
    assert case.triage_outcome == Case.TriageOutcome.PROBLEM
    assert case.state == Case.State.IN_PROGRESS
    assert case.priority == Priority.P2
    assert _comments(case) == [PROBLEM_TRIAGE_MESSAGE]
    assert "§" not in PROBLEM_TRIAGE_MESSAGE
    assert OutboundMessage.objects.filter(
        template="case_comment_added", to_email=case.caller.email, ticket_id=case.pk
    ).exists()
    # Which problem is the desk's business: a work note, never a comment.
    assert any(
        problem.number in entry.body and entry.kind == JournalEntry.Kind.WORK_NOTE
        for entry in journal_for(case, include_work_notes=True)
    )


def test_problem_outcome_links_the_case_to_an_existing_open_problem(case, agent, resolver_group):
    existing = _existing(agent, resolver_group)
    problem = case_raise_problem(case=case, actor=agent, problem=existing)
    assert problem == existing
    assert Problem.objects.count() == 1
    assert problem_linked_cases(existing) == [case]
    assert any(case.number in e.body for e in journal_for(existing, include_work_notes=True))


def test_problem_outcome_refuses_a_closed_or_cancelled_problem(
    case, agent, manager, resolver_group
):
    existing = _existing(agent, resolver_group)
    existing = problem_transition(
        problem=existing, actor=manager, name="cancel", reason="raised_in_error"
    )
    with pytest.raises(ValidationFailed) as refused:
        case_raise_problem(case=case, actor=agent, problem=existing)
    assert "problem" in refused.value.field_errors
    case.refresh_from_db()
    assert case.triage_outcome == ""


def test_problem_outcome_needs_the_problem_fields_and_a_first_line_agent(
    case, agent, resolver, resolver_group
):
    with pytest.raises(ValidationFailed) as refused:
        case_raise_problem(case=case, actor=agent, assignment_group=None, impact=None, urgency=2)
    assert {"assignment_group", "impact"} <= set(refused.value.field_errors)
    with pytest.raises(ActionNotPermitted):
        case_raise_problem(
            case=case, actor=resolver, assignment_group=resolver_group, impact=2, urgency=2
        )
    case_raise_problem(case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2)
    with pytest.raises(TransitionNotAllowed):
        case_raise_problem(
            case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
        )


def test_shared_progress_and_the_resolution_reach_the_caller_of_a_linked_case(
    case, agent, manager, resolver, resolver_group
):
    """§6.4 step 7 and 9: the raiser of the case hears the shared updates and the fix."""
    problem = case_raise_problem(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    problem_progress_update_add(
        problem=problem, actor=manager, body="Internal: vendor ticket 4471 raised."
    )
    problem_progress_update_add(
        problem=problem,
        actor=manager,
        body="A fix is being tested and should be live on Friday.",
        customer_visible=True,
    )
    problem = problem_update(
        problem=problem,
        actor=manager,
        assigned_to=resolver,
        service=Service.objects.get(code="dip"),
    )
    problem = problem_transition(problem=problem, actor=manager, name="start")
    problem_transition(
        problem=problem,
        actor=manager,
        name="resolve",
        notes="The validation rule was corrected on Friday.",
        code="resolved",
        root_cause="A schema change dropped a mandatory field.",
    )

    comments = _comments(case)
    assert len(comments) == 3
    assert "live on Friday" in comments[1]
    assert "vendor ticket" not in " ".join(comments)
    assert "has been resolved" in comments[2] and "corrected on Friday" in comments[2]
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS  # the desk confirms with the caller
    assert (
        OutboundMessage.objects.filter(template="case_comment_added", ticket_id=case.pk).count()
        == 3
    )


def test_console_triage_problem_outcome_raises_and_redirects(agent_client, case, resolver_group):
    response = agent_client.post(
        reverse("admin:cases_case_triage", args=[case.pk]),
        {
            "outcome": "problem",
            "problem-assignment_group": resolver_group.pk,
            "problem-impact": 2,
            "problem-urgency": 3,
        },
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:problems_problem_change", args=[problem.pk])
    case.refresh_from_db()
    assert case.triage_outcome == Case.TriageOutcome.PROBLEM


def test_console_triage_problem_outcome_shows_errors_not_500(agent_client, case):
    url = reverse("admin:cases_case_triage", args=[case.pk])
    page = agent_client.get(url)
    assert 'id="outcome-problem"' in page.content.decode()

    response = agent_client.post(url, {"outcome": "problem"})
    assert response.status_code == 200
    assert "Choose the resolver group" in response.content.decode()

    response = agent_client.post(url, {"outcome": "problem", "problem-problem": "PRB9999999"})
    assert response.status_code == 200
    assert "There is no problem PRB9999999" in response.content.decode()
    case.refresh_from_db()
    assert case.triage_outcome == ""
