"""Raising and editing changes (§8.2, §8.3), the standard-change catalogue (§8.1.2, §8.9.6),
links to incidents and problems, and external change notifications (§8.12): who may, and
what is refused with a clear message."""

import pytest

from accounts import roles
from changes.models import Change, StandardChangeTemplate
from changes.risk import ChangeType, Rating
from changes.selectors import (
    changes_linked_to,
    external_change_notification_list_for,
    incidents_of_change,
    problems_of_change,
)
from changes.services import (
    change_link_incident,
    change_link_problem,
    change_update,
    external_change_notification_acknowledge,
    external_change_notification_submit,
    standard_change_template_propose,
    standard_change_template_retire,
)
from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from problems.services import problem_create
from tests.changes.conftest import london, raise_change, raise_standard
from tests.conftest import _staff
from tests.factories.accounts import UserFactory
from tests.factories.cases import category
from tests.factories.incidents import raised_incident
from tickets.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_service_owners_project_managers_and_providers_raise_changes(
    service_owner, resolver, org_user, cab_member
):
    """§8.2: Elexon staff raise changes (service owners, service providers); participants and
    CAB members do not."""
    assert raise_change(service_owner).number.startswith("CHG")
    assert raise_change(resolver).requested_by == resolver
    for outsider in (org_user, cab_member):
        with pytest.raises(ActionNotPermitted, match="service owners"):
            raise_change(outsider)


def test_standard_changes_come_only_from_the_catalogue(service_owner):
    """§8.1.2: a Standard change is pre-approved, so it is raised from a template."""
    with pytest.raises(ValidationFailed, match="catalogue") as refused:
        raise_change(service_owner, change_type=ChangeType.STANDARD)
    assert "change_type" in refused.value.field_errors


def test_risk_and_priority_follow_the_ratings(service_owner):
    """§8.4: risk from probability × impact; §8.3 priority from impact × urgency (§3.8)."""
    change = raise_change(
        service_owner, probability=Rating.HIGH, impact=Rating.LOW, urgency=Rating.HIGH
    )
    assert (change.risk, change.cab_required, change.priority) == (Rating.MEDIUM, True, 3)
    change = change_update(change=change, actor=service_owner, probability=Rating.MEDIUM)
    assert (change.risk, change.cab_required) == (Rating.LOW, False)
    entries = JournalEntry.objects.filter(ticket_id=change.pk, body__startswith="Updated:")
    assert entries.filter(body__contains="Probability of disruption").exists()


def test_only_the_raiser_requester_assignee_or_change_manager_edits(
    service_owner, change_manager, resolver
):
    """§8.3: a change is its owner's to complete; others may read it."""
    change = raise_change(service_owner)
    with pytest.raises(ActionNotPermitted, match="Only whoever raised"):
        change_update(change=change, actor=resolver, test_plan="Mine now.")
    change = change_update(change=change, actor=change_manager, test_plan="Regression suite.")
    assert change.test_plan == "Regression suite."


def test_edit_refuses_unknown_fields_and_bad_times(service_owner):
    change = raise_change(service_owner)
    with pytest.raises(ValidationFailed, match="cannot be changed"):
        change_update(change=change, actor=service_owner, change_type=ChangeType.EMERGENCY)
    with pytest.raises(ValidationFailed) as refused:
        change_update(
            change=change,
            actor=service_owner,
            window_start=london(2027, 3, 1, 23, 0),
            window_end=london(2027, 3, 1, 22, 0),
        )
    assert "window_end" in refused.value.field_errors


def test_change_links_to_the_incidents_and_problems_it_fixes(
    service_owner, org_user, agent, resolver_group
):
    """§5.5 steps 11–13, §6.4: links journalled on both ends and read by the selectors."""
    change = raise_change(service_owner)
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    problem = problem_create(
        actor=agent,
        short_description="DIP rejects messages",
        description="Nightly rejections.",
        category=category("Market Systems"),
        assignment_group=resolver_group,
        impact=2,
        urgency=2,
    )
    change_link_incident(change=change, incident=incident, actor=service_owner)
    change_link_problem(change=change, problem=problem, actor=service_owner)
    assert list(incidents_of_change(change)) == [incident]
    assert list(problems_of_change(change)) == [problem]
    assert list(changes_linked_to(incident)) == [change]
    assert JournalEntry.objects.filter(
        ticket_id=incident.pk, body=f"Linked to {change.number}."
    ).exists()


def test_proposed_standard_change_must_be_low_risk_and_accepted_before_use(
    service_owner, change_manager, template
):
    """§8.1.2: standard changes are low risk; §8.9.6: proposals are accepted at CAB, and a
    retired entry raises no more changes."""
    with pytest.raises(ValidationFailed) as refused:
        standard_change_template_propose(
            actor=service_owner,
            name="Database schema change",
            short_description="Schema change",
            description="Alter the settlement schema.",
            category=category("Market Systems"),
            reason="New fields.",
            implementation_plan="Run the migration.",
            test_plan="Check the columns.",
            backout_plan="Restore the backup.",
            probability=Rating.MEDIUM,
            impact=Rating.MEDIUM,
        )
    assert "low risk" in refused.value.field_errors["probability"][0]
    with pytest.raises(ActionNotPermitted):
        standard_change_template_retire(template=template, actor=service_owner)
    retired = standard_change_template_retire(template=template, actor=change_manager)
    assert retired.state == StandardChangeTemplate.State.RETIRED
    with pytest.raises(ValidationFailed, match="retired"):
        raise_standard(service_owner, retired)
    with pytest.raises(TransitionNotAllowed):
        standard_change_template_retire(template=retired, actor=change_manager)


def test_external_notifications_are_seen_by_the_change_manager_and_their_sender_only(
    org, change_manager, other_org_user
):
    """§8.12: other parties notify the Change Team; the Change Manager acknowledges."""
    admin = UserFactory(
        email="ada.admin@example.com", organisation=org, roles=[roles.ORGANISATION_ADMIN]
    )
    notification = external_change_notification_submit(
        actor=admin,
        title="DCC adapter upgrade",
        description="Saturday night.",
        planned_start=london(2027, 3, 6, 22, 0),
        planned_end=london(2027, 3, 7, 2, 0),
    )
    assert list(external_change_notification_list_for(user=change_manager)) == [notification]
    assert list(external_change_notification_list_for(user=admin)) == [notification]
    assert not external_change_notification_list_for(user=other_org_user).exists()
    with pytest.raises(ActionNotPermitted):
        external_change_notification_acknowledge(notification=notification, actor=admin)
    change = raise_change(_staff("sol.owner2@mhhs.example", roles.SERVICE_MANAGER))
    done = external_change_notification_acknowledge(
        notification=notification, actor=change_manager, change=change
    )
    assert done.state == "acknowledged" and done.change == change
    with pytest.raises(TransitionNotAllowed):
        external_change_notification_acknowledge(notification=notification, actor=change_manager)


def test_participants_cannot_see_a_change_to_link_or_edit(service_owner, org_user):
    """§8.1: changes are staff records; an outsider is told it does not exist."""
    change = raise_change(service_owner)
    with pytest.raises((ActionNotPermitted, TicketNotFound)):
        change_update(change=change, actor=org_user, test_plan="x")
    assert Change.objects.get(pk=change.pk).test_plan != "x"
