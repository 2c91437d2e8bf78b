"""Customer updates checked by the desk (§10.3, Appendix G): an incident's resolution or an
update its resolvers write for the callers becomes a proposed update on each open linked case;
the desk sends it (edited or as proposed, perhaps resolving the case) or discards it."""

import pytest

from accounts import roles
from cases.models import Case, ProposedUpdate
from cases.proposed_updates import (
    case_update_discard,
    case_update_propose,
    case_update_send,
    case_updates_pending_for,
    proposed_update_queue_for,
)
from cases.services import case_comment_add, case_raise_incident, case_transition
from comms.models import OutboundMessage
from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from incidents.models import Incident
from incidents.services import incident_caller_update_add, incident_transition
from tests.factories.accounts import ResolverGroupFactory, UserFactory
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry, TicketLink
from tickets.selectors import journal_for
from tickets.services import ticket_link

RAW = "Restarted pod dip-adaptor-7f9c on node 2 after OOM; heap raised to 4G."
EDITED = "We found the fault in the message service and fixed it; messages flow again."


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


@pytest.fixture
def incident(case, agent, resolver, resolver_group):
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    case.refresh_from_db()  # triage started it
    return incident_transition(incident=incident, actor=resolver, name="start")


def resolve_incident(incident, resolver, notes=RAW, code="solved"):
    return incident_transition(
        incident=incident, actor=resolver, name="resolve", notes=notes, code=code
    )


def caller_visible_text(case) -> str:
    return " ".join(journal_for(case, include_work_notes=False).values_list("body", flat=True))


def caller_emails(case) -> list[str]:
    return list(
        OutboundMessage.objects.filter(to_email=case.caller.email)
        .order_by("pk")
        .values_list("template", flat=True)
    )


def test_incident_resolution_becomes_a_pending_proposal_and_the_caller_hears_nothing(
    case, incident, resolver, settings, django_capture_on_commit_callbacks
):
    """Appendix G: updates are made manually, to check them and remove technical detail; the
    resolver's notes never reach the caller by themselves."""
    emails_before = caller_emails(case)
    with django_capture_on_commit_callbacks(execute=True):
        resolve_incident(incident, resolver)

    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.resolution_notes == ""
    [proposal] = case_updates_pending_for(case)
    assert proposal.kind == ProposedUpdate.Kind.RESOLUTION
    assert (proposal.proposed_text, proposal.proposed_code) == (RAW, "solved")
    assert proposal.incident == incident and proposal.status == ProposedUpdate.Status.PENDING
    assert RAW not in caller_visible_text(case)
    assert caller_emails(case) == emails_before
    assert OutboundMessage.objects.filter(
        template="case_update_proposed", to_email=settings.SERVICE_DESK_EMAIL
    ).exists()
    note = journal_for(case, include_work_notes=True).filter(kind=JournalEntry.Kind.WORK_NOTE)
    assert note.filter(body__contains=f"Incident {incident.number} was resolved").exists()


def test_on_hold_cases_get_the_proposal_too_and_finished_cases_do_not(
    case, incident, resolver, agent, org_user
):
    """Every open linked case — In Progress or On Hold — gets the proposal (On Hold cases were
    left untouched before); a case already resolved or cancelled does not."""
    on_hold = CaseFactory(caller=org_user)
    on_hold = case_transition(case=on_hold, actor=agent, name="start")
    on_hold = case_transition(
        case=on_hold, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_VENDOR
    )
    cancelled = CaseFactory(caller=org_user)
    cancelled = case_transition(
        case=cancelled, actor=agent, name="cancel", reason=Case.CancelReason.DUPLICATE
    )
    for other in (on_hold, cancelled):
        ticket_link(from_ticket=other, to_ticket=incident, kind=TicketLink.Kind.CASE_INCIDENT)

    resolve_incident(incident, resolver)

    assert [p.case_id for p in ProposedUpdate.objects.order_by("case_id")] == sorted(
        [case.pk, on_hold.pk]
    )
    on_hold.refresh_from_db()
    assert on_hold.state == Case.State.ON_HOLD


def test_desk_edits_sends_and_resolves_and_the_caller_reads_only_the_desk_words(
    case, incident, resolver, agent, django_capture_on_commit_callbacks
):
    """§10.3: the desk's resolution summary, not the resolver's notes, is what the caller
    reads; the case resolves with the code the desk chose and the caller is asked to confirm."""
    resolve_incident(incident, resolver)
    [proposal] = case_updates_pending_for(case)

    with django_capture_on_commit_callbacks(execute=True):
        sent = case_update_send(
            proposal=proposal, actor=agent, text=f"  {EDITED}  ", resolve=True, code="workaround"
        )

    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED
    assert (case.resolution_notes, case.resolution_code) == (EDITED, "workaround")
    assert sent.status == ProposedUpdate.Status.SENT and sent.resolved_case
    assert (sent.sent_text, sent.decided_by) == (EDITED, agent) and sent.decided_at
    assert RAW not in caller_visible_text(case)
    assert caller_emails(case)[-1] == "case_resolved"
    assert case_updates_pending_for(case) == []
    note = journal_for(case, include_work_notes=True).filter(kind=JournalEntry.Kind.WORK_NOTE)
    assert note.filter(body__contains="sent to the caller (edited) and the case resolved").exists()


