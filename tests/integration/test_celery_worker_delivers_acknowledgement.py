"""A real Celery worker on Redis delivers the acknowledgement of a raised case (§3.1, §8)."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail

from comms.models import OutboundMessage
from mhhs_portal.celery import app as celery_app
from tests.factories.cases import CaseFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis://"),
        reason="needs a real Celery worker on Redis: set CELERY_BROKER_URL=redis://... (CI does)",
    ),
]


def _wait_until_sent(messages, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not messages.exclude(status=OutboundMessage.Status.SENT).exists():
            return
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_worker_delivers_the_acknowledgement_of_a_raised_case(org_user):
    """The case commits, the outbox row is published after commit, and the worker sends it."""
    # tests/conftest.py runs tasks inline by default; this test publishes to the real broker.
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        case = CaseFactory(caller=org_user)
        messages = OutboundMessage.objects.filter(ticket_id=case.pk, ticket_type__model="case")
        _wait_until_sent(messages)

    ack = messages.get(template="case_acknowledged")
    assert ack.status == OutboundMessage.Status.SENT
    assert ack.attempts == 1
    assert ack.sent_at is not None
    to_caller = [m for m in mail.outbox if m.to == [org_user.email]]
    assert len(to_caller) == 1
    assert to_caller[0].extra_headers["Message-ID"] == ack.message_id
    assert case.number in to_caller[0].subject
    assert not messages.exclude(status=OutboundMessage.Status.SENT).exists()
