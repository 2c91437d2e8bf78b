"""Problem services (§6): raising with the §6.5 mandatory fields, raising from an incident
(§5.5 steps 16–18) or from a review, the investigation, and the §6.5 closure rules."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from accounts import roles
from comms.models import Notification, OutboundMessage
from core.errors import ActionNotPermitted, TicketNotFound, ValidationFailed
from incidents.models import Incident
from problems.models import Problem, ProblemReviewCheck
from problems.selectors import incidents_of_problem, problem_list_for, problems_of_incident
from problems.services import (
    problem_link_incident,
    problem_raise_from,
    problem_raise_from_incident,
    problem_review_record,
    problem_transition,
    problem_update,
)
from tests.conftest import _staff
from tests.factories.cases import category
from tests.problems.conftest import raise_problem
from tickets.models import JournalEntry, Service, TicketLink
from tickets.priority import Priority
from tickets.registry import ticket_type_for, ticket_type_for_number
from tickets.selectors import journal_for


def _journal(ticket) -> list[str]:
    return [entry.body for entry in journal_for(ticket, include_work_notes=True)]


def test_problem_is_numbered_prb_and_prioritised_by_the_matrix(problem):
    """§6.5 Problem Number and Priority: PRB numbers; impact Medium × urgency High is P2 (§3.8)."""
    assert problem.number.startswith("PRB") and len(problem.number) == 10
    assert problem.priority == Priority.P2
    assert ticket_type_for_number(problem.number).model is Problem
    assert ticket_type_for(Problem).api_slug == "problems"
    assert "Problem raised with priority P2" in _journal(problem)[0]


def test_raising_needs_the_mandatory_fields(agent, resolver_group):
    """§6.5: short description, description, category, assignment group, impact, urgency."""
    with pytest.raises(ValidationFailed) as refused:
        raise_problem(
            agent,
            None,
            short_description=" ",
            description="",
            category=None,
            impact=None,
        )
    assert set(refused.value.field_errors) == {
        "short_description",
        "description",
        "category",
        "assignment_group",
        "impact",
    }
    assert not Problem.objects.exists()


def test_assignee_must_belong_to_the_assignment_group(agent, resolver_group, other_group):
    with pytest.raises(ValidationFailed) as refused:
        raise_problem(agent, other_group, assigned_to=agent)
    assert "assigned_to" in refused.value.field_errors


def test_participants_and_resolvers_may_not_raise_problems(org_user, resolver, resolver_group):
    """§6: problems are raised by the desk and the problem and incident managers."""
    for user in (org_user, resolver):
        with pytest.raises(ActionNotPermitted):
            raise_problem(user, resolver_group)


def test_new_problem_tells_its_resolver_group(resolver, problem):
    """§5.17 pattern: the assignment group hears of a new problem, by its mailbox."""
    assert Notification.objects.filter(user=resolver, event="problem_assigned").exists()
    mail = OutboundMessage.objects.get(template="problem_assigned", ticket_id=problem.pk)
    assert mail.to_email == "dip.support@mhhs.example"


# --- §6.5 closure rules ----------------------------------------------------------------------


def _start(problem, actor):
    return problem_transition(problem=problem, actor=actor, name="start")


def test_root_cause_is_required_to_resolve(problem, problem_manager):
    """§6.5: the root cause is mandatory when closing the problem."""
    problem = _start(problem, problem_manager)
    with pytest.raises(ValidationFailed) as refused:
        problem_transition(
            problem=problem, actor=problem_manager, name="resolve", notes="Fixed.", code="resolved"
        )
    assert "root cause" in refused.value.message
    assert "root_cause" in refused.value.field_errors
    problem.refresh_from_db()
    assert problem.state == Problem.State.IN_PROGRESS


def test_root_cause_given_with_the_resolution_is_recorded(problem, problem_manager):
    problem = _start(problem, problem_manager)
    problem = problem_transition(
        problem=problem,
        actor=problem_manager,
        name="resolve",
        notes="Validation rule corrected.",
        code="resolved",
        root_cause="A schema change dropped a mandatory field.",
    )
    assert problem.state == Problem.State.RESOLVED
    assert problem.root_cause == "A schema change dropped a mandatory field."
    assert problem.resolution_code == Problem.ResolutionCode.RESOLVED
    problem_review_record(
        problem=problem, actor=problem_manager, items=ProblemReviewCheck.Item.values
    )
    problem = problem_transition(problem=problem, actor=problem_manager, name="close")
    assert problem.state == Problem.State.CLOSED


def test_known_error_closure_needs_a_workaround(problem, problem_manager):
    """§6.5 closure code "Known Error": no permanent fix yet, so a workaround must exist."""
    problem = _start(problem, problem_manager)
    problem = problem_update(problem=problem, actor=problem_manager, root_cause="Vendor bug.")
    with pytest.raises(ValidationFailed) as refused:
        problem_transition(
            problem=problem,
            actor=problem_manager,
            name="resolve",
            notes="Fix awaits the vendor.",
            code="known_error",
        )
    assert "workaround" in refused.value.field_errors
    problem = problem_transition(
        problem=problem,
        actor=problem_manager,
        name="resolve",
        notes="Fix awaits the vendor.",
        code="known_error",
        workaround="Resubmit the file after 02:00.",
    )
    assert problem.is_known_error and problem.workaround == "Resubmit the file after 02:00."


def test_closure_code_must_be_resolved_or_known_error(problem, problem_manager):
    """§6.5: the closure codes are "Resolved" and "Known Error"."""
    problem = _start(problem, problem_manager)
    with pytest.raises(ValidationFailed):
        problem_transition(
            problem=problem,
            actor=problem_manager,
            name="resolve",
            notes="Done.",
            code="advice",
            root_cause="x",
        )


def test_investigation_is_journalled_and_reprioritises(problem, problem_manager, resolver):
    """§6.4 step 6: root cause and workaround recorded; impact/urgency move the priority."""
    problem = problem_update(
        problem=problem,
        actor=problem_manager,
        root_cause="Certificate expired.",
        workaround="Use the backup endpoint.",
        impact=1,
        urgency=1,
        assigned_to=resolver,
    )
    assert problem.priority == Priority.P1
    assert problem.assigned_to == resolver
    journal = _journal(problem)
    assert "Root cause recorded: Certificate expired." in journal
    assert "Workaround recorded: Use the backup endpoint." in journal
    assert any(body.startswith("Priority set to P1") for body in journal)


# --- raising from an incident (§5.5 steps 16–18) ----------------------------------------------


def test_raise_from_incident_links_both_ways_and_prefills(incident, agent):
    """§5.5 step 17: the problem starts from the incident and both journals record it."""
    problem = problem_raise_from_incident(incident=incident, actor=agent)

    assert problem.short_description == incident.short_description
    assert problem.description == incident.description
    assert problem.category_id == incident.category_id
    assert problem.assignment_group_id == incident.assignment_group_id
    assert (problem.impact, problem.urgency) == (incident.impact, incident.urgency)
    assert problem.service == Service.objects.get(code="dip")  # the first affected, in order
    assert TicketLink.objects.filter(
        kind=TicketLink.Kind.INCIDENT_PROBLEM,
        from_type=ContentType.objects.get_for_model(Incident),
        from_id=incident.pk,
        to_type=ContentType.objects.get_for_model(Problem),
        to_id=problem.pk,
    ).exists()
    assert list(problems_of_incident(incident)) == [problem]
    assert list(incidents_of_problem(problem)) == [incident]
    assert f"Raised from incident {incident.number}." in _journal(problem)[0]
    assert f"Problem {problem.number} raised from incident {incident.number}" in " ".join(
        _journal(incident)
    )


def test_raise_from_incident_fields_may_be_overridden(incident, agent, other_group):
    problem = problem_raise_from_incident(
        incident=incident,
        actor=agent,
        short_description="Nightly DIP rejections",
        assignment_group=other_group,
        impact=1,
        service=Service.objects.get(code="lss"),
        category=category("Settlement Services"),
    )
    assert problem.short_description == "Nightly DIP rejections"
    assert problem.assignment_group == other_group
    assert problem.service.code == "lss"
    assert problem.priority == Priority.P2  # impact High × the incident's urgency Medium


def test_raise_from_review_links_every_incident(incident, agent, org_user, resolver_group):
    """§5.23: a post-incident review raises a problem record with its own words."""
    second = Incident.objects.get(pk=incident.pk)
    problem = problem_raise_from(
        actor=agent,
        source_label="post-incident review of MI0000001",
        incidents=[incident],
        short_description="Root cause of MI0000001",
        description="From the review.",
        category=incident.category,
        assignment_group=resolver_group,
        impact=1,
        urgency=2,
        root_cause="Not yet known.",
    )
    assert list(incidents_of_problem(problem)) == [second]
    assert problem.root_cause == "Not yet known."
    assert "Raised from post-incident review of MI0000001." in _journal(problem)[0]


def test_raising_from_an_incident_one_may_not_see_is_refused(incident, other_group):
    """§10.4: someone who may raise problems but cannot see the incident cannot raise from it."""
    outsider = _staff("oscar.other@mhhs.example", roles.RESOLVER)
    other_group.members.add(outsider)
    outsider.user_permissions.add(Permission.objects.get(codename="add_problem"))
    outsider = type(outsider).objects.get(pk=outsider.pk)
    with pytest.raises(TicketNotFound):
        problem_raise_from_incident(incident=incident, actor=outsider)
    assert not Problem.objects.exists()


def test_linking_another_incident_is_journalled_once(problem, incident, problem_manager):
    """§6.2: recurring incidents are linked to one problem."""
    problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
    assert list(incidents_of_problem(problem)) == [incident]
    assert _journal(problem).count(f"Incident {incident.number} linked.") == 1
    entries = JournalEntry.objects.filter(body=f"Linked to problem {problem.number}.")
    assert entries.count() == 1


# --- visibility (§10.4) ----------------------------------------------------------------------


def test_resolvers_see_only_their_groups_problems(
    problem, agent, other_group, resolver, org_user, problem_manager
):
    other = raise_problem(agent, other_group)
    assert set(problem_list_for(user=resolver)) == {problem}
    assert set(problem_list_for(user=problem_manager)) == {problem, other}
    assert set(problem_list_for(user=agent)) == {problem, other}
    assert not problem_list_for(user=org_user).exists()
