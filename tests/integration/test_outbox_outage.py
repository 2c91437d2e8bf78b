"""A mail-server or broker outage loses nothing (docs/architecture.md §8, docs/conventions.md §5).

Tasks run eagerly here (tests/conftest.py), so this runs on SQLite and PostgreSQL alike; the
broker outage uses a real, unreachable Redis URL, so publishing really fails.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

from cases.models import Case
from comms.models import OutboundMessage
from comms.services import outbound_message_resend_pending
from mhhs_portal.celery import app as celery_app
from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.integration

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"
LOCMEM_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


class MailServerDown(BaseEmailBackend):
    """Every send fails as an unreachable SMTP server does."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server unreachable (simulated outage)")


MAIL_SERVER_DOWN = f"{MailServerDown.__module__}.{MailServerDown.__qualname__}"


def _drop_broker_pools() -> None:
    """The app caches its connection and producer pools (kombu keeps one per broker URL);
    forget the app's references so the next publish uses whatever `broker_url` is now."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker_down():
    """Point the app at a broker nobody listens on, with real publishing (not eager).

    Yields a function that ends the outage: the previous broker and eager mode come back.
    """
    # Publishing connects to `broker_write_url`; unlike `broker_url`, the CELERY_BROKER_URL
    # environment variable (set in CI) does not take precedence over it.
    previous = (celery_app.conf.get("broker_write_url"), celery_app.conf.task_always_eager)
    celery_app.conf.broker_write_url = UNREACHABLE_BROKER
    celery_app.conf.task_always_eager = False
    _drop_broker_pools()
    restored = False

    def restore() -> None:
        nonlocal restored
        if not restored:
            celery_app.conf.broker_write_url, celery_app.conf.task_always_eager = previous
            _drop_broker_pools()
            restored = True

    yield restore
    restore()


def _case_messages(case: Case):
    return OutboundMessage.objects.filter(ticket_id=case.pk, ticket_type__model="case").order_by(
        "pk"
    )


def test_mail_outage_keeps_messages_pending_then_the_sweep_delivers_each_once(
    org_user, settings, django_capture_on_commit_callbacks
):
    """While the mail server is down the acknowledgement (§3.1) stays pending with a back-off;
    after the outage the resend sweep delivers it exactly once."""
    settings.EMAIL_BACKEND = MAIL_SERVER_DOWN
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseFactory(caller=org_user)

    ack = _case_messages(case).get(template="case_acknowledged")
    assert ack.status == OutboundMessage.Status.PENDING
    assert ack.attempts == 1
    assert ack.next_attempt_at > before
    assert ack.claimed_at is None
    assert "simulated outage" in ack.last_error
    assert mail.outbox == []
    # Not due yet: a sweep during the back-off leaves it alone.
    assert outbound_message_resend_pending() == 0

    settings.EMAIL_BACKEND = LOCMEM_BACKEND
    with time_machine.travel(ack.next_attempt_at + timedelta(seconds=1), tick=False):
        assert outbound_message_resend_pending() == _case_messages(case).count()
        assert outbound_message_resend_pending() == 0

    ack.refresh_from_db()
    assert ack.status == OutboundMessage.Status.SENT
    assert ack.attempts == 2
    assert ack.last_error == ""
    to_caller = [m for m in mail.outbox if m.to == [org_user.email]]
    assert len(to_caller) == 1
    assert to_caller[0].extra_headers["Message-ID"] == ack.message_id
    assert case.number in to_caller[0].subject
    assert len(mail.outbox) == _case_messages(case).count()


def test_broker_outage_at_commit_keeps_the_case_and_the_sweep_delivers_later(
    org_user, broker_down, django_capture_on_commit_callbacks
):
    """With the broker unreachable when the case commits, the case is still raised and its
    messages wait in the outbox; once the broker is back the sweep delivers them (§8)."""
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseFactory(caller=org_user)

    assert Case.objects.filter(pk=case.pk, state=Case.State.NEW).exists()
    messages = list(_case_messages(case))
    assert {m.template for m in messages} == {"case_acknowledged", "case_new_alert"}
    assert all(m.status == OutboundMessage.Status.PENDING and m.attempts == 0 for m in messages)
    assert mail.outbox == []
    # Still down: the sweep stops at the first failed publish and loses nothing.
    assert outbound_message_resend_pending() == 0
    assert _case_messages(case).filter(status=OutboundMessage.Status.PENDING).count() == len(
        messages
    )

    broker_down()
    assert outbound_message_resend_pending() == len(messages)

    assert set(_case_messages(case).values_list("status", flat=True)) == {
        OutboundMessage.Status.SENT
    }
    assert len([m for m in mail.outbox if m.to == [org_user.email]]) == 1
    assert len(mail.outbox) == len(messages)
