"""What cases do for communications through the seams communications declare, so `comms`
never imports `cases` (issue 8):

- `case_follow_up_from_reply`: the cases entry's `follow_up` in the ticket-type registry
  (`Case.TICKET_TYPE`). A reply by email to a Cancelled case opens a new case (§10.3);
  communications link it from the old one and record the reply. (A reply to a Closed case is
  a request to reopen it: `cases.reopening`, which raises its new case here too.)
- `CaseServiceRequestDesk`: `comms.service_requests.ServiceRequestDesk` for distribution-list
  membership requests (§5.21), registered in `CasesConfig.ready`. A request raises an
  "MHHS Service Request" case; the desk's decision resolves it, so the requester hears
  through the case.
"""

from accounts.models import Organisation
from tickets.models import Category

from .models import Case
from .services import case_convert_to_request, case_create, case_transition

FOLLOW_UP_SUBJECT_MAX = 160


def case_follow_up_from_reply(ticket: Case, *, actor, body: str) -> Case:
    """A new case for the caller who wrote after `ticket` was cancelled (a Closed case takes
    the reply as a request to reopen it instead, `cases.reopening`): channel email."""
    return case_follow_up_create(
        ticket=ticket, requester=actor, body=body, channel=Case.Channel.EMAIL
    )


def case_follow_up_create(*, ticket: Case, requester, body: str, channel: str) -> Case:
    """A new case for `requester` that refers to `ticket` (§10.3): same organisation, category
    and party details, subject "Follow-up to CSxxxxxxx: <original subject>", their words as its
    description. Raised through `case_create`, so it is acknowledged like any other case and
    refused in its words (an organisation the requester no longer belongs to)."""
    subject = f"Follow-up to {ticket.number}: {ticket.short_description}"
    if len(subject) > FOLLOW_UP_SUBJECT_MAX:
        subject = subject[: FOLLOW_UP_SUBJECT_MAX - 1] + "…"
    return case_create(
        actor=requester,
        organisation=ticket.organisation,
        category=ticket.category,
        short_description=subject,
        description=body,
        party_id=ticket.party_id,
        no_party_id=not ticket.party_id,
        unregistered_organisation_name=ticket.unregistered_organisation_name,
        market_participant_id=ticket.market_participant_id,
        # A role written before roles were a choice, and naming none, is not carried over.
        cra_market_role=ticket.cra_market_role
        if ticket.cra_market_role in Organisation.CraMarketRole.values
        else "",
        channel=channel,
    )


class CaseServiceRequestDesk:
    """Service requests are cases: raised by the requester, resolved by the deciding agent."""

    def raise_request(
        self, *, actor, organisation, category: Category, short_description: str, description: str
    ) -> Case:
        return case_create(
            actor=actor,
            organisation=organisation,
            category=category,
            short_description=short_description,
            description=description,
            party_id=organisation.party_id,
            no_party_id=not organisation.party_id,
        )

    def resolve_request(self, *, ticket, actor, notes: str) -> None:
        """Close the loop on the service request: triage it as a Standard request if nobody
        has yet (§7.2 "routine access requests"), start it, and resolve it with the decision."""
        case = Case.objects.get(pk=ticket.pk)
        untriaged = case.state == Case.State.NEW and not case.triage_outcome
        if untriaged and actor.has_perm("cases.triage_case"):
            case = case_convert_to_request(
                case=case, actor=actor, request_type=Case.RequestType.STANDARD
            )
        if case.state == Case.State.NEW:
            case = case_transition(case=case, actor=actor, name="start")
        if case.state == Case.State.ON_HOLD:
            case = case_transition(case=case, actor=actor, name="resume")
        if case.state == Case.State.IN_PROGRESS:
            case_transition(case=case, actor=actor, name="resolve", notes=notes)
