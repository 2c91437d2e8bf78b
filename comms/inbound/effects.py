"""What an accepted reply does to its ticket (§10.3), through the ticket type's registry entry
and the kernel; no concrete ticket type is named here.

Open (New, In Progress, On Hold): a customer-visible comment, through the type's `comment`
service if it declares one (cases: `case_participant_comment`), else the kernel's
`ticket_comment_add`; either puts On Hold — Awaiting Caller back to In Progress. Resolved: the
decision (`decision.resolution_decision`) rejects the resolution (the kernel's
`ticket_transition` "reject_resolution", the reply as its note), confirms it (the reply as a
comment, then "close"), or only comments; an action the type's lifecycle does not have is
only a comment. Closed, for a type that declares `reopen_request` (cases): the reply is the
participant's request to reopen it (§10.3), through the same service as a comment in the portal;
the desk decides. Otherwise Closed or Cancelled: the type's `follow_up(ticket=, actor=, body=)`
opens a new ticket, which is linked from the old one (`follow_up` TicketLink) with a system
entry on both; a type without `follow_up` refuses the reply. Attachments go through the kernel's upload
validation (`tickets.services.ticket_attachment_add`, with a system entry); one that fails is named
in a system entry and the comment is kept. MPANs in a reply are kept: the portal is where they
belong (§10.5.5). Runs inside the service's transaction; returns an `_Effect` for the
`InboundEmail` record.
"""

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from core.errors import ValidationFailed
from tickets.models import JournalEntry, Ticket, TicketLink
from tickets.registry import TicketType, ticket_type_for
from tickets.selectors import journal_for
from tickets.services import (
    journal_entry_add,
    ticket_attachment_add,
    ticket_comment_add,
    ticket_link,
    ticket_transition,
)

from ..models import InboundEmail
from .decision import CONFIRM, REJECT, resolution_decision
from .errors import Refused
from .parsing import EmailAttachment, ParsedEmail


@dataclass
class _Effect:
    status: str
    reason: str
    journal_entry: JournalEntry | None = None
    created_ticket: Ticket | None = None
    notes: list[str] = field(default_factory=list)


def _upload(attachment: EmailAttachment) -> SimpleUploadedFile:
    name = attachment.name.replace("\x00", "")[-200:] or "attachment"
    return SimpleUploadedFile(name, attachment.data, content_type=attachment.content_type)


def _attach_all(*, ticket: Ticket, sender, attachments: list[EmailAttachment]) -> list[str]:
    """Keep what passes upload validation; name the rest in a system entry. Returns notes."""
    kept, refused = [], []
    for attachment in attachments:
        try:
            with transaction.atomic():
                ticket_attachment_add(ticket=ticket, upload=_upload(attachment), actor=sender)
            kept.append(attachment.name)
        except ValidationFailed as exc:
            refused.append(exc.message)
    if refused:
        journal_entry_add(
            ticket=ticket,
            kind=JournalEntry.Kind.SYSTEM,
            body="Not kept from the email reply: " + " ".join(refused),
        )
    notes = []
    if kept:
        notes.append(f"{len(kept)} attachment(s) kept")
    if refused:
        notes.append(f"{len(refused)} attachment(s) refused: " + " ".join(refused))
    return notes


def _comment_body(text: str, attachments: list[EmailAttachment]) -> str:
    if text:
        return text
    return "Files sent by email: " + ", ".join(a.name for a in attachments) + "."


def _comment(ticket_type: TicketType, *, ticket: Ticket, sender, body: str) -> JournalEntry:
    """The participant's comment: the type's own service if it declares one, else the
    kernel's."""
    comment = ticket_type.resolve("comment")
    if comment is not None:
        return comment(ticket=ticket, actor=sender, body=body)
    return ticket_comment_add(ticket=ticket, actor=sender, body=body)


