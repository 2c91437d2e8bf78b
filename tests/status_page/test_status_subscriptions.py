"""Email subscriptions per service (§5.21: "add your email against the systems you would like
notifications for"; Appendix G: subscribers receive the updates): subscribe, confirm by a
signed link, get mail for followed services only, one-click unsubscribe."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from comms.models import OutboundMessage
from major_incidents.circulars import circular_draft, circular_publish
from status_page import views as status_views
from status_page.models import StatusSubscription
from tests.status_page.conftest import SECRETS, publish_update
from tickets.models import Service

EMAIL = "watcher@example.com"


def _subscribe(client, email=EMAIL, services=("dip",)):
    return client.post("/status/subscribe/", {"email": email, "services": list(services)})


def _link(message: OutboundMessage, path: str) -> str:
    found = re.search(rf"https?://[^\s\"<]+({path}[^\s\"<]+/)", message.body_text)
    assert found, message.body_text
    return found.group(1)


def _confirm(client, django_capture_on_commit_callbacks, email=EMAIL, services=("dip",)):
    with django_capture_on_commit_callbacks(execute=True):
        response = _subscribe(client, email, services)
    assert response.status_code == 302
    message = OutboundMessage.objects.filter(
        to_email=email, template="status_subscription_confirm"
    ).first()
    link = _link(message, "/status/subscribe/confirm/")
    assert client.get(link).status_code == 200
    assert client.post(link).status_code == 200
    return StatusSubscription.objects.get(email=email)


def test_the_subscription_lifecycle(make_major, django_capture_on_commit_callbacks):
    """§5.21: subscribe → confirmation mail → confirm → an update is mailed with an
    unsubscribe link and RFC 8058 headers → unsubscribe → no more mail."""
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = _subscribe(client, "Watcher@Example.com ", ("dip", "lss"))
    assert response.status_code == 302
    subscription = StatusSubscription.objects.get()
    assert subscription.email == EMAIL and subscription.confirmed_at is None
    confirm_message = OutboundMessage.objects.get(template="status_subscription_confirm")
    assert confirm_message.status == OutboundMessage.Status.SENT
    link = _link(confirm_message, "/status/subscribe/confirm/")

    # Not confirmed yet: an update sends nothing.
    major = make_major(services={"dip": "major_outage"})
    publish_update(major, "Nothing for unconfirmed addresses.")
    assert not OutboundMessage.objects.filter(template="status_update").exists()

    page = client.get(link)
    assert page.status_code == 200 and "Confirm subscription" in page.content.decode()
    assert StatusSubscription.objects.get().confirmed_at is None  # GET confirms nothing
    assert client.post(link).status_code == 200
    subscription.refresh_from_db()
    assert subscription.is_live
    assert {s.code for s in subscription.services.all()} == {"dip", "lss"}

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        publish_update(major, "The cause is identified.", status="identified")
    message = OutboundMessage.objects.get(template="status_update")
    assert message.to_email == EMAIL
    assert "The cause is identified." in message.body_text
    assert "DIP messages delayed" in message.subject
    for secret in SECRETS:
        assert secret not in message.subject + message.body_text + message.body_html
    unsubscribe = _link(message, "/status/unsubscribe/")
    assert message.headers["List-Unsubscribe"].endswith(f"{unsubscribe}>")
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    sent = mail.outbox[-1]
    assert sent.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert "Unsubscribe" in client.get(unsubscribe).content.decode()
    assert StatusSubscription.objects.get().unsubscribed_at is None  # GET changes nothing
    assert client.post(unsubscribe).status_code == 200
    assert StatusSubscription.objects.get().unsubscribed_at is not None

    publish_update(major, "After unsubscribing.")
    assert OutboundMessage.objects.filter(template="status_update").count() == 1


def test_one_click_unsubscribe_works_without_a_csrf_token(
    make_major, django_capture_on_commit_callbacks
):
    """RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the link."""
    client = Client(enforce_csrf_checks=True)
    subscription = _confirm(Client(), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        publish_update(make_major(), "Words.")
    link = _link(OutboundMessage.objects.get(template="status_update"), "/status/unsubscribe/")
    response = client.post(link, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at is not None


def test_only_subscribers_of_an_affected_service_are_mailed(
    make_major, django_capture_on_commit_callbacks
):
    _confirm(Client(), django_capture_on_commit_callbacks, "dip@example.com", ("dip",))
    _confirm(Client(), django_capture_on_commit_callbacks, "lss@example.com", ("lss",))
    publish_update(make_major(services={"lss": "degraded"}), "LSS words.")
    assert list(
        OutboundMessage.objects.filter(template="status_update").values_list("to_email", flat=True)
    ) == ["lss@example.com"]


def test_a_published_circular_is_mailed_to_its_services_subscribers(
    incident_manager, django_capture_on_commit_callbacks
):
    """§5.21: "To be added to the industry Circulars add your email against the systems"."""
    _confirm(Client(), django_capture_on_commit_callbacks)
    draft = circular_draft(
        actor=incident_manager,
        title="DIP delays",
        body="Circular body.",
        services=[Service.objects.get(code="dip")],
    )
    assert not OutboundMessage.objects.filter(template="status_circular").exists()
    circular = circular_publish(circular=draft, actor=incident_manager)
    message = OutboundMessage.objects.get(template="status_circular")
    assert circular.number in message.subject
    assert "Circular body." in message.body_text
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_tampered_confirmation_link_is_refused(db, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(client)
    link = _link(OutboundMessage.objects.get(), "/status/subscribe/confirm/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    payload = signing.loads(token, salt="status_page.subscription.confirm")
    forged = signing.dumps({**payload, "v": [1, 2, 3]}, salt="someone-elses-salt")
    for bad in (link.replace(token, token[:-3] + "xyz"), link.replace(token, forged)):
        response = client.post(bad)
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert StatusSubscription.objects.get().confirmed_at is None


def test_an_expired_confirmation_link_is_refused(db, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        _subscribe(client)
    link = _link(OutboundMessage.objects.get(), "/status/subscribe/confirm/")
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(link)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert StatusSubscription.objects.get().confirmed_at is None


def test_a_tampered_unsubscribe_link_is_refused(db):
    response = Client().post("/status/unsubscribe/not-a-real-token/")
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-email", "services": ["dip"]}, "email"),
        ({"email": EMAIL, "services": []}, "services"),
        ({"email": EMAIL, "services": ["no-such-service"]}, "services"),
    ],
)
def test_bad_subscription_input_is_a_clear_400(db, data, field):
    response = Client().post("/status/subscribe/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert not StatusSubscription.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_the_answer_is_the_same_whether_or_not_the_address_is_known(
    db, django_capture_on_commit_callbacks
):
    """Enumeration-safe: a stranger learns nothing about who subscribes."""
    _confirm(Client(), django_capture_on_commit_callbacks)
    known = _subscribe(Client())
    unknown = _subscribe(Client(), "stranger@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_resubscribing_updates_the_same_row_only_when_confirmed(
    db, django_capture_on_commit_callbacks
):
    """Someone else asking for my address cannot change what I follow: only the confirmed
    link does."""
    subscription = _confirm(Client(), django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        with django_capture_on_commit_callbacks(execute=True):
            _subscribe(Client(), EMAIL, ("lss",))
        assert StatusSubscription.objects.count() == 1
        assert [s.code for s in subscription.services.all()] == ["dip"]
        link = _link(
            OutboundMessage.objects.filter(template="status_subscription_confirm").first(),
            "/status/subscribe/confirm/",
        )
        Client().post(link)
    assert [s.code for s in subscription.services.all()] == ["lss"]


def test_confirmation_mail_to_one_address_is_limited(db, monkeypatch):
    """Abuse: asking again and again mails an address at most once a minute and five times a
    day, with the same answer each time (from many client addresses, say)."""
    monkeypatch.setattr(status_views, "SUBSCRIBE_PER_HOUR", 100)
    client = Client()
    start = timezone.now().replace(hour=9)
    for minute in range(8):
        with time_machine.travel(start + timedelta(minutes=2 * minute)):
            assert _subscribe(client).status_code == 302
            assert _subscribe(client).status_code == 302  # within the minute: held back
    assert OutboundMessage.objects.filter(template="status_subscription_confirm").count() == 5


def test_too_many_requests_from_one_address_are_slowed_down(db):
    client = Client()
    statuses = [_subscribe(client, f"person{n}@example.com").status_code for n in range(12)]
    assert statuses[:10] == [302] * 10
    assert statuses[10:] == [429, 429]
