"""Reopening by comment (§10.3 "Reopening Process for Closed Tickets").

A participant's words on a Closed case — a comment in the portal or the API, or a reply by
email — are a request to reopen it (`reopen_request_create`, reached through
`cases.services.case_comment_add` and the registry's `reopen_request` hook for email). The
request waits in the console's reopen queue, where the desk either reopens the case
(`reopen_request_reopen`: Closed → In Progress, the resolution clock carrying on from where it
stopped, as after a rejected resolution) or raises a new case linked to the closed one
(`reopen_request_raise_case`, the manual's alternative "if a reopened ticket is not feasible or
practical"). The participant is told which, in the case's history and by email.

A comment on a Resolved case reopens it at once (`cases.services.case_comment_add`, through the
lifecycle's `reject_resolution`); only a Closed case needs the desk's decision.
"""

from django.db import transaction
from django.utils import timezone

from comms import notifications
from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from tickets.models import JournalEntry, TicketLink
from tickets.selectors import visible_tickets
from tickets.services import journal_entry_add, ticket_link, ticket_transition

from .follow_up import case_follow_up_create
from .models import Case, ReopenRequest


def _require_desk(actor, action: str) -> None:
    if not (actor and actor.is_staff and actor.has_perm("cases.change_case")):
        raise ActionNotPermitted(f"Only the service desk can {action}.")


def reopen_request_create(
    *, case: Case, actor, body: str, channel: str = Case.Channel.PORTAL
) -> JournalEntry:
    """The participant's words on a Closed case: kept as a customer-visible comment on it and,
    unless a request is already waiting, a request to reopen it; whoever works the case
    (else the desk mailbox) is told. Returns the comment. Runs in the caller's transaction
    (`case_comment_add`)."""
    if not (actor and actor.is_active and actor.organisation_id):
        # As for confirming or rejecting a resolution: only people of an organisation act for
        # its cases, and the desk could not raise a new case for anyone else.
        raise ActionNotPermitted(
            "Your account is not yet attached to an organisation, so it cannot ask to reopen "
            "cases. Ask your organisation admin or the service desk to attach it."
        )
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.state != Case.State.CLOSED:
        raise TransitionNotAllowed(
            f"{locked.number} is {locked.get_state_display()}; only a Closed case can be "
            "asked to reopen."
        )
    entry = journal_entry_add(
        ticket=locked, kind=JournalEntry.Kind.COMMENT, body=body, author=actor
    )
    pending = ReopenRequest.objects.filter(case=locked, status=ReopenRequest.Status.PENDING)
    if pending.exists():
        # One request waits per case; these words join it in the case's history.
        notifications.case_comment_added(locked, by_desk=False, author=actor)
        return entry
    request = ReopenRequest.objects.create(
        case=locked, requester=actor, body=entry.body, channel=channel
    )
    journal_entry_add(
        ticket=locked,
        kind=JournalEntry.Kind.SYSTEM,
        body="Request to reopen this case sent to the service desk. They will reopen it or "
        "raise a new case linked to it, and tell you which.",
        author=actor,
    )
    notifications.case_reopen_requested(request)
    return entry


def case_reopen_request_from_reply(ticket: Case, *, actor, body: str) -> JournalEntry:
    """The registry's `reopen_request` for cases: a reply by email to a Closed case asks to
    reopen it, through the same service as a portal comment (§10.3)."""
    from .services import case_comment_add

    return case_comment_add(case=ticket, actor=actor, body=body, channel=Case.Channel.EMAIL)


def reopen_request_queue_for(user):
    """Pending requests on cases `user` may see (§10.4), oldest first, with their case and
    requester joined; served by the `reopen_request_queue` index."""
    cases = visible_tickets(Case.objects.all(), user=user)
    return (
        ReopenRequest.objects.filter(status=ReopenRequest.Status.PENDING, case__in=cases)
        .select_related("case", "requester", "case__organisation")
        .order_by("created_at", "id")
    )


def reopen_request_latest_for(case: Case) -> ReopenRequest | None:
    """The case's newest request to reopen it, with the new case it led to, if any."""
    return (
        ReopenRequest.objects.filter(case=case)
        .select_related("resulting_case")
        .order_by("-created_at", "-id")
        .first()
    )


def _lock_pending(request: ReopenRequest, *, actor) -> ReopenRequest:
    """The request under a row lock, still pending and on a case the agent may see; two agents
    deciding at once are applied one after the other, and the second is refused."""
    locked = (
        ReopenRequest.objects.select_for_update(of=("self",))
        .select_related("case")
        .get(pk=request.pk)
    )
    if not visible_tickets(Case.objects.filter(pk=locked.case_id), user=actor).exists():
        raise TicketNotFound("There is no such request to reopen, or you may not see its case.")
    if locked.status != ReopenRequest.Status.PENDING:
        raise TransitionNotAllowed(
            f"The request to reopen {locked.case.number} has already been answered "
            f"({locked.get_status_display().lower()}); reload the queue."
        )
    return locked


def _decided(request: ReopenRequest, *, actor, status: str, resulting_case=None) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.resulting_case = resulting_case
    request.save(update_fields=["status", "decided_by", "decided_at", "resulting_case"])


def reopen_request_reopen(*, request: ReopenRequest, actor, note: str = "") -> Case:
    """The desk reopens the Closed case (§10.3): In Progress, `reopen_count` + 1, the
    resolution clock carrying on from where it stopped. The participant hears through the
    case's history and by email (`case_reopened`). Returns the case."""
    _require_desk(actor, "reopen closed cases")
    with transaction.atomic():
        request = _lock_pending(request, actor=actor)
        case = ticket_transition(
            ticket=request.case,
            name="reopen",
            actor=actor,
            expected_state=Case.State.CLOSED,
            note=note,
        ).ticket
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.SYSTEM,
            body="The service desk reopened this case at your request.",
            author=actor,
        )
        _decided(request, actor=actor, status=ReopenRequest.Status.REOPENED)
        if request.requester_id != case.caller_id:
            # The caller hears of the status change; a colleague who asked is told as well.
            notifications.case_reopened(case, user=request.requester)
    return case


def reopen_request_raise_case(*, request: ReopenRequest, actor) -> Case:
    """The desk answers with a new case linked to the closed one (§10.3 "a new ticket can be
    created referencing the original issue"): raised for the requester with their words, in
    the channel they used, linked `follow_up` from the closed case. The closed case stays
    Closed. Returns the new case."""
    _require_desk(actor, "answer requests to reopen cases")
    with transaction.atomic():
        request = _lock_pending(request, actor=actor)
        closed = request.case
        try:
            new_case = case_follow_up_create(
                ticket=closed,
                requester=request.requester,
                body=request.body,
                channel=request.channel,
            )
        except (ValidationFailed, ActionNotPermitted) as exc:
            raise ValidationFailed(
                f"A new case could not be raised for {request.requester}: {exc.message} "
                "Reopen the case instead, or ask them to raise one.",
            ) from exc
        ticket_link(from_ticket=closed, to_ticket=new_case, kind=TicketLink.Kind.FOLLOW_UP)
        journal_entry_add(
            ticket=closed,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"The service desk raised a new case, {new_case.number}, for your request to "
            "reopen this case. Follow it there.",
            author=actor,
        )
        journal_entry_add(
            ticket=new_case,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"Raised by the service desk from the request to reopen {closed.number}.",
            author=actor,
        )
        _decided(
            request,
            actor=actor,
            status=ReopenRequest.Status.NEW_CASE_RAISED,
            resulting_case=new_case,
        )
        notifications.case_reopen_new_case(closed, new_case=new_case, user=request.requester)
    return new_case
