"""`inbound_email_process` (§10.2, §10.3): one inbound message, one recorded outcome.

Every entry point (`manage.py ingest_email`, the IMAP poller, the API) calls it. It parses the
message, claims its `InboundEmail` row by Message-ID (a second delivery reports `duplicate`; a
row left in `error` is processed again), runs every refusal check before anything is written
(size, automatic mail, DMARC, the ticket and whether its type takes replies by email, the
sender, some new text), applies the effects, and records the outcome. It knows ticket types
only through the registry (`tickets.registry`): `matching` and `effects` read each type's
entry, so a new type that participants may see takes replies with no change here. A refused
message keeps only its headers and the reason, never its body. When the database is
unavailable nothing is recorded and the error propagates, so the message is delivered again
later.

A message that cannot be processed for any other reason is a poison message: it must not stop
the ones after it (issue 7). `inbound_email_record_failure` stores it raw, `failed`, with the
reason, for the console; `inbound_email_retry` processes the stored message again.
"""

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, InterfaceError, OperationalError, transaction

from accounts.models import User
from core.errors import ActionNotPermitted, DomainError, ValidationFailed
from tickets.models import Ticket

from ..models import InboundEmail
from .effects import apply_reply
from .errors import Refused
from .matching import match_ticket, message_sender, sender_may_reply
from .parsing import ParsedEmail, inbound_email_parse
from .reply_text import reply_text_extract

# The name the module had before it became a package, so log lines and filters stay the same.
logger = logging.getLogger("comms.inbound")

# A reply is a comment, not a document; longer text is cut with a note saying so.
MAX_REPLY_CHARS = 20_000


def inbound_email_max_bytes() -> int:
    """`INBOUND_EMAIL_MAX_BYTES`, else four uploads' worth: base64 makes files a third larger,
    which leaves room for a few attachments at the upload limit."""
    return getattr(settings, "INBOUND_EMAIL_MAX_BYTES", 4 * settings.ATTACHMENT_MAX_BYTES)


def _reply_text(parsed: ParsedEmail) -> str:
    text = reply_text_extract(parsed.body, forward=parsed.is_forward)
    if len(text) > MAX_REPLY_CHARS:
        text = (
            text[:MAX_REPLY_CHARS].rstrip()
            + f"\n\n[The rest of this email was cut: it was longer than {MAX_REPLY_CHARS:,} characters.]"
        )
    return text


def _check(parsed: ParsedEmail) -> tuple[Ticket, User, str]:
    """Every refusal rule, before anything is written; returns the ticket, sender and text."""
    if parsed.raw_size > inbound_email_max_bytes():
        raise Refused(
            f"The message is {parsed.raw_size / 1048576:.1f} MB; the limit is "
            f"{inbound_email_max_bytes() / 1048576:.0f} MB."
        )
    if parsed.automatic:
        raise Refused(f"Not a person's reply: {parsed.automatic}.")
    if parsed.dmarc_failed:
        raise Refused("The sender's domain failed DMARC authentication.")
    ticket = match_ticket(parsed)
    try:
        sender = message_sender(parsed)
    except Refused as exc:
        exc.ticket = ticket  # recorded, so the desk sees who tried to reply to what
        raise
    if not sender_may_reply(sender=sender, ticket=ticket):
        raise Refused(
            f"{parsed.from_address} may not reply to {ticket.number}: only its caller and users "
            "of its organisation (or a parent organisation) may.",
            ticket=ticket,
        )
    text = _reply_text(parsed)
    if not text and not parsed.attachments:
        raise Refused("No new text: nothing is left once quoted history is removed.", ticket=ticket)
    return ticket, sender, text


# --- the service -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundOutcome:
    """What became of one message; `duplicate` when it had been processed before."""

    status: str
    reason: str
    message_id: str
    inbound_email_id: int | None = None
    ticket_number: str | None = None
    created_case_number: str | None = None
    journal_entry_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "reason": self.reason,
            "message_id": self.message_id,
            "inbound_email_id": self.inbound_email_id,
            "ticket": self.ticket_number,
            "created_case": self.created_case_number,
            "journal_entry_id": self.journal_entry_id,
        }

    def summary(self) -> str:
        return f"{self.status}: {self.reason} [{self.message_id}]"


