"""Resolver-group assignment and reassignment with its history (§5.15, §5.17, Appendix G:
"Incidents can be passed to different resolver groups"), through `incident_assign`."""

import pytest

from comms.models import Notification, OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from incidents.models import IncidentAssignment
from incidents.selectors import incident_assignments_for
from incidents.services import incident_assign, incident_transition
from tests.factories.accounts import ResolverGroupFactory
from tests.factories.incidents import raised_incident
from tickets.selectors import journal_for


@pytest.fixture
def incident(org_user, agent, resolver_group):
    return raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)


@pytest.fixture
def lss(db):
    return ResolverGroupFactory(name="LSS Support", email="lss@mhhs.example")


def test_reassignment_is_kept_with_where_from_where_to_why_and_who(
    incident, agent, resolver_group, lss, resolver, django_capture_on_commit_callbacks
):
    """Appendix G: each move between groups is a row of the assignment history."""
    incident = incident_assign(
        incident=incident, actor=agent, assignment_group=resolver_group, assigned_to=resolver
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident_assign(
            incident=incident,
            actor=agent,
            assignment_group=lss,
            reason="  Load shapes are wrong, not the DIP.  ",
        )

    raised, to_person, to_lss = incident_assignments_for(incident)
    assert (raised.from_group, raised.to_group) == (None, resolver_group)
    assert (to_person.from_group, to_person.from_person) == (resolver_group, None)
    assert (to_person.to_group, to_person.to_person) == (resolver_group, resolver)
    assert (to_lss.from_group, to_lss.from_person) == (resolver_group, resolver)
    assert (to_lss.to_group, to_lss.to_person) == (lss, None)
    assert to_lss.reason == "Load shapes are wrong, not the DIP."
    assert to_lss.assigned_by == agent
    last = journal_for(incident, include_work_notes=True).order_by("-pk").first()
    assert last.body == "Assigned to LSS Support. Reason: Load shapes are wrong, not the DIP."
    # §5.17: the new group hears of it at its mailbox.
    assert OutboundMessage.objects.filter(
        template="incident_reassigned", to_email="lss@mhhs.example"
    ).exists()


def test_assigning_where_it_already_is_writes_nothing(incident, agent, resolver_group):
    before = IncidentAssignment.objects.count()
    incident_assign(incident=incident, actor=agent, assignment_group=resolver_group)
    assert IncidentAssignment.objects.count() == before


def test_the_person_given_the_incident_is_told(
    incident, agent, resolver_group, resolver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident_assign(
            incident=incident, actor=agent, assignment_group=resolver_group, assigned_to=resolver
        )
    assert Notification.objects.filter(user=resolver, event="ticket_assigned_to_person").exists()


def test_a_person_outside_the_group_is_refused_and_nothing_is_recorded(
    incident, agent, lss, resolver
):
    before = IncidentAssignment.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        incident_assign(incident=incident, actor=agent, assignment_group=lss, assigned_to=resolver)
    assert refused.value.field_errors == {"assigned_to": ["Choose a member of the group."]}
    assert IncidentAssignment.objects.count() == before


def test_no_group_is_refused_naming_the_field(incident, agent):
    with pytest.raises(ValidationFailed) as refused:
        incident_assign(incident=incident, actor=agent, assignment_group=None)
    assert list(refused.value.field_errors) == ["assignment_group"]


def test_a_closed_incident_is_not_reassigned(incident, agent, lss):
    """§5.12: Closed is final."""
    for name, arguments in (
        ("start", {}),
        ("resolve", {"notes": "Restarted.", "code": "solved"}),
        ("close", {}),
    ):
        incident = incident_transition(incident=incident, actor=agent, name=name, **arguments)
    with pytest.raises(TransitionNotAllowed):
        incident_assign(incident=incident, actor=agent, assignment_group=lss)


def test_participants_may_not_reassign(incident, org_user, lss):
    with pytest.raises(ActionNotPermitted):
        incident_assign(incident=incident, actor=org_user, assignment_group=lss)
