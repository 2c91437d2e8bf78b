"""A new agent's first page is the TOTP set-up page, and the first code from the QR code on
screen is accepted (§10.5.2), in a real browser (Debian chromium driven by Playwright).

The browser fetches the favicon on its own and the person may reload the page; before the fix
either replaced the secret behind the QR code, so the first code was refused."""

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts import roles
from tests.e2e.browser import sign_in
from tests.factories.accounts import DEMO_PASSWORD, UserFactory

ENROLMENT = re.compile(r"/accounts/2fa/totp/activate/")


def _context_signed_in_elsewhere(browser, base: str, user):
    """A browser that has loaded nothing yet, holding the session of a password sign-in made
    outside it: its first page load is then whatever the portal shows first."""
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    context = browser.new_context()
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base,
            }
        ]
    )
    return context


@pytest.mark.parametrize("first_load", ["portal page", "sign-in form"])
def test_new_agent_enrols_on_the_first_code(browser, live_server, first_load):
    """§10.5.2: the new agent is sent to set-up with the page they asked for as `next`; the
    favicon, a reload and the stylesheet leave the secret alone; the first code activates TOTP
    and they land on the page they asked for, with two-factor recorded for the console."""
    base = live_server.url
    agent = UserFactory(
        email="nia.new@mhhs.example", is_staff=True, roles=[roles.SERVICE_DESK_AGENT]
    )
    going_to = "/cases/"
    if first_load == "portal page":
        context = _context_signed_in_elsewhere(browser, base, agent)
        page = context.new_page()
        redirects = []
        page.on(
            "response",
            lambda r: (
                redirects.append(r.url) if ENROLMENT.search(r.headers.get("location", "")) else None
            ),
        )
        page.goto(f"{base}{going_to}")
    else:
        context = browser.new_context()
        page = context.new_page()
        redirects = []
        page.on(
            "response",
            lambda r: (
                redirects.append(r.url) if ENROLMENT.search(r.headers.get("location", "")) else None
            ),
        )
        # Staff who sign in with nowhere in particular to go start in the console (issue 10
        # point 17): set-up, then straight on to it.
        going_to = "/admin/"
        sign_in(page, base, agent.email)

    page.wait_for_url(ENROLMENT)
    page.wait_for_load_state("networkidle")
    secret = page.input_value("#authenticator_secret")
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    # What a browser does by itself, made certain: ask for /favicon.ico with the session.
    favicon = context.request.get(f"{base}/favicon.ico", max_redirects=0)
    assert favicon.status == 200 and favicon.body()[:4] == b"\x00\x00\x01\x00"
    page.reload()
    page.wait_for_load_state("networkidle")
    assert page.input_value("#authenticator_secret") == secret
    # Only the navigation itself was sent to set-up: no asset or favicon request was.
    assert [url.removeprefix(base) for url in redirects] == [going_to]

    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.locator("form:has(input[name=code]) [type=submit]").first.click()
    page.wait_for_url(f"{base}{going_to}")

    assert Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).exists()
    assert "Recovery codes" in page.content()
    page.goto(f"{base}/admin/")
    assert "MHHS Service Desk console" in page.content()
    context.close()
