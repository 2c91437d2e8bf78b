"""Customer updates checked by the desk (§10.3, Appendix G): proposed updates on cases.

The technical teams never write to the caller. When an incident is resolved, or its resolvers
write an update for the callers, each open case linked to it (In Progress or On Hold) gets a
`ProposedUpdate`; the desk edits the text and sends it, or sends it as is, or discards it.
Sending is a customer-visible comment — or, for a resolution, the case's resolution notes when
the desk resolves the case in the same action — so the caller hears only what the desk sent,
through the usual emails. The incident's own words stay on the proposal, for the desk only.

The link rules in `Case.TICKET_TYPE` call the `…_from_incident` handlers and the withdrawal;
the console (`cases.admin_updates`) calls the services.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from comms import notifications
from core.errors import TransitionNotAllowed, ValidationFailed
from incidents.models import Incident
from tickets.models import JournalEntry
from tickets.selectors import can_view_all, visible_tickets
from tickets.services import journal_entry_add, ticket_transition

from .models import Case, ProposedUpdate
from .services import _require_desk, case_comment_add

# The states in which a case takes a proposed update: the desk is still working it.
PROPOSAL_STATES = (Case.State.IN_PROGRESS, Case.State.ON_HOLD)
# Sending is refused on a finished case; the desk may still discard the proposal.
FINISHED_STATES = (Case.State.CLOSED, Case.State.CANCELLED)


def case_update_propose(
    *, case: Case, incident: Incident, kind: str, text: str, code: str = "", actor=None
) -> ProposedUpdate:
    """Put an incident's words on a case as a proposal for the desk to check (Appendix G).

    Nothing reaches the caller: the case gets a work note and whoever works it (the assignee,
    else the service management mailbox) is told that an update awaits review. A new
    resolution from the same incident replaces one still pending.
    """
    text = (text or "").strip()
    if kind not in ProposedUpdate.Kind.values:
        raise ValueError(f"unknown proposed update kind {kind!r}")
    if not text:
        raise ValidationFailed(
            "There is nothing to propose.", field_errors={"text": ["This field is required."]}
        )
    if case.state not in PROPOSAL_STATES:
        raise TransitionNotAllowed(
            f"{case.number} is {case.get_state_display()}; only cases In Progress or On Hold "
            "take proposed updates."
        )
    with transaction.atomic():
        if kind == ProposedUpdate.Kind.RESOLUTION:
            _withdraw(case=case, incident=incident, reason="a newer resolution replaced it")
        proposal = ProposedUpdate.objects.create(
            case=case,
            incident=incident,
            kind=kind,
            proposed_text=text,
            # The incident's code is one of the same list (`Ticket.ResolutionCode`).
            proposed_code=code if code in Case.ResolutionCode.values else "",
        )
        what = "was resolved" if kind == ProposedUpdate.Kind.RESOLUTION else "has an update"
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.WORK_NOTE,
            body=f"Incident {incident.number} {what}: a proposed update for the caller awaits "
            "review. Nothing has been sent to the caller.",
            author=actor,
        )
        notifications.case_update_proposed(case)
    return proposal


def _locked_pending(proposal: ProposedUpdate) -> ProposedUpdate:
    """The proposal under a row lock, refused unless still pending: two agents acting on the
    same proposal at once are applied one after the other, and the second is told."""
    # Only the proposal's row is locked, not its incident's, which resolvers keep working.
    locked = (
        ProposedUpdate.objects.select_for_update(of=("self",))
        .select_related("incident")
        .get(pk=proposal.pk)
    )
    if locked.status != ProposedUpdate.Status.PENDING:
        raise TransitionNotAllowed(
            "This proposed update has already been dealt with "
            f"({locked.get_status_display().lower()}); reload the case."
        )
    return locked


def case_update_send(
    *, proposal: ProposedUpdate, actor, text: str, resolve: bool = False, code: str = ""
) -> ProposedUpdate:
    """The desk sends a proposed update to the caller, edited or as proposed (Appendix G).

    Sent alone it is a customer-visible comment (the caller is emailed a link to it, §10.2).
    With `resolve`, which only an incident's resolution offers, the text becomes the case's
    resolution notes and the case resolves with `code` (resumed first if On Hold), so the
    caller is invited to confirm (§10.3).
    """
    _require_desk(actor, "send updates to callers")
    text = (text or "").strip()
    code = (code or "").strip()
    errors = {}
    if not text:
        errors["text"] = ["Write the update before sending it."]
    if code and code not in Case.ResolutionCode.values:
        errors["code"] = ["Choose a resolution code from the list."]
    if errors:
        raise ValidationFailed(
            "The update was not sent; check the highlighted fields.", field_errors=errors
        )
    with transaction.atomic():
        proposal = _locked_pending(proposal)
        if resolve and proposal.kind != ProposedUpdate.Kind.RESOLUTION:
            raise TransitionNotAllowed(
                "Only an incident's resolution can resolve the case as it is sent; send the "
                "update, then resolve the case."
            )
        case = Case.objects.select_for_update().get(pk=proposal.case_id)
        if case.state in FINISHED_STATES:
            raise TransitionNotAllowed(
                f"{case.number} is {case.get_state_display().lower()}; nothing more is sent on "
                "it. Discard the proposed update."
            )
        if resolve:
            if case.state == Case.State.ON_HOLD:
                case = ticket_transition(ticket=case, name="resume", actor=actor).ticket
            case = ticket_transition(
                ticket=case, name="resolve", actor=actor, notes=text, code=code
            ).ticket
        else:
            case_comment_add(case=case, actor=actor, body=text)
        proposal.status = ProposedUpdate.Status.SENT
        proposal.sent_text = text
        proposal.resolved_case = resolve
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.save(
            update_fields=["status", "sent_text", "resolved_case", "decided_by", "decided_at"]
        )
        how = "as proposed" if text == proposal.proposed_text else "edited"
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.WORK_NOTE,
            body=f"Proposed {proposal.get_kind_display().lower()} from incident "
            f"{proposal.incident.number} sent to the caller ({how})"
            + (" and the case resolved." if resolve else "."),
            author=actor,
        )
    return proposal


def case_update_discard(*, proposal: ProposedUpdate, actor, reason: str = "") -> ProposedUpdate:
    """The desk decides the caller need not hear this: nothing is sent, and the decision is
    a work note on the case."""
    _require_desk(actor, "discard proposed updates")
    with transaction.atomic():
        proposal = _locked_pending(proposal)
        proposal.status = ProposedUpdate.Status.DISCARDED
        proposal.decided_by = actor
        proposal.decided_at = timezone.now()
        proposal.save(update_fields=["status", "decided_by", "decided_at"])
        body = (
            f"Proposed {proposal.get_kind_display().lower()} from incident "
            f"{proposal.incident.number} discarded; nothing was sent to the caller."
        )
        if (reason or "").strip():
            body += f" {reason.strip()}"
        journal_entry_add(
            ticket=Case.objects.get(pk=proposal.case_id),
            kind=JournalEntry.Kind.WORK_NOTE,
            body=body,
            author=actor,
        )
    return proposal


def _withdraw(*, case: Case, incident: Incident, reason: str) -> int:
    """Withdraw the incident's pending resolution on the case, with a work note; returns how
    many were withdrawn (0 or 1)."""
    withdrawn = ProposedUpdate.objects.filter(
        case=case,
        incident=incident,
        kind=ProposedUpdate.Kind.RESOLUTION,
        status=ProposedUpdate.Status.PENDING,
    ).update(status=ProposedUpdate.Status.WITHDRAWN, decided_at=timezone.now())
    if withdrawn:
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.WORK_NOTE,
            body=f"The proposed resolution from incident {incident.number} was withdrawn: "
            f"{reason}.",
        )
    return withdrawn


# --- link-rule handlers (Case.TICKET_TYPE.link_rules) ----------------------------------------


def case_update_propose_from_incident(case: Case, *, source, result, arguments) -> None:
    """Link rule: the incident resolved proposes its resolution notes (and code) to each open
    linked case (§5.5 steps 14–15, §10.3); the desk checks them before the caller sees them."""
    case_update_propose(
        case=case,
        incident=source,
        kind=ProposedUpdate.Kind.RESOLUTION,
        text=arguments["notes"],
        code=arguments.get("code", ""),
    )


def case_update_propose_from_incident_comment(case: Case, *, source, result, arguments) -> None:
    """Comment rule: an update the incident's resolvers wrote for the callers is proposed to
    each open linked case (Appendix G)."""
    entry = arguments["entry"]
    case_update_propose(
        case=case,
        incident=source,
        kind=ProposedUpdate.Kind.UPDATE,
        text=entry.body,
        actor=arguments.get("actor"),
    )


def case_update_withdraw_for_incident(case: Case, *, source, result, arguments) -> None:
    """Link rule: an incident reopened or cancelled withdraws the resolution it proposed and
    the desk has not yet sent."""
    if result.new_state == Incident.State.CANCELLED:
        _withdraw(case=case, incident=source, reason="the incident was cancelled")
    elif result.old_state == Incident.State.RESOLVED:
        _withdraw(case=case, incident=source, reason="the incident was reopened")


# --- reads -------------------------------------------------------------------------------------


def case_updates_pending_for(case: Case) -> list[ProposedUpdate]:
    """The case's proposals awaiting the desk, oldest first, with their incident's number."""
    return list(
        ProposedUpdate.objects.filter(case=case, status=ProposedUpdate.Status.PENDING)
        .select_related("incident")
        .only(
            "pk",
            "case_id",
            "kind",
            "proposed_text",
            "proposed_code",
            "created_at",
            "incident__id",
            "incident__number",
            "incident__state",
        )
        .order_by("created_at", "pk")
    )


# The queue's columns, read as plain values through the joins (issue 9).
QUEUE_ROW_VALUES = (
    "pk",
    "kind",
    "created_at",
    "case_id",
    "case__number",
    "case__short_description",
    "case__state",
    "case__organisation__name",
    "incident__number",
)


def proposed_update_queue_for(user) -> tuple[QuerySet, QuerySet]:
    """Pending proposals on cases `user` may see, oldest first (the `proposed_update_queue`
    index), as `QUEUE_ROW_VALUES` rows; and the same proposals for a capped count."""
    pending = ProposedUpdate.objects.filter(status=ProposedUpdate.Status.PENDING)
    if not can_view_all(user, Case):
        pending = pending.filter(case__in=visible_tickets(Case.objects.all(), user=user))
    rows = pending.order_by("created_at", "pk").values(*QUEUE_ROW_VALUES)
    return rows, pending.order_by()