def _outcome(record: InboundEmail, *, status: str | None = None, reason: str | None = None):
    ticket = record.ticket if record.ticket_id else None
    created = record.created_ticket if record.created_case_id else None
    return InboundOutcome(
        status=status or record.status,
        reason=reason if reason is not None else record.reason,
        message_id=record.message_id,
        inbound_email_id=record.pk,
        ticket_number=getattr(ticket, "number", None),
        created_case_number=created.number if created else None,
        journal_entry_id=record.journal_entry_id,
    )


def _set_ticket(record: InboundEmail, ticket) -> None:
    if ticket is None:
        record.ticket_type, record.ticket_id = None, None
    else:
        record.ticket_type = ContentType.objects.get_for_model(ticket)
        record.ticket_id = ticket.pk


def _set_created_ticket(record: InboundEmail, ticket) -> None:
    if ticket is None:
        record.created_ticket_type, record.created_case_id = None, None
    else:
        record.created_ticket_type = ContentType.objects.get_for_model(ticket)
        record.created_case_id = ticket.pk


def _claim(parsed: ParsedEmail, source: str) -> tuple[InboundEmail, InboundEmail | None]:
    """Insert the row for this Message-ID, or return the earlier one (the unique key decides).

    On PostgreSQL a concurrent insert of the same Message-ID waits for the first transaction
    and then fails, so two deliveries processed at once still act once.
    """
    fields = {
        "in_reply_to": (parsed.in_reply_to[0] if parsed.in_reply_to else "")[:255],
        "references": " ".join(parsed.references),
        "from_address": ", ".join(parsed.from_addresses)[:254],
        "subject": parsed.subject[:255],
        "source": source,
        "raw_size": parsed.raw_size,
        "status": InboundEmail.Status.ERROR,
        "reason": "Processing did not finish.",
        "ticket_type": None,
        "ticket_id": None,
        "journal_entry_id": None,
        "created_ticket_type": None,
        "created_case_id": None,
    }
    try:
        with transaction.atomic():
            return InboundEmail.objects.create(message_id=parsed.message_id, **fields), None
    except IntegrityError:
        earlier = InboundEmail.objects.select_for_update().get(message_id=parsed.message_id)
        if earlier.status not in RETRYABLE:
            return earlier, earlier
        for name, value in fields.items():
            setattr(earlier, name, value)
        earlier.attempts += 1
        return earlier, None


# A row in one of these states is processed again when its message comes back (or is retried).
RETRYABLE = (InboundEmail.Status.ERROR, InboundEmail.Status.FAILED)


def _domain_reason(exc: DomainError) -> str:
    details = "; ".join(
        f"{name}: {' '.join(messages)}" for name, messages in exc.field_errors.items()
    )
    return f"{exc.message} ({details})" if details else exc.message


def inbound_email_process(
    *, raw: bytes | str, source: str = InboundEmail.Source.PIPE
) -> InboundOutcome:
    """Turn one inbound email into a comment, a reopened or closed ticket, or a follow-up.

    Raises InboundEmailUnreadable if the input is not an email; every other outcome (refused
    included) is recorded in `InboundEmail` and returned.
    """
    parsed = inbound_email_parse(raw)
    raw_bytes = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
    with transaction.atomic():
        record, earlier = _claim(parsed, source)
        if earlier is not None:
            logger.info(
                "inbound email %s already processed (%s)", parsed.message_id, earlier.status
            )
            return _outcome(
                earlier,
                status=InboundEmail.Status.DUPLICATE,
                reason=f"Already processed on {earlier.received_at:%Y-%m-%d %H:%M} "
                f"({earlier.get_status_display().lower()}): {earlier.reason}",
            )
        ticket = None
        try:
            with transaction.atomic():
                ticket, sender, text = _check(parsed)
                effect = apply_reply(ticket=ticket, sender=sender, text=text, parsed=parsed)
        except Refused as exc:
            record.status, record.reason = InboundEmail.Status.REFUSED, exc.reason
            _set_ticket(record, exc.ticket)
        except (OperationalError, InterfaceError):
            # The database is unavailable: nothing is recorded, so the mail server, the IMAP
            # poller or the gateway delivers the message again later.
            raise
        except DomainError as exc:
            # A ticket service said no (the state moved on, a permission): refused in its words.
            record.status, record.reason = InboundEmail.Status.REFUSED, _domain_reason(exc)
            _set_ticket(record, ticket)
        except Exception as exc:  # noqa: BLE001 - kept raw for the desk to retry from the console
            logger.exception("inbound email %s failed", parsed.message_id)
            record.status = InboundEmail.Status.FAILED
            record.reason = _failure_reason(exc)
            record.raw_message = raw_bytes
        else:
            record.status = effect.status
            record.reason = "; ".join([effect.reason, *effect.notes])
            _set_ticket(record, ticket)
            record.journal_entry_id = effect.journal_entry.pk if effect.journal_entry else None
            _set_created_ticket(record, effect.created_ticket)
        if record.status != InboundEmail.Status.FAILED:
            record.raw_message = b""  # refused: never the body; accepted: it is in the journal
        record.save()
    accepted = record.status in (InboundEmail.Status.ATTACHED, InboundEmail.Status.NEW_CASE)
    (logger.info if accepted else logger.warning)(
        "inbound email %s from %s: %s (%s)",
        record.message_id,
        record.from_address,
        record.status,
        record.reason,
    )
    return _outcome(record)


