"""What an accepted reply does to its case (§10.3), through the case services.

Open (New, In Progress, On Hold): a customer-visible comment, On Hold — Awaiting Caller back
to In Progress. Resolved: the decision (`decision.resolution_decision`) rejects the resolution,
confirms it after adding the reply as a comment, or only comments. Closed or Cancelled: a
follow-up case linked from the old one. Attachments go through upload validation
(`case_attachment_add`); one that fails is named in a system entry and the comment is kept.
MPANs in a reply are kept: the portal is where they belong (§10.5.5). Runs inside the
service's transaction; returns an `_Effect` for the `InboundEmail` record.
"""

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from cases.models import Case
from cases.services import (
    case_attachment_add,
    case_comment_add,
    case_confirm_resolution,
    case_create,
    case_reject_resolution,
)
from core.errors import ValidationFailed
from tickets.models import JournalEntry, TicketLink
from tickets.selectors import journal_for
from tickets.services import journal_entry_add, ticket_link

from ..models import InboundEmail
from .decision import CONFIRM, REJECT, resolution_decision
from .parsing import EmailAttachment, ParsedEmail


@dataclass
class _Effect:
    status: str
    reason: str
    journal_entry: JournalEntry | None = None
    created_case: Case | None = None
    notes: list[str] = field(default_factory=list)


def _upload(attachment: EmailAttachment) -> SimpleUploadedFile:
    name = attachment.name.replace("\x00", "")[-200:] or "attachment"
    return SimpleUploadedFile(name, attachment.data, content_type=attachment.content_type)


def _attach_all(*, case: Case, sender, attachments: list[EmailAttachment]) -> list[str]:
    """Keep what passes upload validation; name the rest in a system entry. Returns notes."""
    kept, refused = [], []
    for attachment in attachments:
        try:
            with transaction.atomic():
                case_attachment_add(case=case, actor=sender, upload=_upload(attachment))
            kept.append(attachment.name)
        except ValidationFailed as exc:
            refused.append(exc.message)
    if refused:
        journal_entry_add(
            ticket=case,
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


def _follow_up(*, case: Case, sender, text: str, parsed: ParsedEmail) -> _Effect:
    """A reply to a Closed or Cancelled case opens a new case that refers to it (§10.3)."""
    subject = f"Follow-up to {case.number}: {case.short_description}"
    if len(subject) > 160:
        subject = subject[:159] + "…"
    new_case = case_create(
        actor=sender,
        organisation=case.organisation,
        category=case.category,
        short_description=subject,
        description=_comment_body(text, parsed.attachments),
        party_id=case.party_id,
        no_party_id=not case.party_id,
        unregistered_organisation_name=case.unregistered_organisation_name,
        market_participant_id=case.market_participant_id,
        cra_market_role=case.cra_market_role,
        channel=Case.Channel.EMAIL,
    )
    ticket_link(from_ticket=case, to_ticket=new_case, kind=TicketLink.Kind.FOLLOW_UP)
    state = case.get_state_display().lower()
    journal_entry_add(
        ticket=case,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"A reply by email after this case was {state} opened follow-up case {new_case.number}.",
    )
    entry = journal_entry_add(
        ticket=new_case,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"Follow-up to {case.number}, opened from a reply by email after it was {state}.",
    )
    notes = _attach_all(case=new_case, sender=sender, attachments=parsed.attachments)
    return _Effect(
        status=InboundEmail.Status.NEW_CASE,
        reason=f"{case.number} is {state}: opened follow-up case {new_case.number}",
        journal_entry=entry,
        created_case=new_case,
        notes=notes,
    )


def _latest_comment(case: Case, sender) -> JournalEntry | None:
    return (
        journal_for(case, include_work_notes=False)
        .filter(kind=JournalEntry.Kind.COMMENT, author=sender)
        .order_by("-id")
        .first()
    )


def _apply(*, case: Case, sender, text: str, parsed: ParsedEmail) -> _Effect:
    if case.state in (Case.State.CLOSED, Case.State.CANCELLED):
        return _follow_up(case=case, sender=sender, text=text, parsed=parsed)
    body = _comment_body(text, parsed.attachments)
    attached = InboundEmail.Status.ATTACHED
    if case.state == Case.State.RESOLVED:
        decision = resolution_decision(subject=parsed.subject, text=text)
        if decision == REJECT:
            reopened = case_reject_resolution(case=case, actor=sender, reason=body)
            notes = _attach_all(case=reopened, sender=sender, attachments=parsed.attachments)
            return _Effect(
                attached,
                f"Resolution rejected: {case.number} reopened (In Progress)",
                _latest_comment(reopened, sender),
                notes=notes,
            )
        if decision == CONFIRM:
            entry = case_comment_add(case=case, actor=sender, body=body)
            notes = _attach_all(case=case, sender=sender, attachments=parsed.attachments)
            case_confirm_resolution(case=case, actor=sender)
            return _Effect(
                attached, f"Resolution confirmed: {case.number} closed", entry, notes=notes
            )
    awaiting = (
        case.state == Case.State.ON_HOLD and case.hold_reason == Case.HoldReason.AWAITING_CALLER
    )
    entry = case_comment_add(case=case, actor=sender, body=body)
    notes = _attach_all(case=case, sender=sender, attachments=parsed.attachments)
    reason = f"Comment added to {case.number}"
    if awaiting:
        reason += " (On Hold — Awaiting Caller → In Progress)"
    return _Effect(attached, reason, entry, notes=notes)
