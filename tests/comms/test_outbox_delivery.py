"""The outbox (§8): claimed once, retried with back-off, dead-lettered, never an MPAN (§10.5.5)."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from comms.models import OutboundMessage
from comms.services import (
    MAX_ATTEMPTS,
    outbound_message_deliver,
    outbound_message_queue,
    outbound_message_resend_pending,
    outbound_message_retry,
)


class BrokenBackend:
    """An SMTP server that is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def _queue(**overrides):
    fields = {
        "template": "case_acknowledged",
        "to_email": "sam@example.com",
        "context": {
            "number": "CS0000042",
            "status": "New",
            "link": "http://portal/cases/CS0000042/",
        },
    }
    fields.update(overrides)
    return outbound_message_queue(**fields)


@pytest.mark.django_db
def test_message_is_sent_once_with_its_message_id():
    message = _queue()
    assert outbound_message_deliver(message_pk=message.pk).status == OutboundMessage.Status.SENT
    assert outbound_message_deliver(message_pk=message.pk) is None, (
        "a sent message is never claimed again"
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == message.message_id


@pytest.mark.django_db
def test_a_claimed_message_is_not_sent_by_a_second_worker():
    """The conditional UPDATE is the claim: a row being sent is not claimable."""
    message = _queue()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENDING, claimed_at=timezone.now()
    )
    assert outbound_message_deliver(message_pk=message.pk) is None
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_message_whose_worker_died_is_resent_with_the_same_message_id():
    message = _queue()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=10),
        attempts=1,
    )
    assert outbound_message_resend_pending() == 1
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert mail.outbox[0].extra_headers["Message-ID"] == message.message_id


@pytest.mark.django_db
def test_failed_delivery_stays_pending_with_back_off(settings):
    settings.EMAIL_BACKEND = "tests.comms.test_outbox_delivery.BrokenBackend"
    message = _queue()
    before = timezone.now()
    message = outbound_message_deliver(message_pk=message.pk)
    assert message.status == OutboundMessage.Status.PENDING
    assert message.attempts == 1 and "unreachable" in message.last_error
    assert message.next_attempt_at > before
    assert outbound_message_resend_pending() == 0, "not due again until its back-off has passed"


@pytest.mark.django_db
def test_message_becomes_a_dead_letter_after_max_attempts_and_can_be_retried(settings, agent):
    settings.EMAIL_BACKEND = "tests.comms.test_outbox_delivery.BrokenBackend"
    message = _queue()
    for _ in range(MAX_ATTEMPTS):
        OutboundMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        outbound_message_deliver(message_pk=message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.DEAD and message.attempts == MAX_ATTEMPTS
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    outbound_message_retry(message=message, actor=agent)
    outbound_message_resend_pending()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT and len(mail.outbox) == 1


@pytest.mark.django_db
def test_message_containing_an_mpan_is_refused_and_never_sent():
    """§10.5.5: MPAN details should never be sent via email."""
    message = _queue(
        template="case_rerouted",
        context={
            "number": "CS0000042",
            "status": "Resolved",
            "link": "http://portal/",
            "desk_name": "MPAS",
            "desk_contacts": ["Quote MPAN 1234567890126"],
        },
    )
    assert message.status == OutboundMessage.Status.REFUSED
    assert "MPAN" in message.last_error
    assert outbound_message_deliver(message_pk=message.pk) is None
    assert outbound_message_resend_pending() == 0
    assert mail.outbox == []
