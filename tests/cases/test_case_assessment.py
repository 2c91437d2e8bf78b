"""The desk's hold on a case: assignment (Appendix G) and the category while it is assessed
(§5.17), each with its history kept and the right people told."""

import pytest

from accounts import roles
from cases.assessment import case_assign, case_category_change
from cases.models import Case
from cases.services import (
    case_comment_add,
    case_participant_comment,
    case_raise_incident,
    case_transition,
)
from comms.models import Notification, OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory, category
from tickets.models import Category, JournalEntry
from tickets.selectors import journal_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(db):
    return UserFactory(
        email="carl.colleague@mhhs.example",
        full_name="Carl Colleague",
        is_staff=True,
        roles=[roles.SERVICE_DESK_AGENT],
    )


def work_notes(case) -> list[str]:
    return [
        e.body
        for e in journal_for(case, include_work_notes=True).filter(kind=JournalEntry.Kind.WORK_NOTE)
    ]


def templates_to(address: str) -> list[str]:
    return list(
        OutboundMessage.objects.filter(to_email=address)
        .order_by("id")
        .values_list("template", flat=True)
    )


# --- assignment -----------------------------------------------------------------------------


def test_assigning_tells_the_new_assignee_and_keeps_history(org_user, agent, colleague):
    """A case assigned to an agent: a work note, a history row by the assigning agent, and the
    assignee told in the console and by email."""
    case = CaseFactory(caller=org_user)
    case = case_assign(case=case, actor=agent, assigned_to=colleague)

    assert case.assigned_to == colleague
    assert work_notes(case) == ["Assigned to Carl Colleague."]
    latest = case.history.latest()
    assert latest.assigned_to_id == colleague.pk and latest.history_user == agent
    assert Notification.objects.filter(user=colleague, event="ticket_assigned_to_person").exists()
    assert templates_to(colleague.email) == ["ticket_assigned_to_person"]
    # Work notes and assignments never reach the caller.
    assert "ticket_assigned_to_person" not in templates_to(org_user.email)


def test_reassigning_and_unassigning_say_who_had_it(org_user, agent, colleague):
    case = case_assign(case=CaseFactory(caller=org_user), actor=agent, assigned_to=agent)
    case = case_assign(case=case, actor=agent, assigned_to=colleague)
    case = case_assign(case=case, actor=agent, assigned_to=None)
    assert case.assigned_to is None
    assert work_notes(case)[-2:] == [
        f"Reassigned to Carl Colleague (was {agent.full_name or agent.email}).",
        "Unassigned (was Carl Colleague).",
    ]
    assert [h.assigned_to_id for h in case.history.order_by("history_id")][-3:] == [
        agent.pk,
        colleague.pk,
        None,
    ]


def test_taking_a_case_yourself_sends_no_notification(org_user, agent):
    case_assign(case=CaseFactory(caller=org_user), actor=agent, assigned_to=agent)
    assert not Notification.objects.filter(user=agent, event="ticket_assigned_to_person").exists()


def test_assigning_to_the_same_agent_records_nothing(org_user, agent, colleague):
    case = case_assign(case=CaseFactory(caller=org_user), actor=agent, assigned_to=colleague)
    case_assign(case=case, actor=agent, assigned_to=colleague)
    assert len(work_notes(case)) == 1
    assert templates_to(colleague.email) == ["ticket_assigned_to_person"]


def test_only_desk_staff_are_assignees(org_user, agent, resolver):
    """A resolver works incidents, not cases; a participant is no assignee."""
    case = CaseFactory(caller=org_user)
    for person in (resolver, org_user):
        with pytest.raises(ValidationFailed) as refused:
            case_assign(case=case, actor=agent, assigned_to=person)
        assert "assigned_to" in refused.value.field_errors
    case.refresh_from_db()
    assert case.assigned_to is None


def test_only_the_desk_assigns(org_user, agent, resolver):
    case = CaseFactory(caller=org_user)
    for actor in (org_user, resolver):
        with pytest.raises(ActionNotPermitted):
            case_assign(case=case, actor=actor, assigned_to=agent)


def test_a_closed_case_is_not_assigned(org_user, agent):
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    case = case_transition(case=case, actor=agent, name="resolve", notes="Done.")
    case = case_transition(case=case, actor=agent, name="close")
    with pytest.raises(TransitionNotAllowed):
        case_assign(case=case, actor=agent, assigned_to=agent)


def test_caller_replies_reach_the_assignee_else_the_desk_mailbox(
    org_user, agent, colleague, settings
):
    """Appendix G: a portal comment or an email reply from the caller goes to the assignee; an
    unassigned case's to the desk mailbox."""
    settings.SERVICE_DESK_EMAIL = "desk.mailbox@mhhs.example"
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    case_comment_add(case=case, actor=org_user, body="More detail.")
    assert templates_to("desk.mailbox@mhhs.example") == ["case_caller_replied"]

    case = case_assign(case=case, actor=agent, assigned_to=colleague)
    case_comment_add(case=case, actor=org_user, body="Even more.")
    case_participant_comment(case, actor=org_user, body="And by email.")
    assert templates_to(colleague.email).count("case_caller_replied") == 2
    assert templates_to("desk.mailbox@mhhs.example") == ["case_caller_replied"]


# --- category while assessing (§5.17) -------------------------------------------------------


def test_desk_changes_the_category_with_history(org_user, agent):
    """§5.17: the category is corrected while the case is assessed; a work note and the
    case's history say from what to what, and by whom."""
    case = CaseFactory(caller=org_user, category_name="Market Systems")
    new = category("Data Submission")
    case = case_category_change(case=case, actor=agent, category=new)
    assert case.category == new
    assert work_notes(case) == ["Category changed from Market Systems to Data Submission."]
    latest = case.history.latest()
    assert latest.category_id == new.pk and latest.history_user == agent


def test_the_incident_gets_the_category_the_desk_chose(org_user, agent, resolver_group):
    """§4.1 step 4, §5.4: an incident raised after the change carries the desk's category."""
    case = CaseFactory(caller=org_user, category_name="Market Systems")
    case = case_category_change(case=case, actor=agent, category=category("Data Submission"))
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    assert incident.category == category("Data Submission")


def test_the_same_category_records_nothing(org_user, agent):
    case = CaseFactory(caller=org_user, category_name="Market Systems")
    case_category_change(case=case, actor=agent, category=category("Market Systems"))
    assert work_notes(case) == []


def test_category_refusals(org_user, agent):
    """Only the desk, only an active category, only while the case is being assessed."""
    case = CaseFactory(caller=org_user)
    with pytest.raises(ActionNotPermitted):
        case_category_change(case=case, actor=org_user, category=category("Data Submission"))
    retired = Category.objects.create(name="Retired category", active=False)
    with pytest.raises(ValidationFailed) as refused:
        case_category_change(case=case, actor=agent, category=retired)
    assert "category" in refused.value.field_errors
    case = case_transition(case=case, actor=agent, name="resolve", notes="Done.")
    with pytest.raises(TransitionNotAllowed):
        case_category_change(case=case, actor=agent, category=category("Data Submission"))
    assert Case.objects.get(pk=case.pk).category == category("Market Systems")