def test_desk_sends_as_proposed_as_a_customer_visible_comment(
    case, incident, resolver, agent, django_capture_on_commit_callbacks
):
    """Sent without resolving, the proposal is a customer-visible comment and the caller is
    emailed a link to it (§10.2); the case stays In Progress."""
    resolve_incident(incident, resolver, notes="The fix is deployed.")
    [proposal] = case_updates_pending_for(case)

    with django_capture_on_commit_callbacks(execute=True):
        case_update_send(proposal=proposal, actor=agent, text=proposal.proposed_text)

    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS
    comment = journal_for(case, include_work_notes=False).get(kind=JournalEntry.Kind.COMMENT)
    assert comment.body == "The fix is deployed." and comment.author == agent
    assert caller_emails(case)[-1] == "case_comment_added"
    assert (
        journal_for(case, include_work_notes=True)
        .filter(body__contains="sent to the caller (as proposed).")
        .exists()
    )


def test_send_and_resolve_resumes_an_on_hold_case_first(case, incident, resolver, agent):
    """A case On Hold cannot resolve directly: the send resumes it, then resolves it."""
    case_transition(case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_VENDOR)
    resolve_incident(incident, resolver)
    [proposal] = case_updates_pending_for(case)

    case_update_send(proposal=proposal, actor=agent, text=EDITED, resolve=True)

    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED and case.resolution_notes == EDITED


def test_an_update_cannot_resolve_the_case_and_is_sent_alone(case, incident, resolver, agent):
    """Only a resolution offers "send and resolve"; an update is sent, then the desk resolves."""
    incident_caller_update_add(incident=incident, actor=resolver, body="Fix due by 15:00.")
    [proposal] = case_updates_pending_for(case)
    assert proposal.kind == ProposedUpdate.Kind.UPDATE

    with pytest.raises(TransitionNotAllowed, match="Only an incident's resolution"):
        case_update_send(proposal=proposal, actor=agent, text="Fix due by 15:00.", resolve=True)
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS
    assert ProposedUpdate.objects.get().status == ProposedUpdate.Status.PENDING


def test_a_resolvers_caller_update_is_proposed_and_stays_off_the_case_until_sent(
    case, incident, resolver, agent
):
    """Appendix G: a resolver's update for the callers goes through the desk."""
    incident_caller_update_add(incident=incident, actor=resolver, body="Rollback at 14:00.")

    [proposal] = case_updates_pending_for(case)
    assert proposal.proposed_text == "Rollback at 14:00."
    assert "Rollback" not in caller_visible_text(case)
    case_update_send(proposal=proposal, actor=agent, text="A fix is being rolled out at 14:00.")
    assert "rolled out at 14:00" in caller_visible_text(case)
    assert "Rollback" not in caller_visible_text(case)


def test_caller_updates_are_written_by_the_incidents_workers_only(incident, org_user, agent):
    """§10.4: a resolver of another group may not see the incident; a participant never."""
    outsider = UserFactory(email="lee.lss@mhhs.example", is_staff=True, roles=[roles.RESOLVER])
    ResolverGroupFactory(name="LSS Support", members=[outsider])
    with pytest.raises((ActionNotPermitted, TicketNotFound)):
        incident_caller_update_add(incident=incident, actor=outsider, body="Hello")
    with pytest.raises(ActionNotPermitted):
        incident_caller_update_add(incident=incident, actor=org_user, body="Hello")
    with pytest.raises(ValidationFailed):
        incident_caller_update_add(incident=incident, actor=agent, body="   ")
    assert not ProposedUpdate.objects.exists()


def test_only_the_desk_sends_or_discards(case, incident, resolver, org_user):
    """Appendix G: the desk owns all customer communication."""
    resolve_incident(incident, resolver)
    [proposal] = case_updates_pending_for(case)
    for actor in (resolver, org_user, None):
        with pytest.raises(ActionNotPermitted):
            case_update_send(proposal=proposal, actor=actor, text="x")
        with pytest.raises(ActionNotPermitted):
            case_update_discard(proposal=proposal, actor=actor)
    assert ProposedUpdate.objects.get().status == ProposedUpdate.Status.PENDING


def test_empty_text_and_a_code_not_on_the_list_are_refused_on_their_fields(
    case, incident, resolver, agent
):
    resolve_incident(incident, resolver)
    [proposal] = case_updates_pending_for(case)
    with pytest.raises(ValidationFailed) as refused:
        case_update_send(proposal=proposal, actor=agent, text="   ", resolve=True, code="fixed")
    assert set(refused.value.field_errors) == {"text", "code"}
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS


