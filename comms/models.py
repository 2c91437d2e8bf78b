"""The notification outbox: the record of every message, written with the event (§8)."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class OutboundMessage(models.Model):
    """One email to one recipient, written in the same transaction as the event that caused it.

    A worker claims the row with a conditional UPDATE before sending, so two workers never
    send it together; `message_id` is fixed at creation, so a re-send after a crash carries
    the same Message-ID and the receiving system sees one message.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        REFUSED = "refused", "Refused"
        DEAD = "dead", "Dead letter"

    template = models.CharField(max_length=60)
    to_email = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=200, unique=True)
    ticket_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    ticket = GenericForeignKey("ticket_type", "ticket_id")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Serves the resend sweep: WHERE status IN (pending, sending) AND next_attempt_at <= now.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # Serves a ticket's message list in the admin.
            models.Index(fields=["ticket_type", "ticket_id"], name="outbox_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.to_email} ({self.get_status_display()})"


class InboundEmail(models.Model):
    """One inbound email (reply by email, §10.2/§10.3) and what became of it.

    Unique on `message_id`, so the same message delivered twice (mail server retry, IMAP
    re-poll, API re-post) is recorded and acted on once. Only headers, the outcome and the
    reason are kept: the body of a refused message is never stored; the body of an accepted
    one lives in the journal entry it produced.
    """

    class Status(models.TextChoices):
        ATTACHED = "attached", "Attached to ticket"
        NEW_CASE = "new_case", "Opened a new case"
        REFUSED = "refused", "Refused"
        DUPLICATE = "duplicate", "Duplicate"
        ERROR = "error", "Error"

    class Source(models.TextChoices):
        PIPE = "pipe", "Mail server pipe"
        IMAP = "imap", "IMAP poll"
        API = "api", "API"

    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PIPE)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.TextField(blank=True)
    ticket_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    ticket = GenericForeignKey("ticket_type", "ticket_id")
    journal_entry_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_case_id = models.PositiveBigIntegerField(null=True, blank=True)
    raw_size = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status"),
            models.Index(fields=["ticket_type", "ticket_id"], name="inbound_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} from {self.from_address} ({self.get_status_display()})"