def _follow_up(
    ticket_type: TicketType, *, ticket: Ticket, sender, text: str, parsed: ParsedEmail
) -> _Effect:
    """A reply to a Closed or Cancelled ticket opens a new ticket that refers to it (§10.3),
    when its type declares how (`follow_up`); otherwise the reply is refused."""
    state = ticket.get_state_display().lower()
    kind = ticket_type.verbose_name
    follow_up = ticket_type.resolve("follow_up")
    if follow_up is None:
        kinds = ticket_type.model._meta.verbose_name_plural
        raise Refused(
            f"{ticket.number} is {state}: it takes no more replies, and a reply by email opens "
            f"no follow-up for {kinds}; raise a new one in the portal.",
            ticket=ticket,
        )
    new_ticket = follow_up(
        ticket=ticket, actor=sender, body=_comment_body(text, parsed.attachments)
    )
    new_kind = ticket_type_for(new_ticket).verbose_name
    ticket_link(from_ticket=ticket, to_ticket=new_ticket, kind=TicketLink.Kind.FOLLOW_UP)
    journal_entry_add(
        ticket=ticket,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"A reply by email after this {kind} was {state} opened follow-up {new_kind} "
        f"{new_ticket.number}.",
    )
    entry = journal_entry_add(
        ticket=new_ticket,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"Follow-up to {ticket.number}, opened from a reply by email after it was {state}.",
    )
    notes = _attach_all(ticket=new_ticket, sender=sender, attachments=parsed.attachments)
    return _Effect(
        status=InboundEmail.Status.NEW_CASE,
        reason=f"{ticket.number} is {state}: opened follow-up {new_kind} {new_ticket.number}",
        journal_entry=entry,
        created_ticket=new_ticket,
        notes=notes,
    )


def _reopen_request(
    ticket_type: TicketType, *, ticket: Ticket, sender, text: str, parsed
) -> _Effect:
    """A reply to a Closed ticket asks the desk to reopen it (§10.3); files sent with it are
    kept on the ticket for the desk to read."""
    request = ticket_type.resolve("reopen_request")
    entry = request(ticket=ticket, actor=sender, body=_comment_body(text, parsed.attachments))
    notes = _attach_all(ticket=ticket, sender=sender, attachments=parsed.attachments)
    return _Effect(
        InboundEmail.Status.ATTACHED,
        f"{ticket.number} is closed: request to reopen it sent to the service desk",
        entry,
        notes=notes,
    )


def _latest_comment(ticket: Ticket, sender) -> JournalEntry | None:
    return (
        journal_for(ticket, include_work_notes=False)
        .filter(kind=JournalEntry.Kind.COMMENT, author=sender)
        .order_by("-id")
        .first()
    )


def _awaiting_caller(ticket: Ticket) -> bool:
    model = type(ticket)
    hold_reasons = getattr(model, "HoldReason", None)
    return (
        hold_reasons is not None
        and ticket.state == model.State.ON_HOLD
        and ticket.hold_reason == hold_reasons.AWAITING_CALLER
    )


def apply_reply(*, ticket: Ticket, sender, text: str, parsed: ParsedEmail) -> _Effect:
    """Act on an accepted reply, by the ticket's state and its type's registry entry."""
    ticket_type = ticket_type_for(ticket)
    State = type(ticket).State
    if ticket.state == State.CLOSED and ticket_type.reopen_request:
        return _reopen_request(ticket_type, ticket=ticket, sender=sender, text=text, parsed=parsed)
    if ticket.state in (State.CLOSED, State.CANCELLED):
        return _follow_up(ticket_type, ticket=ticket, sender=sender, text=text, parsed=parsed)
    body = _comment_body(text, parsed.attachments)
    attached = InboundEmail.Status.ATTACHED
    if ticket.state == State.RESOLVED:
        decision = resolution_decision(subject=parsed.subject, text=text)
        lifecycle = ticket_type.lifecycle
        if decision == REJECT and lifecycle.action("reject_resolution") is not None:
            reopened = ticket_transition(
                ticket=ticket, name="reject_resolution", actor=sender, note=body
            ).ticket
            notes = _attach_all(ticket=reopened, sender=sender, attachments=parsed.attachments)
            return _Effect(
                attached,
                f"Resolution rejected: {ticket.number} reopened ({reopened.get_state_display()})",
                _latest_comment(reopened, sender),
                notes=notes,
            )
        if decision == CONFIRM and lifecycle.action("close") is not None:
            entry = _comment(ticket_type, ticket=ticket, sender=sender, body=body)
            notes = _attach_all(ticket=ticket, sender=sender, attachments=parsed.attachments)
            closed = ticket_transition(ticket=ticket, name="close", actor=sender).ticket
            return _Effect(
                attached,
                f"Resolution confirmed: {ticket.number} {closed.get_state_display().lower()}",
                entry,
                notes=notes,
            )
    awaiting = _awaiting_caller(ticket)
    entry = _comment(ticket_type, ticket=ticket, sender=sender, body=body)
    notes = _attach_all(ticket=ticket, sender=sender, attachments=parsed.attachments)
    reason = f"Comment added to {ticket.number}"
    if awaiting and type(ticket).objects.filter(pk=ticket.pk, state=State.IN_PROGRESS).exists():
        reason += " (On Hold — Awaiting Caller → In Progress)"
    return _Effect(attached, reason, entry, notes=notes)
