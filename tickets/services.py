"""Writes of the ticket kernel: numbering, journal, attachments, links, priority, transitions.

Type-specific services (cases, incidents) call these inside their own transaction and add
what their type needs (notifications, cascades).
"""

import logging
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from .attachments import validate_upload
from .errors import ActionNotPermitted, ConcurrentUpdate, TransitionNotAllowed, ValidationFailed
from .models import Attachment, JournalEntry, Ticket, TicketLink, TicketSequence
from .priority import priority_for

logger = logging.getLogger(__name__)

# Transitions the kernel drives, with the plain words used in messages.
TRANSITION_LABELS = {
    "start": "start work on",
    "hold": "put on hold",
    "resume": "resume",
    "resolve": "resolve",
    "reject_resolution": "reject the resolution of",
    "close": "close",
    "cancel": "cancel",
}


def ticket_number_allocate(*, prefix: str) -> str:
    """Hand out the next number for a prefix ("CS0001234").

    The UPDATE takes the sequence row's lock until the surrounding transaction ends, so two
    concurrent creators on PostgreSQL queue on it and never read the same value.
    """
    with transaction.atomic():
        updated = TicketSequence.objects.filter(prefix=prefix).update(
            last_value=F("last_value") + 1
        )
        if not updated:
            TicketSequence.objects.bulk_create(
                [TicketSequence(prefix=prefix)], ignore_conflicts=True
            )
            TicketSequence.objects.filter(prefix=prefix).update(last_value=F("last_value") + 1)
        value = (
            TicketSequence.objects.filter(prefix=prefix).values_list("last_value", flat=True).get()
        )
    return f"{prefix}{value:07d}"


def journal_entry_add(*, ticket: Ticket, kind: str, body: str, author=None) -> JournalEntry:
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(
            "Write something before adding it.", field_errors={"body": ["This field is required."]}
        )
    return JournalEntry.objects.create(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        kind=kind,
        body=body,
        author=author,
    )


def attachment_check(upload: UploadedFile) -> tuple[str, str]:
    """Validate an upload by size and sniffed content; returns (clean name, MIME type)."""
    name = (upload.name or "file").rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:200]
    upload.seek(0)
    head = upload.read(64 * 1024)
    upload.seek(0)
    return name, validate_upload(name=name, size=upload.size or 0, head=head)


