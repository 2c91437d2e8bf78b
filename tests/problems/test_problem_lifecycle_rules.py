"""Problems beyond raising (§6.2, §6.4 steps 7, 9 and 10, §6.5): resolving a problem with its
linked incidents, progress updates to whoever raised it and to the callers, the
post-resolution review checklist that closing needs, and unlinking an incident."""

import pytest

from cases.models import Case, ProposedUpdate
from comms.models import Notification
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from incidents.models import Incident
from incidents.services import incident_transition, linked_cases
from problems.models import Problem, ProblemReviewCheck
from problems.selectors import incident_counts, incidents_of_problem
from problems.services import (
    problem_link_incident,
    problem_progress_update_add,
    problem_review_record,
    problem_transition,
    problem_unlink_incident,
    problem_update,
)
from tests.factories.incidents import raised_incident
from tests.problems.conftest import raise_problem
from tickets.models import JournalEntry, Service
from tickets.selectors import journal_for

ALL_ITEMS = list(ProblemReviewCheck.Item.values)


def _resolved(problem, actor, **arguments):
    problem = problem_transition(problem=problem, actor=actor, name="start")
    return problem_transition(
        problem=problem,
        actor=actor,
        name="resolve",
        notes="The DIP validation rule was corrected.",
        code=arguments.pop("code", "resolved"),
        root_cause="A schema change dropped a mandatory field.",
        **arguments,
    )


def _linked_incidents(problem, n, *, org_user, agent, resolver_group, problem_manager):
    incidents = []
    for _ in range(n):
        incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        problem_link_incident(problem=problem, incident=incident, actor=problem_manager)
        incidents.append(incident)
    return incidents


# --- §6.5: the person responsible and the configuration item --------------------------------


def test_resolving_needs_the_person_responsible_and_the_configuration_item(
    problem_manager, agent, resolver, resolver_group
):
    """§6.5 makes Assigned To and the Configuration Item mandatory: a problem raised without
    them is resolved only once both are recorded."""
    bare = raise_problem(agent, resolver_group)
    with pytest.raises(ValidationFailed) as refused:
        _resolved(bare, problem_manager)
    assert {"assigned_to", "service"} <= set(refused.value.field_errors)
    assert "person responsible" in refused.value.message
    bare.refresh_from_db()
    problem_update(
        problem=bare,
        actor=problem_manager,
        assigned_to=resolver,
        service=Service.objects.get(code="dip"),
    )
    bare.refresh_from_db()
    resolved = problem_transition(
        problem=bare,
        actor=problem_manager,
        name="resolve",
        notes="Fixed.",
        code="resolved",
        root_cause="Bug.",
    )
    assert resolved.state == Problem.State.RESOLVED


# --- §6.2, §6.4 step 9: resolving a problem with linked incidents ----------------------------


def test_resolving_with_the_option_resolves_open_linked_incidents_and_proposes_to_their_cases(
    problem, problem_manager, org_user, agent, resolver_group
):
    """The problem's resolution resolves each open linked incident through the incident
    lifecycle; each incident's case gets the resolution as a proposal for the desk to send
    (Appendix G), and is not resolved itself."""
    open_one, held, done = _linked_incidents(
        problem,
        3,
        org_user=org_user,
        agent=agent,
        resolver_group=resolver_group,
        problem_manager=problem_manager,
    )
    held = incident_transition(incident=held, actor=agent, name="start")
    incident_transition(incident=held, actor=agent, name="hold", reason="awaiting_problem")
    done = incident_transition(incident=done, actor=agent, name="start")
    incident_transition(
        incident=done, actor=agent, name="resolve", notes="Restarted.", code="solved"
    )

    problem = _resolved(problem, problem_manager, linked_incidents="resolve")

    for incident in (open_one, held):
        incident.refresh_from_db()
        assert incident.state == Incident.State.RESOLVED
        assert incident.resolution_code == Incident.ResolutionCode.SOLVED
        assert problem.number in incident.resolution_notes
        case = linked_cases(incident)[0]
        assert case.state == Case.State.IN_PROGRESS  # the desk resolves it with the caller
        proposal = ProposedUpdate.objects.get(case=case, incident=incident)
        assert proposal.kind == ProposedUpdate.Kind.RESOLUTION
        assert "validation rule was corrected" in proposal.proposed_text
    done.refresh_from_db()
    assert done.resolution_notes == "Restarted."  # already resolved: left alone
    assert any(
        open_one.number in entry.body and held.number in entry.body
        for entry in journal_for(problem, include_work_notes=True)
    )