# --- poison messages (issue 7) ---------------------------------------------------------------


def _failure_reason(exc: BaseException) -> str:
    message = exc.message if isinstance(exc, ValidationFailed) else str(exc)
    return f"{type(exc).__name__}: {message}".replace("\x00", "")[:2000]


def _clean(text: str, limit: int) -> str:
    return " ".join(text.replace("\x00", "").split())[:limit]


def inbound_email_record_failure(
    *, raw: bytes | str, source: str, error: BaseException
) -> InboundEmail:
    """Store a message that `inbound_email_process` could not handle: raw, `failed`, the reason.

    Used by the IMAP poller so one poison message is kept for the console and the next
    message is read (issue 7). Keyed on the Message-ID when the message can be read at all,
    else on a hash of its bytes, so a message that fails again updates the same row.
    """
    raw_bytes = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else bytes(raw)
    try:
        parsed = inbound_email_parse(raw_bytes)
    except Exception:  # noqa: BLE001 - not readable as an email: keyed on its bytes
        parsed = None
    if parsed is not None:
        message_id = parsed.message_id
        headers = {
            "in_reply_to": _clean(parsed.in_reply_to[0] if parsed.in_reply_to else "", 255),
            "references": _clean(" ".join(parsed.references), 10_000),
            "from_address": _clean(", ".join(parsed.from_addresses), 254),
            "subject": _clean(parsed.subject, 255),
        }
    else:
        message_id = f"<{hashlib.sha256(raw_bytes).hexdigest()[:48]}@unreadable.invalid>"
        headers = {}
    reason = _failure_reason(error)
    with transaction.atomic():
        record, created = InboundEmail.objects.select_for_update().get_or_create(
            message_id=message_id,
            defaults={
                **headers,
                "source": source,
                "raw_size": len(raw_bytes),
                "status": InboundEmail.Status.FAILED,
                "reason": reason,
                "raw_message": raw_bytes,
            },
        )
        if not created:
            record.status, record.reason = InboundEmail.Status.FAILED, reason
            record.raw_message, record.raw_size = raw_bytes, len(raw_bytes)
            record.attempts += 1
            record.save()
    logger.warning("inbound email %s kept as failed: %s", message_id, reason)
    return record


def inbound_email_retry(*, inbound_email: InboundEmail, actor) -> InboundOutcome:
    """Process a failed message again from its stored copy (the console's Retry action).

    Succeeds or is refused like a fresh delivery (the stored copy is then dropped); fails
    again with the new reason recorded on the same row. Only `failed` rows with a stored copy
    can be retried, by staff allowed to change inbound email.
    """
    if not (actor and actor.is_staff and actor.has_perm("comms.change_inboundemail")):
        raise ActionNotPermitted("Only the service desk may retry inbound email.")
    record = InboundEmail.objects.get(pk=inbound_email.pk)
    if record.status not in RETRYABLE or not record.raw_message:
        raise ValidationFailed(
            f"{record.message_id} is {record.get_status_display().lower()}: only failed "
            "messages kept with their content can be retried."
        )
    raw = bytes(record.raw_message)
    try:
        outcome = inbound_email_process(raw=raw, source=record.source)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:  # noqa: BLE001 - still poison: recorded again, never a 500
        inbound_email_record_failure(raw=raw, source=record.source, error=exc)
        record.refresh_from_db()
        return _outcome(record)
    logger.info("inbound email %s retried by %s: %s", record.message_id, actor, outcome.status)
    return outcome