def test_a_proposal_is_dealt_with_once(case, incident, resolver, agent):
    """Two agents on the same proposal: the second is told it has been dealt with."""
    resolve_incident(incident, resolver)
    [proposal] = case_updates_pending_for(case)
    case_update_send(proposal=proposal, actor=agent, text=EDITED)
    with pytest.raises(TransitionNotAllowed, match="already been dealt with"):
        case_update_send(proposal=proposal, actor=agent, text=EDITED, resolve=True)
    with pytest.raises(TransitionNotAllowed, match="already been dealt with"):
        case_update_discard(proposal=proposal, actor=agent)
    assert journal_for(case, include_work_notes=False).filter(body=EDITED).count() == 1


def test_discard_sends_nothing_and_is_recorded_for_the_desk(
    case, incident, resolver, agent, django_capture_on_commit_callbacks
):
    resolve_incident(incident, resolver)
    [proposal] = case_updates_pending_for(case)
    emails_before = caller_emails(case)

    with django_capture_on_commit_callbacks(execute=True):
        discarded = case_update_discard(
            proposal=proposal, actor=agent, reason="Covered by the call."
        )

    assert discarded.status == ProposedUpdate.Status.DISCARDED
    assert discarded.decided_by == agent and discarded.sent_text == ""
    assert caller_emails(case) == emails_before
    assert RAW not in caller_visible_text(case)
    notes = journal_for(case, include_work_notes=True).filter(kind=JournalEntry.Kind.WORK_NOTE)
    assert notes.filter(body__contains="discarded").filter(body__contains="Covered").exists()


def test_sending_on_a_finished_case_is_refused_but_it_can_be_discarded(
    case, incident, resolver, agent
):
    resolve_incident(incident, resolver)
    [proposal] = case_updates_pending_for(case)
    case_transition(case=case, actor=agent, name="cancel", reason=Case.CancelReason.WITHDRAWN)
    with pytest.raises(TransitionNotAllowed, match="Discard the proposed update"):
        case_update_send(proposal=proposal, actor=agent, text=EDITED)
    case_update_discard(proposal=proposal, actor=agent)


def test_a_reopened_incident_withdraws_its_resolution_and_a_new_one_is_proposed(
    case, incident, resolver, agent
):
    """The desk never sends a resolution the technical team has taken back."""
    incident = resolve_incident(incident, resolver, notes="First fix.")
    incident = incident_transition(
        incident=incident, actor=agent, name="reject_resolution", note="Still failing."
    )
    assert case_updates_pending_for(case) == []
    assert ProposedUpdate.objects.get().status == ProposedUpdate.Status.WITHDRAWN
    assert (
        journal_for(case, include_work_notes=True)
        .filter(body__contains="was withdrawn: the incident was reopened")
        .exists()
    )

    resolve_incident(incident, resolver, notes="Second fix.")
    [proposal] = case_updates_pending_for(case)
    assert proposal.proposed_text == "Second fix."


def test_a_cancelled_incident_withdraws_its_pending_resolution(case, incident, agent):
    case_update_propose(
        case=case, incident=incident, kind=ProposedUpdate.Kind.RESOLUTION, text="Done."
    )
    incident_transition(incident=incident, actor=agent, name="cancel", reason="raised_in_error")
    assert ProposedUpdate.objects.get().status == ProposedUpdate.Status.WITHDRAWN


def test_a_resolved_case_takes_no_new_proposal(case, incident, agent):
    case_transition(case=case, actor=agent, name="resolve", notes="Sorted by phone.")
    case.refresh_from_db()
    with pytest.raises(TransitionNotAllowed):
        case_update_propose(case=case, incident=incident, kind=ProposedUpdate.Kind.UPDATE, text="x")


def test_the_queue_holds_pending_proposals_the_user_may_see(
    case, incident, resolver, agent, org_user, other_org_user
):
    """§10.4: the queue starts from the visibility selector like every list."""
    resolve_incident(incident, resolver)
    rows, counting = proposed_update_queue_for(agent)
    assert [row["case__number"] for row in rows] == [case.number] and counting.count() == 1
    assert list(proposed_update_queue_for(other_org_user)[0]) == []
    case_update_send(proposal=case_updates_pending_for(case)[0], actor=agent, text=EDITED)
    assert list(proposed_update_queue_for(agent)[0]) == []


def test_the_incident_keeps_its_own_notes(case, incident, resolver):
    """The incident's record is untouched: its notes are the resolver's."""
    resolve_incident(incident, resolver)
    incident.refresh_from_db()
    assert incident.state == Incident.State.RESOLVED and incident.resolution_notes == RAW


def test_a_caller_comment_on_the_case_does_not_touch_proposals(case, incident, resolver):
    resolve_incident(incident, resolver)
    case_comment_add(case=case, actor=case.caller, body="Any news?")
    assert len(case_updates_pending_for(case)) == 1
