"""Outbox writes and delivery (§8, §10.5.5).

`outbound_message_queue` renders and stores a message in the caller's transaction and asks for
delivery after commit. `outbound_message_deliver` claims a row by conditional UPDATE, sends it
with its fixed Message-ID and records the outcome. `outbound_message_resend_pending` is the
sweep that makes a broker or mail-server outage lose nothing.
"""

import logging
import time
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Min, Q
from django.template.loader import render_to_string
from django.utils import timezone

from .models import OutboundMessage
from .mpan import contains_mpan

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = getattr(settings, "OUTBOX_MAX_ATTEMPTS", 8)
# A row left in "sending" this long had its worker die mid-send; it may be claimed again.
CLAIM_TIMEOUT = timedelta(minutes=5)
RESEND_BATCH = 500
# After a publish fails, further publishes to that broker are skipped for this long and their
# rows wait for the sweep: a request queuing many messages during an outage waits for the
# broker's connect timeout once, not once per message (a 50-member list would take minutes).
BROKER_PAUSE_SECONDS = 10.0
_broker_failed_at: dict[str, float] = {}


def retry_delay(attempts: int) -> timedelta:
    """Exponential back-off: 1, 2, 4, 8 … minutes, capped at one hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def render_email(*, template: str, context: dict) -> tuple[str, str, str]:
    base = f"comms/email/{template}"
    subject = " ".join(render_to_string(f"{base}.subject.txt", context).split())
    text = render_to_string(f"{base}.txt", context)
    html = render_to_string(f"{base}.html", context)
    return subject, text, html


def outbound_message_queue(
    *, template: str, to_email: str, context: dict, ticket=None, headers: dict | None = None
) -> OutboundMessage:
    """Render a message and store it; delivery is queued when the transaction commits.
    `headers`: extra mail headers (List-Unsubscribe…), sent as given.

    A message whose subject or body contains an MPAN is stored as refused, with the reason,
    and never sent (§10.5.5).
    """
    context = {"portal_base_url": settings.PORTAL_BASE_URL, **context}
    subject, text, html = render_email(template=template, context=context)
    message = OutboundMessage(
        template=template,
        to_email=to_email,
        subject=subject[:255],
        body_text=text,
        body_html=html,
        # Random, not clock-based: unique even when tests freeze time and seed `random`.
        message_id=f"<{uuid.uuid4().hex}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>",
        headers=dict(headers or {}),
    )
    if ticket is not None:
        message.ticket_type = ContentType.objects.get_for_model(ticket)
        message.ticket_id = ticket.pk
    if contains_mpan(subject, text, html):
        message.status = OutboundMessage.Status.REFUSED
        message.last_error = "Refused: the message contains an MPAN, which must never be emailed."
        message.save()
        logger.warning("outbox refused %s to %s: MPAN in content", template, to_email)
        return message
    message.save()
    transaction.on_commit(lambda: outbound_message_enqueue(message_pk=message.pk))
    return message


def outbound_message_enqueue(*, message_pk: int) -> bool:
    """Ask a worker to deliver; if the broker is down, the resend sweep picks it up later."""
    from .tasks import outbound_message_deliver_task

    conf = outbound_message_deliver_task.app.conf
    failed_at = _broker_failed_at.get(conf.broker_write_url)
    if (
        not conf.task_always_eager
        and failed_at is not None
        and time.monotonic() - failed_at < BROKER_PAUSE_SECONDS
    ):
        logger.info("broker down; outbound message %s waits for the resend sweep", message_pk)
        return False
    return _publish(message_pk)


def _publish(message_pk: int) -> bool:
    """Publish one delivery task, remembering a broker failure for `outbound_message_enqueue`."""
    from .tasks import outbound_message_deliver_task

    broker = outbound_message_deliver_task.app.conf.broker_write_url
    try:
        outbound_message_deliver_task.delay(message_pk)
    except Exception:  # noqa: BLE001 - any broker failure; the row stays pending
        _broker_failed_at[broker] = time.monotonic()
        logger.warning(
            "could not queue outbound message %s; the resend sweep will retry",
            message_pk,
            exc_info=True,
        )
        return False
    _broker_failed_at.pop(broker, None)
    return True


def outbound_message_deliver(*, message_pk: int) -> OutboundMessage | None:
    """Send one message if this worker wins the claim; returns it, or None if not ours."""
    now = timezone.now()
    due = Q(status=OutboundMessage.Status.PENDING) | Q(
        status=OutboundMessage.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    # The conditional UPDATE is the claim: of two workers, exactly one changes the row.
    claimed = OutboundMessage.objects.filter(due, pk=message_pk).update(
        status=OutboundMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return None
    message = OutboundMessage.objects.get(pk=message_pk)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={**(message.headers or {}), "Message-ID": message.message_id},
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    try:
        email.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - SMTP, DNS, socket: all mean "try later"
        failed = timezone.now()
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboundMessage.Status.DEAD
        else:
            message.status = OutboundMessage.Status.PENDING
            message.next_attempt_at = failed + retry_delay(message.attempts)
        message.claimed_at = None
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        message.save(update_fields=["status", "next_attempt_at", "claimed_at", "last_error"])
        logger.warning(
            "delivery of outbound message %s failed (attempt %s): %s",
            message.pk,
            message.attempts,
            exc,
        )
        return message
    message.status = OutboundMessage.Status.SENT
    message.sent_at = timezone.now()
    message.last_error = ""
    message.save(update_fields=["status", "sent_at", "last_error"])
    return message


def outbound_message_resend_pending() -> int:
    """Re-queue every message that is due and not sent; returns how many were queued."""
    now = timezone.now()
    due = (
        OutboundMessage.objects.filter(
            Q(status=OutboundMessage.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboundMessage.Status.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:RESEND_BATCH]
    )
    queued = 0
    for pk in list(due):
        # The sweep always tries the broker (it is what notices the broker is back), and
        # stops at the first failure: the next sweep tries again.
        if not _publish(pk):
            break
        queued += 1
    return queued


def outbound_message_retry(*, message: OutboundMessage, actor) -> OutboundMessage:
    """Put a dead-letter message back in the queue (admin action)."""
    if message.status not in (OutboundMessage.Status.DEAD, OutboundMessage.Status.PENDING):
        return message
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        claimed_at=None,
    )
    transaction.on_commit(lambda: outbound_message_enqueue(message_pk=message.pk))
    message.refresh_from_db()
    return message


def first_messages(*, ticket_type, ticket_id: int, templates, until=None) -> dict[str, datetime]:
    """When the first message of each template was recorded for a ticket (the acknowledgement,
    §3.1); the SLA engine asks through `tickets.message_log`."""
    messages = OutboundMessage.objects.filter(
        ticket_type=ticket_type, ticket_id=ticket_id, template__in=list(templates)
    )
    if until is not None:
        messages = messages.filter(created_at__lte=until)
    return {
        row["template"]: row["first"]
        for row in messages.values("template").annotate(first=Min("created_at"))
    }
