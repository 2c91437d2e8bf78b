"""The security event log (§10.5.3, §12): sign-ins, two-factor, role changes, with actor, time
and address; written by `security_event_record`, read by service managers, edited by nobody."""

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts import roles
from accounts.audit import security_event_record
from accounts.models import SecurityEvent
from tests.conftest import TOTP_SECRET, mfa_client, totp_now
from tests.factories.accounts import DEMO_PASSWORD, UserFactory


@pytest.fixture
def service_manager(db):
    user = UserFactory(
        email="sid.service@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER]
    )
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def superuser(db):
    from accounts.models import User

    user = User.objects.create_superuser("root@mhhs.example", DEMO_PASSWORD)
    TOTP.activate(user, TOTP_SECRET)
    return user


def test_record_takes_address_and_browser_from_the_request(org_user, agent):
    """§10.5.3: each entry has the actor, the time and the address."""
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="x" * 1000)
    request.user = agent

    event = security_event_record(
        kind=SecurityEvent.Kind.ROLE_CHANGED, actor=agent, subject=org_user, request=request
    )

    event.refresh_from_db()
    assert event.ip_address == "203.0.113.7"
    assert event.actor == agent and event.subject == org_user
    assert len(event.user_agent) == SecurityEvent.USER_AGENT_MAX
    assert event.occurred_at is not None


def test_record_without_a_request_stores_no_address(org_user):
    """§10.5.3: a command or task has no request; the event is still recorded."""
    event = security_event_record(kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED, subject=org_user)

    assert event.pk and event.ip_address is None and event.actor is None


def test_a_recorded_event_cannot_be_changed(org_user):
    """§10.5.3: the log is never editable, whatever the path."""
    event = security_event_record(kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED, subject=org_user)
    event.detail = "tampered"
    with pytest.raises(ValueError):
        event.save()
    event.refresh_from_db()
    assert event.detail == ""


def test_record_refuses_an_unknown_kind(org_user):
    with pytest.raises(ValueError):
        security_event_record(kind="made_up", subject=org_user)


def test_forwarded_address_is_read_only_behind_configured_proxies(org_user, settings):
    """§10.5.3 with issue 7 point 6: X-Forwarded-For is trusted only from configured proxies,
    the same rule sign-in throttling uses."""
    factory = RequestFactory()
    spoofed = factory.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert (
        security_event_record(kind=SecurityEvent.Kind.SIGN_IN_FAILED, request=spoofed).ip_address
        == "10.0.0.1"
    )

    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert (
        security_event_record(kind=SecurityEvent.Kind.SIGN_IN_FAILED, request=spoofed).ip_address
        == "198.51.100.9"
    )


def test_successful_sign_in_is_logged_with_the_address(org_user):
    """§10.5.3: sign-in success."""
    Client(REMOTE_ADDR="192.0.2.10").post(
        reverse("account_login"), {"login": org_user.email, "password": DEMO_PASSWORD}
    )

    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN_SUCCEEDED)
    assert event.subject == org_user and event.actor == org_user
    assert event.ip_address == "192.0.2.10"


def test_failed_sign_in_is_logged_with_the_typed_address(org_user):
    """§10.5.3: sign-in failure, for a known account and for an unknown address."""
    client = Client(REMOTE_ADDR="192.0.2.11")
    client.post(reverse("account_login"), {"login": org_user.email, "password": "wrong"})
    client.post(reverse("account_login"), {"login": "nobody@example.com", "password": "wrong"})

    events = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGN_IN_FAILED).order_by("pk")
    assert [(e.email, e.subject) for e in events] == [
        (org_user.email, org_user),
        ("nobody@example.com", None),
    ]
    assert all(e.ip_address == "192.0.2.11" and e.actor is None for e in events)


def test_wrong_two_factor_code_is_logged_as_a_failed_sign_in(agent):
    """§10.5.2, §10.5.3: a wrong TOTP code after the right password is a failed sign-in."""
    client = Client()
    client.post(reverse("account_login"), {"login": agent.email, "password": DEMO_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": "000000"})

    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.SIGN_IN_FAILED)
    assert event.subject == agent and "two-factor" in event.detail
    assert not SecurityEvent.objects.filter(kind=SecurityEvent.Kind.SIGN_IN_SUCCEEDED).exists()

    client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.SIGN_IN_SUCCEEDED, subject=agent
    ).exists()


def test_two_factor_set_up_is_logged(db, django_capture_on_commit_callbacks):
    """§10.5.3: two-factor set-up, through the enrolment page."""
    staff = UserFactory(email="new.agent@mhhs.example", is_staff=True)
    client = Client()
    client.post(reverse("account_login"), {"login": staff.email, "password": DEMO_PASSWORD})
    client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]

    # allauth announces the new authenticator after commit.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 302
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.MFA_ENABLED).first()
    assert event is not None and event.subject == staff and event.actor == staff


def test_two_factor_removal_is_logged(org_user, django_capture_on_commit_callbacks):
    """§10.5.3: two-factor removal (a participant may set TOTP up and take it off again)."""
    TOTP.activate(org_user, TOTP_SECRET)
    client = Client(REMOTE_ADDR="192.0.2.12")
    client.post(reverse("account_login"), {"login": org_user.email, "password": DEMO_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    client.post(reverse("account_reauthenticate"), {"password": DEMO_PASSWORD})

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.MFA_REMOVED, detail__contains="TOTP")
    assert event.subject == org_user and event.actor == org_user
    assert event.ip_address == "192.0.2.12"


def test_group_change_in_the_console_is_logged_with_the_actor(superuser, org_user):
    """§10.5.3: role changes (groups) with the person who made them."""
    client = mfa_client(superuser)
    admin_group = Group.objects.get(name=roles.ORGANISATION_ADMIN)
    org_user.groups.add(admin_group)  # no request: recorded without an actor
    SecurityEvent.objects.all().delete()

    org_user.groups.remove(admin_group)
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ROLE_CHANGED)
    assert event.subject == org_user and event.actor is None
    assert "Removed from Organisation admin" in event.detail
    assert client  # the console path is covered in tests/console/test_console_security_log.py


def test_group_change_from_the_group_side_is_logged(org_user):
    """§10.5.3: adding people to a group (the reverse side) is a role change too."""
    group = Group.objects.get(name=roles.ORGANISATION_ADMIN)
    group.user_set.add(org_user)

    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.ROLE_CHANGED).latest("pk")
    assert event.subject == org_user and "Added to Organisation admin" in event.detail
