"""First-line triage outcomes (§4.1): re-route, service request, incident."""

import pytest

from accounts.models import ServiceDesk
from cases.models import Case
from cases.proposed_updates import case_update_send, case_updates_pending_for
from cases.services import (
    case_convert_to_request,
    case_raise_incident,
    case_reroute,
    case_transition,
)
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from incidents.models import Incident
from incidents.services import incident_transition, linked_cases
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.priority import Priority
from tickets.selectors import journal_for


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


def test_reroute_tells_the_raiser_where_to_go_and_resolves(
    case, agent, django_capture_on_commit_callbacks, mailoutbox
):
    """§4.1 step 2: not for this desk → guide the raiser to the right desk; case resolves re-routed."""
    desk = ServiceDesk.objects.get(name="Switching Service Desk (DCC)")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_reroute(case=case, actor=agent, desk=desk)
    assert case.state == Case.State.RESOLVED
    assert case.triage_outcome == Case.TriageOutcome.REROUTED and case.rerouted_to == desk
    assert case.resolution_code == "rerouted"
    comment = journal_for(case, include_work_notes=False).get(kind=JournalEntry.Kind.COMMENT)
    assert "servicedesk@smartdcc.co.uk" in comment.body and "portal.smartdcc.co.uk" in comment.body
    [email] = [m for m in mailoutbox if m.to == [case.caller.email]]
    assert "Switching Service Desk (DCC)" in email.subject
    assert "servicedesk@smartdcc.co.uk" in email.body


def test_request_outcome_sets_type_and_p4(case, agent):
    """§7.2 request types; §3.9: every service request is P4."""
    case = case_convert_to_request(
        case=case, actor=agent, request_type=Case.RequestType.HIGH_PRIORITY
    )
    assert case.is_service_request and case.request_type == "high_priority"
    assert case.priority == Priority.P4
    assert case.state == Case.State.IN_PROGRESS


def test_request_outcome_needs_a_known_type(case, agent):
    with pytest.raises(ValidationFailed, match="request type"):
        case_convert_to_request(case=case, actor=agent, request_type="urgent-please")


def test_incident_outcome_creates_a_linked_incident(
    case, agent, resolver_group, django_capture_on_commit_callbacks, mailoutbox
):
    """§4.1 step 4 / Appendix G: the incident goes to a resolver group, the case stays with the desk."""
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        incident = case_raise_incident(
            case=case, actor=agent, assignment_group=resolver_group, impact=1, urgency=2
        )
    case.refresh_from_db()
    assert isinstance(incident, Incident) and incident.number.startswith("INC")
    assert incident.priority == Priority.P2 and incident.assignment_group == resolver_group
    assert (
        case.triage_outcome == Case.TriageOutcome.INCIDENT and case.state == Case.State.IN_PROGRESS
    )
    assert case.priority == Priority.P2
    assert list(linked_cases(incident)) == [case]
    assert [resolver_group.email] in [m.to for m in mailoutbox]


def test_resolving_the_incident_proposes_the_resolution_for_the_desk_to_send(
    case, agent, resolver, resolver_group
):
    """§5.5 steps 13–15, §10.3, Appendix G: resolution comms go to the caller through the
    case, after the desk has checked them. The incident's resolution no longer resolves the
    case by itself (it used to, with the resolver's notes word for word): it is proposed, and
    the desk's send resolves the case with the text the desk chose."""
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    incident = incident_transition(incident=incident, actor=resolver, name="start")
    incident_transition(
        incident=incident, actor=resolver, name="resolve", notes="Adaptor restarted", code="solved"
    )
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.resolution_notes == ""
    [proposal] = case_updates_pending_for(case)
    case_update_send(proposal=proposal, actor=agent, text="We restarted the service.", resolve=True)
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED
    assert case.resolution_notes == "We restarted the service."
    case = case_transition(case=case, actor=case.caller, name="close")
    assert case.state == Case.State.CLOSED


def test_a_case_is_triaged_once(case, agent):
    case_convert_to_request(case=case, actor=agent, request_type=Case.RequestType.STANDARD)
    with pytest.raises(TransitionNotAllowed, match="already been triaged"):
        case_reroute(case=case, actor=agent, desk=ServiceDesk.objects.first())


def test_only_first_line_agents_triage(case, org_user, resolver, resolver_group):
    for actor in (org_user, resolver):
        with pytest.raises(ActionNotPermitted):
            case_raise_incident(
                case=case, actor=actor, assignment_group=resolver_group, impact=1, urgency=1
            )


def test_incident_needs_a_resolver_group(case, agent):
    with pytest.raises(ValidationFailed, match="highlighted"):
        case_raise_incident(case=case, actor=agent, assignment_group=None, impact=1, urgency=1)
    case.refresh_from_db()
    assert case.triage_outcome == "" and case.state == Case.State.NEW


def test_a_closed_case_cannot_be_triaged(case, agent):
    case = case_transition(
        case=case, actor=agent, name="cancel", reason=Case.CancelReason.DUPLICATE
    )
    with pytest.raises(TransitionNotAllowed):
        case_convert_to_request(case=case, actor=agent, request_type=Case.RequestType.STANDARD)


def test_the_participant_timeline_does_not_name_the_incident_or_resolver_group(
    case, agent, resolver_group
):
    """Appendix G: the case carries no technical communication between resolver teams."""
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    visible = " ".join(journal_for(case, include_work_notes=False).values_list("body", flat=True))
    assert incident.number not in visible and resolver_group.name not in visible
    desk_only = " ".join(journal_for(case, include_work_notes=True).values_list("body", flat=True))
    assert incident.number in desk_only
