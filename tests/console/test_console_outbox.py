"""The outbox in the console (§8): read-only, with a Retry action for dead letters."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from accounts import roles
from comms.models import OutboundMessage
from comms.services import MAX_ATTEMPTS, outbound_message_deliver
from tests.conftest import TOTP_SECRET, mfa_client
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory


@pytest.fixture
def service_manager_client(db):
    user = UserFactory(
        email="sid.service@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER]
    )
    TOTP.activate(user, TOTP_SECRET)
    return mfa_client(user)


@pytest.fixture
def dead_letter(org_user, settings):
    """An acknowledgement the mail server refused until the outbox gave up on it."""
    CaseFactory(caller=org_user)
    message = OutboundMessage.objects.get(template="case_acknowledged")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    for _ in range(MAX_ATTEMPTS):
        outbound_message_deliver(message_pk=message.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.DEAD
    return message


def test_retry_action_requeues_a_dead_letter_and_it_is_delivered(
    service_manager_client, dead_letter, mailoutbox, django_capture_on_commit_callbacks
):
    """§8: nothing is lost when the mail server is down; the desk can send a dead letter again."""
    with django_capture_on_commit_callbacks(execute=True):
        response = service_manager_client.post(
            reverse("admin:comms_outboundmessage_changelist"),
            {"action": "retry", "_selected_action": [dead_letter.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert "1 message(s) queued for delivery again." in [
        str(m) for m in response.context["messages"]
    ]
    dead_letter.refresh_from_db()
    assert dead_letter.status == OutboundMessage.Status.SENT
    assert [m.to for m in mailoutbox] == [[dead_letter.to_email]]


def test_retry_skips_messages_already_sent(
    service_manager_client, org_user, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        CaseFactory(caller=org_user)
    sent = OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).first()
    assert sent is not None

    response = service_manager_client.post(
        reverse("admin:comms_outboundmessage_changelist"),
        {"action": "retry", "_selected_action": [sent.pk]},
        follow=True,
    )

    assert any("skipped" in str(m) for m in response.context["messages"])
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.SENT and sent.attempts == 1


def test_outbox_is_read_only_and_retry_needs_change_permission(agent_client, dead_letter):
    """§8: the outbox row is the record; agents may read it, only service managers retry."""
    listing = agent_client.get(reverse("admin:comms_outboundmessage_changelist"))
    assert listing.status_code == 200
    assert listing.context["action_form"] is None or "retry" not in dict(
        listing.context["action_form"].fields["action"].choices
    )
    page = agent_client.get(reverse("admin:comms_outboundmessage_change", args=[dead_letter.pk]))
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields) == []
