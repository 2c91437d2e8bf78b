"""Writes of the ticket kernel: numbering, journal, attachments, links, priority, transitions.

Type-specific services (cases, incidents) call these inside their own transaction and add
what only their type does. What every type shares happens here, from the type's registry
entry (`tickets.registry`): the lifecycle's arguments and preconditions, the announcements
the SLA engine and communications act on (`tickets.signals`), and the link rules that carry a
change on to linked tickets.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed, has_transition_perm

from core.errors import ActionNotPermitted, ConcurrentUpdate, TransitionNotAllowed, ValidationFailed

from . import signals
from .attachments import validate_upload
from .models import Attachment, JournalEntry, PendingUpload, Ticket, TicketLink, TicketSequence
from .priority import priority_for
from .registry import TicketType, links_rules_for, ticket_type_for

logger = logging.getLogger(__name__)


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


def _ticket_touch(ticket: Ticket) -> None:
    """The ticket was updated without a save of its own (a comment, a file): its `updated_at`
    moves on, as lists sorted by last update and the caller's "Last updated" expect."""
    now = timezone.now()
    type(ticket).objects.filter(pk=ticket.pk).update(updated_at=now)
    ticket.updated_at = now


def journal_entry_add(*, ticket: Ticket, kind: str, body: str, author=None) -> JournalEntry:
    """Add an entry to the ticket's journal; a customer-visible comment also marks the ticket
    updated (work notes and system entries do not: a transition saves the ticket itself)."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed(
            "Write something before adding it.", field_errors={"body": ["This field is required."]}
        )
    entry = JournalEntry.objects.create(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        kind=kind,
        body=body,
        author=author,
    )
    if kind == JournalEntry.Kind.COMMENT:
        _ticket_touch(ticket)
    return entry


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


# A file kept from a form that came back with errors waits this long for the form to be sent.
PENDING_UPLOAD_KEEP = timedelta(days=1)


def pending_upload_store(*, user, upload: UploadedFile) -> PendingUpload:
    """Keep a file chosen on a form that came back with errors, for `user` alone, so they need
    not choose it again; checked by size and content as an attachment is (ValidationFailed)."""
    name, mime = attachment_check(upload)
    pending = PendingUpload(user=user, original_name=name, size=upload.size, mime_type=mime)
    pending.file.save(name, upload, save=False)
    pending.save()
    return pending


def _files_delete_on_commit(names) -> None:
    """Delete stored files once the rows naming them are gone for good."""

    def delete() -> None:
        for name in names:
            try:
                default_storage.delete(name)
            except OSError:
                logger.warning("kept upload %s could not be deleted", name, exc_info=True)

    transaction.on_commit(delete)


def pending_upload_discard(*, user, pending_id: int) -> PendingUpload | None:
    """The person no longer wants a kept file: the row and the file go. Another person's, or
    one already gone, is None."""
    pending = PendingUpload.objects.filter(pk=pending_id, user=user).first()
    if pending is None:
        return None
    with transaction.atomic():
        deleted, _ = PendingUpload.objects.filter(pk=pending.pk).delete()
        if deleted:
            _files_delete_on_commit([pending.file.name])
    return pending


def attachment_add_from_pending(
    *, ticket: Ticket, pending: PendingUpload, uploaded_by
) -> Attachment:
    """A kept file becomes the ticket's attachment where it is stored (nothing is copied).

    The row is deleted first and must still be there, so a file the purge removed meanwhile
    is reported, not attached without its content."""
    deleted, _ = PendingUpload.objects.filter(pk=pending.pk, user_id=pending.user_id).delete()
    if not deleted:
        message = f"“{pending.original_name}” is no longer kept; please choose it again."
        raise ValidationFailed(message, field_errors={"attachments": [message]})
    return Attachment.objects.create(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        file=pending.file.name,
        original_name=pending.original_name,
        size=pending.size,
        mime_type=pending.mime_type,
        uploaded_by=uploaded_by,
    )


def pending_upload_purge(*, now: datetime | None = None) -> int:
    """Remove the kept files nobody sent on within `PENDING_UPLOAD_KEEP`, rows and files: one
    `DELETE … RETURNING` (idempotent; a second run finds nothing). Returns how many went."""
    cutoff = (now or timezone.now()) - PENDING_UPLOAD_KEEP
    table = PendingUpload._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE created_at < %s RETURNING file",  # noqa: S608 - name from model meta, value bound
            [cutoff],
        )
        names = [row[0] for row in cursor.fetchall()]
        _files_delete_on_commit(names)
    return len(names)


def ticket_attachment_add(*, ticket: Ticket, upload: UploadedFile, actor) -> Attachment:
    """A file added to an existing ticket, said in its journal ("Attachment added: …")."""
    attachment = attachment_add(ticket=ticket, upload=upload, uploaded_by=actor)
    _ticket_touch(ticket)
    journal_entry_add(
        ticket=ticket,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"Attachment added: {attachment.original_name}.",
        author=actor,
    )
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
    model = type(ticket)
    ticket_type = ticket_type_for(model)
    action = ticket_type.lifecycle.action(name)
    if action is None:
        raise TransitionNotAllowed(
            f"“{name}” is not an action {model._meta.verbose_name_plural} have."
        )
    action.check_arguments(model, note=note, arguments=arguments)
    locked = model.objects.select_for_update().get(pk=ticket.pk)
    label = action.label
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
    action.check_preconditions(locked, arguments)
    old_state = locked.state
    method(**arguments)
    try:
        locked.save()
    except ConcurrentTransition as exc:
        raise ConcurrentUpdate(
            f"{locked.number} was changed by someone else; reload it and try again."
        ) from exc
    ticket_changes_recorded(ticket=locked)
    entry = f"State changed from {model.State(old_state).label} to {locked.get_state_display()}."
    # A type with its own states may have no On Hold or Cancelled; the reasons say it all.
    if locked.state == getattr(model.State, "ON_HOLD", None) and locked.hold_reason:
        entry += f" Reason: {locked.get_hold_reason_display()}."
    if locked.state == getattr(model.State, "CANCELLED", None) and locked.cancel_reason:
        entry += f" Reason: {locked.get_cancel_reason_display()}."
    journal_entry_add(ticket=locked, kind=JournalEntry.Kind.SYSTEM, body=entry, author=actor)
    if note.strip():
        journal_entry_add(ticket=locked, kind=JournalEntry.Kind.COMMENT, body=note, author=actor)
    signals.ticket_transitioned.send(
        sender=model,
        ticket=locked,
        ticket_type=ticket_type,
        actor=actor,
        action=action,
        old_state=old_state,
        arguments=arguments,
    )
    result = TransitionResult(ticket=locked, old_state=old_state, new_state=locked.state)
    _run_link_rules(ticket_type, result, arguments)
    return result


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
    ticket_changes_recorded(ticket=locked)
    journal_entry_add(
        ticket=locked,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"Priority set to {locked.get_priority_display()} (was {old}).",
        author=actor,
    )
    return locked


def ticket_changes_recorded(*, ticket: Ticket) -> None:
    """Announce that a ticket's recorded fields changed; the SLA engine brings its clocks up to
    date in this transaction. Services call it after every save outside `ticket_transition`
    and `ticket_classify` (which call it themselves): creation, triage."""
    signals.ticket_changed.send(
        sender=type(ticket), ticket=ticket, ticket_type=ticket_type_for(ticket)
    )


def ticket_created_announce(*, ticket: Ticket, actor) -> None:
    """A new ticket is on record: people are told (the type's "created" notification), then
    its clocks start (so an acknowledgement sent now already counts, §3.1)."""
    ticket_type = ticket_type_for(ticket)
    signals.ticket_created.send(
        sender=type(ticket), ticket=ticket, ticket_type=ticket_type, actor=actor
    )
    ticket_changes_recorded(ticket=ticket)


def ticket_create(model: type[Ticket], *, actor, **fields) -> Ticket:
    """Raise a ticket of a registered type: its number, a journal entry, the announcements.

    Types with their own rules for what a new ticket needs (cases §3.2, incidents §5.4) check
    those first and call this, or build the row themselves and call `ticket_created_announce`.
    """
    ticket_type = ticket_type_for(model)
    with transaction.atomic():
        ticket = model.objects.create(
            number=ticket_number_allocate(prefix=ticket_type.prefix),
            opened_by=fields.pop("opened_by", actor),
            **fields,
        )
        journal_entry_add(
            ticket=ticket,
            kind=JournalEntry.Kind.SYSTEM,
            body=f"{ticket_type.verbose_name.capitalize()} raised.",
            author=actor,
        )
        ticket_created_announce(ticket=ticket, actor=actor)
    return ticket


def ticket_act(*, ticket: Ticket, name: str, actor, **kwargs) -> Ticket:
    """One transition in its own transaction: what the console and API call for a type that
    has no transition service of its own."""
    with transaction.atomic():
        return ticket_transition(ticket=ticket, name=name, actor=actor, **kwargs).ticket


def ticket_comment_add(
    *, ticket: Ticket, actor, body: str, work_note: bool = False
) -> JournalEntry:
    """A comment through the kernel, for types without a comment service of their own.

    A participant's comment on a ticket On Hold — Awaiting Caller puts it back In Progress
    (§5.12), as the caller's reply does on a case. Work notes are the desk's own.
    """
    by_desk = bool(actor is not None and actor.is_staff)
    if work_note and not by_desk:
        raise ActionNotPermitted("Only the service desk can add work notes.")
    if not ticket.is_open and ticket.state != getattr(type(ticket).State, "RESOLVED", None):
        raise TransitionNotAllowed(
            f"{ticket.number} is {ticket.get_state_display().lower()}; it takes no more comments."
        )
    kind = JournalEntry.Kind.WORK_NOTE if work_note else JournalEntry.Kind.COMMENT
    with transaction.atomic():
        entry = journal_entry_add(ticket=ticket, kind=kind, body=body, author=actor)
        if work_note:
            return entry
        ticket_type = ticket_type_for(ticket)
        signals.ticket_commented.send(
            sender=type(ticket),
            ticket=ticket,
            ticket_type=ticket_type,
            actor=actor,
            entry=entry,
            by_desk=by_desk,
        )
        _run_comment_link_rules(ticket_type, ticket, entry=entry, actor=actor)
        hold_reasons = getattr(type(ticket), "HoldReason", None)
        if (
            not by_desk
            and hold_reasons is not None
            and ticket.state == getattr(type(ticket).State, "ON_HOLD", None)
            and ticket.hold_reason == hold_reasons.AWAITING_CALLER
            and ticket_type.lifecycle.action("resume") is not None
        ):
            ticket_transition(ticket=ticket, name="resume", actor=None)
    return entry


def _linked(rule, ticket: Ticket):
    """The tickets a rule acts on: linked to `ticket` by the rule's kind, of its target type."""
    from django.apps import apps

    target_model = apps.get_model(rule.target)
    here = ContentType.objects.get_for_model(ticket)
    there = ContentType.objects.get_for_model(target_model)
    if rule.source_is == "to":
        ids = TicketLink.objects.filter(
            kind=rule.kind, to_type=here, to_id=ticket.pk, from_type=there
        ).values("from_id")
    else:
        ids = TicketLink.objects.filter(
            kind=rule.kind, from_type=here, from_id=ticket.pk, to_type=there
        ).values("to_id")
    targets = target_model.objects.filter(pk__in=ids)
    if rule.target_states:
        targets = targets.filter(state__in=rule.target_states)
    return targets.order_by("pk")


def _run_link_rules(ticket_type: TicketType, result: TransitionResult, arguments: dict) -> None:
    """Carry a transition on to linked tickets, as the types' link rules declare (the kernel
    runs them, so no ticket app imports another to cascade)."""
    if result.old_state == result.new_state:
        return
    for rule in links_rules_for(ticket_type):
        if rule.on_comment or result.new_state not in rule.on_states:
            continue
        for target in _linked(rule, result.ticket):
            rule.handler(target, source=result.ticket, result=result, arguments=arguments)


def _run_comment_link_rules(ticket_type: TicketType, ticket: Ticket, *, entry, actor) -> None:
    """Carry a customer-visible comment on to linked tickets, as the types' comment rules
    declare (an incident's update for the callers becomes a proposal on each case)."""
    for rule in links_rules_for(ticket_type):
        if not rule.on_comment:
            continue
        for target in _linked(rule, ticket):
            rule.handler(
                target, source=ticket, result=None, arguments={"entry": entry, "actor": actor}
            )
