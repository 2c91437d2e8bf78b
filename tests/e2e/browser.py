"""Sign-in steps every browser journey repeats, and where Debian's chromium lives."""

import os
import re

from tests.conftest import totp_now
from tests.factories.accounts import DEMO_PASSWORD

CHROMIUM = os.environ.get("PLAYWRIGHT_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags chromium keeps dialling out on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def sign_in(page, base_url: str, email: str) -> None:
    """The allauth sign-in form with the demo password."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form:has(input[name=login]) [type=submit]").first.click()


def sign_in_with_totp(page, base_url: str, email: str) -> None:
    """Staff: password, then the TOTP code (§10.5.2)."""
    sign_in(page, base_url, email)
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_now())
    page.locator("form:has(input[name=code]) [type=submit]").first.click()
