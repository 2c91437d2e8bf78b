"""TOTP enrolment that cannot fail (§10.5.2): staff without TOTP are sent to the set-up page,
whose secret must not change behind the QR code on screen, whose check allows one step of clock
drift, and which leads on to the page they were going to."""

import re
import time
from urllib.parse import urlencode

import pyotp
import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts import roles
from tests.factories.accounts import DEMO_PASSWORD, UserFactory

ACTIVATE = "/accounts/2fa/totp/activate/"


@pytest.fixture
def new_agent(db):
    """A desk agent who has never set up TOTP."""
    return UserFactory(
        email="nia.new@mhhs.example", is_staff=True, roles=[roles.SERVICE_DESK_AGENT]
    )


@pytest.fixture
def new_agent_client(new_agent):
    """Signed in with the password (a real sign-in: the set-up page asks for a recent one)."""
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": new_agent.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    return client


def _secret_on_page(response) -> str:
    """The secret allauth prints under the QR code (the QR code encodes the same one)."""
    html = response.content.decode()
    match = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', html) or re.search(
        r'value="([A-Z2-7]+)"[^>]*id="authenticator_secret"', html
    )
    assert match, "the secret is not shown on the enrolment page"
    return match.group(1)


def test_enrolment_url_is_the_portal_view():
    """The set-up page is ours (stable secret, `next`), in front of allauth's (§10.5.2)."""
    assert reverse("mfa_activate_totp") == ACTIVATE


def test_first_enrolment_right_after_sign_in_needs_no_second_password(new_agent_client):
    """§10.5.2: the page a new agent is sent to after signing in is the set-up page itself."""
    response = new_agent_client.get(reverse("portal:home"), follow=True)
    assert response.redirect_chain[-1][0].startswith(ACTIVATE)
    assert response.status_code == 200
    assert _secret_on_page(response)


def test_enrolment_long_after_sign_in_asks_for_the_password_again(new_agent_client):
    """§10.5.2: the sign-in stands in for re-authentication only while it is recent."""
    with time_machine.travel(time.time() + 600):
        response = new_agent_client.get(ACTIVATE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_favicon_is_served_not_redirected_to_enrolment(new_agent_client):
    """§10.5.2: the browser's own /favicon.ico request used to be redirected to the set-up page,
    which issued a new secret behind the QR code on screen."""
    first = new_agent_client.get(ACTIVATE)
    secret = new_agent_client.session[SECRET_SESSION_KEY]

    response = new_agent_client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(response.streaming_content)[:4] == b"\x00\x00\x01\x00"  # an ICO header

    response = new_agent_client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert b"<svg" in b"".join(response.streaming_content)

    assert new_agent_client.session[SECRET_SESSION_KEY] == secret
    assert b'rel="icon" href="/static/favicon.svg"' in first.content


def test_static_assets_are_not_redirected_for_staff_without_totp(new_agent_client):
    """§10.5.2: the staff check covers pages, not the assets the enrolment page itself loads."""
    response = new_agent_client.get("/static/css/portal.css")
    assert response.status_code == 200
    response = new_agent_client.get(reverse("portal:home"))
    assert response.status_code == 302 and response.url.startswith(ACTIVATE)


def test_pending_secret_stays_the_same_across_page_loads_and_a_failed_attempt(new_agent_client):
    """§10.5.2: reloading the page or entering a wrong code keeps the secret that was scanned."""
    first = new_agent_client.get(ACTIVATE)
    secret = _secret_on_page(first)
    assert _secret_on_page(new_agent_client.get(ACTIVATE)) == secret

    wrong = new_agent_client.post(ACTIVATE, {"code": "000000"})
    assert wrong.status_code == 200
    assert "code" in wrong.context["form"].errors
    assert _secret_on_page(wrong) == secret
    assert _secret_on_page(new_agent_client.get(ACTIVATE)) == secret

    response = new_agent_client.post(ACTIVATE, {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).count() == 1


def test_sessions_get_secrets_of_their_own(new_agent, new_agent_client):
    """§10.5.2: the stable secret belongs to one enrolment session, not to the account."""
    other = Client()
    other.post(reverse("account_login"), {"login": new_agent.email, "password": DEMO_PASSWORD})
    assert _secret_on_page(other.get(ACTIVATE)) != _secret_on_page(new_agent_client.get(ACTIVATE))


def test_code_one_step_old_is_accepted(new_agent_client):
    """§10.5.2: one 30-second step of clock drift (or a code typed as it rolled over) is
    accepted."""
    secret = _secret_on_page(new_agent_client.get(ACTIVATE))
    code = pyotp.TOTP(secret).at(time.time() - 30)
    response = new_agent_client.post(ACTIVATE, {"code": code})
    assert response.status_code == 302
    assert Authenticator.objects.filter(type=Authenticator.Type.TOTP).exists()


def test_code_two_steps_old_is_refused(new_agent_client):
    """§10.5.2: the drift allowed is one step, no more."""
    secret = _secret_on_page(new_agent_client.get(ACTIVATE))
    totp = pyotp.TOTP(secret)
    code = totp.at(time.time() - 75)
    if code in {totp.at(time.time() + step) for step in (-30, 0, 30)}:
        pytest.skip("the old code happens to equal a current one")
    response = new_agent_client.post(ACTIVATE, {"code": code})
    assert response.status_code == 200
    assert not Authenticator.objects.exists()


# Transactional: allauth marks the session two-factor in an on-commit hook, which must run
# inside the request (as in production) for the session to keep it.
@pytest.mark.django_db(transaction=True)
def test_after_activation_staff_continue_to_where_they_were_going(new_agent_client):
    """§10.5.2: the staff check sends them to set-up with `next`; after set-up they land there,
    with the recovery codes offered in a message, and the session counts as two-factor."""
    going_to = reverse("portal:case_list") + "?state=open"
    response = new_agent_client.get(going_to)
    assert response.status_code == 302
    assert response.url == f"{ACTIVATE}?{urlencode({'next': going_to})}"

    page = new_agent_client.get(response.url)
    assert f'action="{ACTIVATE}?next=' in page.content.decode()
    code = pyotp.TOTP(_secret_on_page(page)).now()
    response = new_agent_client.post(response.url, {"code": code})
    assert response.status_code == 302
    assert response.url == going_to

    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(reverse("mfa_view_recovery_codes") in m for m in shown), shown
    assert Authenticator.objects.filter(type=Authenticator.Type.RECOVERY_CODES).exists()
    assert new_agent_client.get(going_to).status_code == 200
    assert new_agent_client.get(reverse("admin:index")).status_code == 200


def test_after_activation_a_foreign_next_is_not_followed(new_agent_client):
    """§10.5.2: `next` is followed only within the portal (no open redirect); staff go on to
    the console instead (issue 10 point 17)."""
    url = f"{ACTIVATE}?{urlencode({'next': 'https://evil.example/'})}"
    code = pyotp.TOTP(_secret_on_page(new_agent_client.get(url))).now()
    response = new_agent_client.post(url, {"code": code})
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