def test_known_error_resolution_gives_the_incidents_the_known_error_code(
    problem, problem_manager, org_user, agent, resolver_group
):
    (incident,) = _linked_incidents(
        problem,
        1,
        org_user=org_user,
        agent=agent,
        resolver_group=resolver_group,
        problem_manager=problem_manager,
    )
    _resolved(
        problem,
        problem_manager,
        code="known_error",
        workaround="Resend the message after 10 minutes.",
        linked_incidents="resolve",
    )
    incident.refresh_from_db()
    assert incident.resolution_code == Incident.ResolutionCode.KNOWN_ERROR


def test_resolving_without_the_option_leaves_linked_incidents_open(
    problem, problem_manager, org_user, agent, resolver_group
):
    (incident,) = _linked_incidents(
        problem,
        1,
        org_user=org_user,
        agent=agent,
        resolver_group=resolver_group,
        problem_manager=problem_manager,
    )
    _resolved(problem, problem_manager)
    incident.refresh_from_db()
    assert incident.state in Incident.OPEN_STATES


def test_linked_incidents_option_must_be_leave_or_resolve(problem, problem_manager):
    with pytest.raises(ValidationFailed) as refused:
        _resolved(problem, problem_manager, linked_incidents="everything")
    assert "linked_incidents" in refused.value.field_errors


def test_incident_counts_are_one_grouped_query(
    problem, problem_manager, org_user, agent, resolver_group, django_assert_num_queries
):
    _linked_incidents(
        problem,
        2,
        org_user=org_user,
        agent=agent,
        resolver_group=resolver_group,
        problem_manager=problem_manager,
    )
    other = raise_problem(agent, resolver_group)
    with django_assert_num_queries(1):
        counts = incident_counts([problem, other])
    assert counts == {problem.pk: 2}


def test_unlinking_an_incident_is_journalled_on_both(
    problem, problem_manager, org_user, agent, resolver_group
):
    (incident,) = _linked_incidents(
        problem,
        1,
        org_user=org_user,
        agent=agent,
        resolver_group=resolver_group,
        problem_manager=problem_manager,
    )
    problem_unlink_incident(problem=problem, incident=incident, actor=problem_manager)
    assert not incidents_of_problem(problem).exists()
    assert any("unlinked" in e.body for e in journal_for(problem, include_work_notes=True))
    assert any(problem.number in e.body for e in journal_for(incident, include_work_notes=True))
    with pytest.raises(ValidationFailed):
        problem_unlink_incident(problem=problem, incident=incident, actor=problem_manager)


# --- §6.4 step 7: progress updates to the raiser -----------------------------------------------


def _told(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user, event="problem_updated").values_list(
            "title", flat=True
        )
    )


def test_state_change_tells_whoever_raised_the_problem(problem, problem_manager, agent):
    """The agent raised it; the problem manager starts it: the agent is told, not the actor."""
    problem_transition(problem=problem, actor=problem_manager, name="start")
    assert len(_told(agent)) == 1
    assert _told(problem_manager) == []


def test_workaround_recorded_tells_the_raiser(problem, problem_manager, agent):
    problem_update(problem=problem, actor=problem_manager, workaround="Resend after 10 minutes.")
    assert len(_told(agent)) == 1
    problem_update(problem=problem, actor=problem_manager, workaround="Resend after 10 minutes.")
    assert len(_told(agent)) == 1  # unchanged: nobody is told again


