"""Registration to first case in a real browser (§10.1, §10.5.2; issue 10 point 9): a new
participant signs up with their name and organisation, confirms the address from the email,
sets up an authenticator app, waits on the "waiting for approval" page, their organisation's
admin approves them, and they sign in with their TOTP code and raise their first case."""

import re
import time

import pyotp
from django.core import mail

from accounts import roles
from accounts.models import RegistrationRequest, User
from cases.models import Case
from tests.e2e.browser import sign_in
from tests.factories.accounts import UserFactory

PASSWORD = "Settlement-2026!"
EMAIL = "nell.new@example.com"


def _confirmation_link(timeout: float = 10.0) -> str:
    """The link in the confirmation email the live server sent (locmem outbox)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mail.outbox:
            if message.to == [EMAIL]:
                found = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
                if found:
                    return found.group(0)
        time.sleep(0.1)
    raise AssertionError("no confirmation email was sent")


def test_registration_to_first_case_with_two_factor_and_approval(browser, live_server, org):
    base = live_server.url
    admin = UserFactory(
        email="oona.admin@example.com",
        full_name="Oona Admin",
        organisation=org,
        roles=[roles.ORGANISATION_ADMIN],
    )

    # 1. Sign up with name and organisation (a choice of the registered organisations).
    person = browser.new_context().new_page()
    person.goto(f"{base}/accounts/signup/")
    assert "Microsoft Authenticator" in person.content()
    person.fill("input[name=full_name]", "Nell New")
    person.fill("input[name=email]", EMAIL)
    person.select_option("select[name=organisation]", label=org.name)
    person.fill("input[name=password1]", PASSWORD)
    person.fill("input[name=password2]", PASSWORD)
    person.get_by_role("button", name="Register").click()
    person.wait_for_url(re.compile(r"/accounts/confirm-email/$"))

    # 2. Confirm the address with the link from the email, which names the service.
    link = _confirmation_link()
    email = next(message for message in mail.outbox if message.to == [EMAIL])
    assert "MHHS Service Desk" in email.body and "MHHS Service Desk" in email.subject
    person.goto(link)
    person.get_by_role("button", name="Confirm").click()

    # 3. Straight on to setting up Microsoft Authenticator (no second password prompt).
    person.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    assert "Microsoft Authenticator" in person.content()
    secret = person.input_value("#authenticator_secret")
    person.fill("input[name=code]", pyotp.TOTP(secret).now())
    person.locator("form:has(input[name=code]) [type=submit]").first.click()

    # 4. The waiting-for-approval page, and nothing else of the portal.
    person.wait_for_url(f"{base}/accounts/registration/")
    assert "Your registration is waiting for approval" in person.content()
    assert org.name in person.content()
    person.goto(f"{base}/cases/new/")
    person.wait_for_url(f"{base}/accounts/registration/")
    user = User.objects.get(email=EMAIL)
    assert user.registration_request.status == RegistrationRequest.Status.PENDING

    # 5. The organisation's admin approves the registration on their Members page.
    admin_page = browser.new_context().new_page()
    sign_in(admin_page, base, admin.email)
    admin_page.wait_for_url(f"{base}/")
    admin_page.goto(f"{base}/organisation/members/")
    row = admin_page.locator(f"#registration-{user.registration_request.pk}")
    assert "Nell New" in row.inner_text()
    row.get_by_role("button", name=f"Approve {EMAIL}").click()
    admin_page.wait_for_url(f"{base}/organisation/members/")
    assert f"{EMAIL} is now a member of {org.name}" in admin_page.content()
    user.refresh_from_db()
    assert user.organisation == org
    assert any(message.to == [EMAIL] and "approved" in message.subject for message in mail.outbox)

    # 6. The participant signs in again, with their password and a code from the app…
    person.get_by_role("button", name="Sign out").click()
    person.goto(f"{base}/accounts/login/")
    person.fill("input[name=login]", EMAIL)
    person.fill("input[name=password]", PASSWORD)
    person.locator("form:has(input[name=login]) [type=submit]").first.click()
    person.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    # The next step's code: the one used to activate cannot be used twice.
    person.fill("input[name=code]", pyotp.TOTP(secret).at(time.time() + 30))
    person.locator("form:has(input[name=code]) [type=submit]").first.click()
    person.wait_for_url(f"{base}/")

    # 7. …and raises their first case.
    person.get_by_role("link", name="Raise a case").first.click()
    person.wait_for_url(f"{base}/cases/new/")
    person.fill("input[name=party_id]", "NPSU")
    person.select_option("select[name=category]", label="Market Systems")
    person.fill("input[name=short_description]", "First case: DIP access")
    person.fill("textarea[name=description]", "We cannot reach the DIP since this morning.")
    person.get_by_role("button", name="Raise case").click()
    person.wait_for_url(re.compile(r"/cases/CS\d{7}/$"))
    number = re.search(r"CS\d{7}", person.url).group(0)
    case = Case.objects.get(number=number)
    assert case.caller == user and case.organisation == org
    assert number in person.content()
