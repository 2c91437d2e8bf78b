"""Sign-in (§10.1, §10.5.2): registration with email verification, throttling, and TOTP that
is mandatory for staff, console included."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.conftest import login_client, totp_now
from tests.factories.accounts import DEMO_PASSWORD, UserFactory


def test_self_registration_requires_email_verification(org):
    client = Client()
    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Nell New",
            "email": "new.entrant@example.com",
            "organisation": str(org.pk),
            "password1": "Settlement-2026!",
            "password2": "Settlement-2026!",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="new.entrant@example.com")
    assert user.organisation is None, "attached later by an organisation admin or the desk"
    assert len(mail.outbox) == 1 and "confirm" in mail.outbox[0].subject.lower()
    # Unverified: signing in leads to the verification notice, not the portal.
    response = Client().post(
        reverse("account_login"),
        {"login": "new.entrant@example.com", "password": "Settlement-2026!"},
    )
    assert response.status_code == 302 and "confirm-email" in response.url
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    response = client.post(
        link.split("testserver")[-1] if "testserver" in link else link[link.index("/accounts") :]
    )
    assert response.status_code == 302
    assert user.emailaddress_set.get().verified


def test_failed_sign_ins_are_throttled(org_user, settings):
    """§10.5.2: repeated wrong passwords lock the address out for a while, even with the right one."""
    # A cache of this test's own, so parallel test processes cannot clear its counters.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle-test",
        }
    }
    client = Client()
    for _ in range(5):
        response = client.post(
            reverse("account_login"), {"login": org_user.email, "password": "wrong"}
        )
        assert response.status_code == 200
    response = client.post(
        reverse("account_login"), {"login": org_user.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


def test_participant_signs_in_with_password(org_user):
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": org_user.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(org_user.pk)


def test_staff_sign_in_asks_for_the_totp_code(agent):
    """§10.5.2: staff enter a TOTP code (Microsoft Authenticator compatible) after the password."""
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": agent.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_staff_without_totp_must_set_it_up_before_anything_else(db):
    staff = UserFactory(email="new.agent@mhhs.example", is_staff=True, roles=["Service desk agent"])
    client = login_client(staff)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_activate_totp"))


def test_console_refuses_a_session_without_a_second_factor(agent):
    client = login_client(agent)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    response = client.get(response.url)
    assert response.status_code == 302 and response.url.startswith(reverse("mfa_reauthenticate"))


def test_console_refuses_participants(org_user):
    response = login_client(org_user).get(reverse("admin:index"))
    assert response.status_code == 302


def test_console_admits_staff_who_passed_mfa(agent_client):
    response = agent_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert b"MHHS Service Desk console" in response.content


@pytest.mark.django_db
def test_password_reset_sends_a_link(org_user):
    response = Client().post(reverse("account_reset_password"), {"email": org_user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and org_user.email in mail.outbox[0].to