def test_internal_progress_update_tells_the_raiser_only(
    problem, problem_manager, agent, org_user, resolver_group
):
    (incident,) = _linked_incidents(
        problem,
        1,
        org_user=org_user,
        agent=agent,
        resolver_group=resolver_group,
        problem_manager=problem_manager,
    )
    entry = problem_progress_update_add(
        problem=problem, actor=problem_manager, body="Vendor has reproduced the fault."
    )
    assert entry.kind == JournalEntry.Kind.WORK_NOTE
    assert len(_told(agent)) == 1
    assert not ProposedUpdate.objects.filter(incident=incident).exists()


def test_customer_visible_update_reaches_the_callers_through_their_cases(
    problem, problem_manager, agent, org_user, resolver_group
):
    """Cases of its linked incidents get a proposal for the desk to check (Appendix G)."""
    (incident,) = _linked_incidents(
        problem,
        1,
        org_user=org_user,
        agent=agent,
        resolver_group=resolver_group,
        problem_manager=problem_manager,
    )
    problem_progress_update_add(
        problem=problem,
        actor=problem_manager,
        body="A fix is being tested and should be live on Friday.",
        customer_visible=True,
    )
    proposal = ProposedUpdate.objects.get(incident=incident)
    assert proposal.kind == ProposedUpdate.Kind.UPDATE
    assert "live on Friday" in proposal.proposed_text
    assert len(_told(agent)) == 1


def test_progress_update_needs_text_and_a_worker(problem, problem_manager, org_user, agent):
    with pytest.raises(ValidationFailed):
        problem_progress_update_add(problem=problem, actor=problem_manager, body="  ")
    with pytest.raises(ActionNotPermitted):
        problem_progress_update_add(problem=problem, actor=org_user, body="Hello")
    with pytest.raises(ActionNotPermitted):
        problem_progress_update_add(problem=problem, actor=agent, body="Hello")


# --- §6.4 step 10: the post-resolution review ----------------------------------------------


def test_closing_needs_the_post_resolution_review_complete(problem, problem_manager):
    problem = _resolved(problem, problem_manager)
    problem_review_record(problem=problem, actor=problem_manager, items=ALL_ITEMS[:-1])
    with pytest.raises(ValidationFailed) as refused:
        problem_transition(problem=problem, actor=problem_manager, name="close")
    assert "post-resolution review" in refused.value.message
    assert ProblemReviewCheck.Item.LESSONS_RECORDED.label in refused.value.message

    problem_review_record(problem=problem, actor=problem_manager, items=ALL_ITEMS)
    problem = problem_transition(problem=problem, actor=problem_manager, name="close")
    assert problem.state == Problem.State.CLOSED


def test_review_is_recorded_only_while_resolved(problem, problem_manager):
    with pytest.raises(TransitionNotAllowed):
        problem_review_record(problem=problem, actor=problem_manager, items=ALL_ITEMS)


def test_review_unticks_and_journals_each_change(problem, problem_manager):
    problem = _resolved(problem, problem_manager)
    problem_review_record(problem=problem, actor=problem_manager, items=ALL_ITEMS[:2])
    ticked = problem_review_record(problem=problem, actor=problem_manager, items=ALL_ITEMS[1:2])
    assert ticked == ALL_ITEMS[1:2]
    assert set(problem.review_checks.values_list("item", flat=True)) == set(ALL_ITEMS[1:2])
    bodies = [e.body for e in journal_for(problem, include_work_notes=True)]
    assert sum("Review: ticked" in body for body in bodies) == 2
    assert sum("Review: unticked" in body for body in bodies) == 1


def test_review_refuses_unknown_items_and_participants(problem, problem_manager, org_user):
    problem = _resolved(problem, problem_manager)
    with pytest.raises(ValidationFailed) as refused:
        problem_review_record(problem=problem, actor=problem_manager, items=["coffee"])
    assert "items" in refused.value.field_errors
    with pytest.raises(ActionNotPermitted):
        problem_review_record(problem=problem, actor=org_user, items=ALL_ITEMS)