def attachment_add(*, ticket: Ticket, upload: UploadedFile, uploaded_by=None) -> Attachment:
    """Validate an upload by size and sniffed content, then store it under a random name."""
    name, mime = attachment_check(upload)
    attachment = Attachment(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        original_name=name,
        size=upload.size,
        mime_type=mime,
        uploaded_by=uploaded_by,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    return attachment


def ticket_link(*, from_ticket: Ticket, to_ticket: Ticket, kind: str) -> TicketLink:
    link, _ = TicketLink.objects.get_or_create(
        kind=kind,
        from_type=ContentType.objects.get_for_model(from_ticket),
        from_id=from_ticket.pk,
        to_type=ContentType.objects.get_for_model(to_ticket),
        to_id=to_ticket.pk,
    )
    return link


def _check_transition_arguments(model, name: str, note: str, arguments: dict) -> None:
    """What each transition needs before it can run, the same for every ticket type:
    resolution notes (§10.3), a §5.12 hold reason, a cancel reason, and the caller's reason
    for rejecting a resolution."""
    if name == "resolve" and not (arguments.get("notes") or "").strip():
        raise ValidationFailed(
            "Write resolution notes before resolving.",
            field_errors={"notes": ["Resolution notes are required."]},
        )
    if name == "hold" and arguments.get("reason") not in model.HoldReason.values:
        raise ValidationFailed(
            "Choose why it is on hold.", field_errors={"reason": ["Choose a hold reason."]}
        )
    if name == "cancel" and arguments.get("reason") not in model.CancelReason.values:
        raise ValidationFailed(
            "Choose why it is cancelled.", field_errors={"reason": ["Choose a cancel reason."]}
        )
    if name == "reject_resolution" and not note.strip():
        raise ValidationFailed(
            "Tell us what is still wrong.",
            field_errors={"note": ["Say why the resolution did not work."]},
        )


@dataclass(frozen=True)
class TransitionResult:
    ticket: Ticket
    old_state: str
    new_state: str


def ticket_transition(
    *,
    ticket: Ticket,
    name: str,
    actor=None,
    expected_state: str | None = None,
    note: str = "",
    **arguments,
) -> TransitionResult:
    """Run one lifecycle transition under a row lock and record it in the journal.

    `actor=None` is the system (auto-close, email replies matched to a caller). The caller
    of this function must already hold a transaction; type services wrap it with their
    notifications. Refusals raise TransitionNotAllowed / ActionNotPermitted / ConcurrentUpdate.
    """
    if name not in TRANSITION_LABELS:
        raise TransitionNotAllowed(f"“{name}” is not an action tickets have.")
    model = type(ticket)
    _check_transition_arguments(model, name, note, arguments)
    locked = model.objects.select_for_update().get(pk=ticket.pk)
    label = TRANSITION_LABELS[name]
    # Somebody else moved it between our read and this lock: don't act on a stale screen.
    seen_state = expected_state if expected_state is not None else ticket.state
    if locked.state != seen_state:
        raise ConcurrentUpdate(
            f"{locked.number} was changed by someone else (it is now {locked.get_state_display()}); "
            "reload it and try again."
        )
    method = getattr(locked, name)
    if not can_proceed(method):
        raise TransitionNotAllowed(
            f"You can't {label} {locked.number} while it is {locked.get_state_display()}."
        )
    if actor is not None and not has_transition_perm(method, actor):
        raise ActionNotPermitted(f"You are not allowed to {label} {locked.number}.")
    old_state = locked.state
    method(**arguments)
    try:
        locked.save()
    except ConcurrentTransition as exc:
        raise ConcurrentUpdate(
            f"{locked.number} was changed by someone else; reload it and try again."
        ) from exc
    from sla.services import ticket_sla_sync

    ticket_sla_sync(ticket=locked)
    entry = f"State changed from {model.State(old_state).label} to {locked.get_state_display()}."
    if locked.state == model.State.ON_HOLD and locked.hold_reason:
        entry += f" Reason: {locked.get_hold_reason_display()}."
    if locked.state == model.State.CANCELLED and locked.cancel_reason:
        entry += f" Reason: {locked.get_cancel_reason_display()}."
    journal_entry_add(ticket=locked, kind=JournalEntry.Kind.SYSTEM, body=entry, author=actor)
    if note.strip():
        journal_entry_add(ticket=locked, kind=JournalEntry.Kind.COMMENT, body=note, author=actor)
    return TransitionResult(ticket=locked, old_state=old_state, new_state=locked.state)


def ticket_classify(*, ticket: Ticket, impact: int, urgency: int, actor) -> Ticket:
    """Set impact and urgency (desk only, §3.8) and the priority the matrix gives.

    The row is locked like a transition's, so a classification and a transition at the same
    moment are applied one after the other and the SLA sync sees both in order.
    """
    try:
        priority = priority_for(impact, urgency)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field_errors={"impact": [str(exc)]}) from exc
    locked = type(ticket).objects.select_for_update().get(pk=ticket.pk)
    if (locked.impact, locked.urgency, locked.priority) == (impact, urgency, priority):
        return locked
    old = locked.get_priority_display() if locked.priority else "none"
    locked.impact, locked.urgency, locked.priority = impact, urgency, priority
    locked.save(update_fields=["impact", "urgency", "priority", "updated_at"])
    from sla.services import ticket_sla_sync

    ticket_sla_sync(ticket=locked)
    journal_entry_add(
        ticket=locked,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"Priority set to {locked.get_priority_display()} (was {old}).",
        author=actor,
    )
    return locked
