"""Staff sign-in without a second password prompt (issue 10 point 17, §10.5.2).

A sign-in marks the session as recently authenticated, so the pages allauth guards with a
re-authentication (setting up TOTP, the recovery codes, removing a factor) do not ask for the
password again straight after it; later they do. After setting up two-factor, and after
signing in, desk staff go straight on to the console."""

import re
import time

import pyotp
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accounts import roles
from tests.conftest import TOTP_SECRET, totp_now
from tests.factories.accounts import DEMO_PASSWORD, UserFactory

ACTIVATE = reverse("mfa_activate_totp")
CONSOLE = reverse("admin:index")
RECOVERY_CODES = reverse("mfa_view_recovery_codes")
REAUTHENTICATE = reverse("account_reauthenticate")
# Removing the authenticator: a page allauth guards with a re-authentication.
DEACTIVATE = reverse("mfa_deactivate_totp")


def _secret_on_page(html: str) -> str:
    match = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', html) or re.search(
        r'value="([A-Z2-7]+)"[^>]*id="authenticator_secret"', html
    )
    assert match, "the secret is not shown on the enrolment page"
    return match.group(1)


@pytest.fixture
def new_agent(db):
    return UserFactory(
        email="nia.new@mhhs.example", is_staff=True, roles=[roles.SERVICE_DESK_AGENT]
    )


def _sign_in(client: Client, email: str):
    return client.post(reverse("account_login"), {"login": email, "password": DEMO_PASSWORD})


# Transactional: allauth records the second factor on commit, which must run inside the request.
@pytest.mark.django_db(transaction=True)
def test_new_agent_signs_in_sets_up_totp_and_lands_in_the_console_with_one_password(new_agent):
    """Point 17: password once, set-up page (not a password form), then the console; the
    recovery codes offered right after open without asking for the password again."""
    client = Client()
    response = _sign_in(client, new_agent.email)
    assert response.status_code == 302 and response.url == CONSOLE

    response = client.get(CONSOLE, follow=True)
    landed = response.redirect_chain[-1][0]
    assert landed.startswith(ACTIVATE), response.redirect_chain
    assert REAUTHENTICATE not in " ".join(url for url, _ in response.redirect_chain)

    code = pyotp.TOTP(_secret_on_page(response.content.decode())).now()
    response = client.post(landed, {"code": code})
    assert response.status_code == 302 and response.url == CONSOLE
    assert client.get(CONSOLE).status_code == 200
    assert client.get(RECOVERY_CODES).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_enrolment_without_a_destination_goes_on_to_the_console(new_agent):
    """Point 17: staff who went to the set-up page by itself (or from the portal's home) are
    taken to the console afterwards, not to the two-factor settings."""
    client = Client()
    _sign_in(client, new_agent.email)
    page = client.get(ACTIVATE)
    assert page.status_code == 200
    response = client.post(
        ACTIVATE, {"code": pyotp.TOTP(_secret_on_page(page.content.decode())).now()}
    )
    assert response.url == CONSOLE


@pytest.mark.django_db(transaction=True)
def test_agent_with_totp_lands_in_the_console_and_is_not_asked_for_the_password_again(agent):
    """Point 17: password and code at sign-in; then the console, and the account's two-factor
    pages, without a second password prompt."""
    client = Client()
    response = _sign_in(client, agent.email)
    assert response.url.startswith(reverse("mfa_authenticate"))
    response = client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    assert response.status_code == 302 and response.url == CONSOLE
    assert client.get(CONSOLE).status_code == 200
    assert client.get(DEACTIVATE).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_long_after_signing_in_a_sensitive_change_asks_for_the_password(agent):
    """§10.5.2: the sign-in stands in for re-authentication only while it is recent."""
    client = Client()
    _sign_in(client, agent.email)
    client.post(reverse("mfa_authenticate"), {"code": totp_now()})
    with time_machine.travel(time.time() + 600):
        response = client.get(DEACTIVATE)
    assert response.status_code == 302
    assert response.url.startswith(REAUTHENTICATE) or response.url.startswith(
        reverse("mfa_reauthenticate")
    )


def test_a_participant_still_lands_on_the_portal(org_user):
    client = Client()
    response = _sign_in(client, org_user.email)
    assert response.status_code == 302 and response.url == reverse("portal:home")


def test_a_staff_sign_in_with_a_destination_keeps_it(agent):
    """`next` wins over the console, as before."""
    going_to = reverse("admin:cases_case_triage_queue")
    client = Client()
    client.post(
        f"{reverse('account_login')}?next={going_to}",
        {"login": agent.email, "password": DEMO_PASSWORD, "next": going_to},
    )
    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert response.url == going_to
