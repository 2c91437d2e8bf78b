"""Registration (§10.1, issue 10 point 9): sign-up asks for the name and the organisation (a
registered one, or "not listed" with its name); the address is confirmed by an email that names
the service; the person sets up an authenticator app before anything else; until approved they
see where their registration stands; an organisation admin or the desk approves (attaching
them) or refuses it with a reason, and the person is told either way."""

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.models import RegistrationRequest, SecurityEvent, User
from accounts.selectors import pending_registrations_for
from accounts.services import (
    registration_approve,
    registration_refuse,
    registration_request_create,
    user_attach_to_organisation,
)
from comms.centre import EVENTS
from comms.models import Notification, OutboundMessage
from core.errors import ActionNotPermitted, ValidationFailed
from tests.conftest import TOTP_SECRET, login_client, mfa_client
from tests.factories.accounts import UserFactory

SIGNUP = reverse("account_signup")
STATUS = reverse("account_registration_status")
ACTIVATE = reverse("mfa_activate_totp")
MEMBERS = reverse("portal:organisation_members")
PASSWORD = "Settlement-2026!"


def signup_data(**overrides) -> dict:
    data = {
        "full_name": "Nell New",
        "email": "nell.new@example.com",
        "organisation": "",
        "organisation_name": "",
        "password1": PASSWORD,
        "password2": PASSWORD,
    }
    data.update(overrides)
    return data


def registered(email: str, organisation=None, *, name: str = "", complete: bool = True):
    """A participant who registered for `organisation` (or one not listed, `name`); complete
    means the address is verified (the factory does that) and TOTP is set up."""
    user = UserFactory(email=email)
    if complete:
        TOTP.activate(user, TOTP_SECRET)
    registration_request_create(
        user=user,
        full_name=email.split("@")[0].replace(".", " ").title(),
        organisation=organisation,
        organisation_name=name,
    )
    return user.registration_request


@pytest.fixture
def org_admin(org):
    return UserFactory(
        email="oona.admin@example.com", organisation=org, roles=[roles.ORGANISATION_ADMIN]
    )


# --- the sign-up form ---------------------------------------------------------------------------


def test_signup_asks_for_name_and_a_registered_organisation(org, unrelated_org):
    """§10.1: the form offers the registered organisations and "not listed"; the choice is
    recorded as the registration request, waiting for approval."""
    page = Client().get(SIGNUP)
    html = page.content.decode()
    for label in ("Full name", "Organisation", "My organisation is not listed"):
        assert label in html
    assert f'<option value="{org.pk}">{org.name}</option>' in html
    assert "Microsoft Authenticator" in html

    response = Client().post(SIGNUP, signup_data(organisation=str(org.pk)))
    assert response.status_code == 302
    user = User.objects.get(email="nell.new@example.com")
    assert user.full_name == "Nell New"
    assert user.organisation is None, "attached only when approved"
    registration = user.registration_request
    assert registration.organisation == org
    assert registration.organisation_name == ""
    assert registration.status == RegistrationRequest.Status.PENDING


def test_signup_with_an_organisation_not_listed_needs_its_name(db):
    """§10.1: "My organisation is not listed" comes with the organisation's name."""
    response = Client().post(SIGNUP, signup_data(organisation="not-listed"))
    assert response.status_code == 200
    assert response.context["form"].errors["organisation_name"]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not User.objects.exists()

    response = Client().post(
        SIGNUP, signup_data(organisation="not-listed", organisation_name="  Sunny   Volts Ltd ")
    )
    assert response.status_code == 302
    registration = RegistrationRequest.objects.get()
    assert registration.organisation is None
    assert registration.organisation_name == "Sunny Volts Ltd"


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [("full_name", "", "full_name"), ("organisation", "", "organisation")],
)
def test_signup_without_name_or_organisation_is_refused_next_to_the_field(
    db, field, value, error_field
):
    response = Client().post(SIGNUP, signup_data(**{field: value}))
    assert response.status_code == 200
    assert response.context["form"].errors[error_field]
    assert not User.objects.exists() and not RegistrationRequest.objects.exists()


def test_retired_organisation_is_not_offered_or_accepted(org):
    """Only registered (active) organisations can be chosen."""
    org.active = False
    org.save()
    assert f'value="{org.pk}"' not in Client().get(SIGNUP).content.decode()
    response = Client().post(SIGNUP, signup_data(organisation=str(org.pk)))
    assert response.status_code == 200
    assert response.context["form"].errors["organisation"]


def test_verification_email_names_the_service_not_the_host_and_port(org):
    """Issue 10 point 9: the email says "MHHS Service Desk"; the host and port appear only in
    the link itself."""
    client = Client(HTTP_HOST="127.0.0.1:8000")
    client.post(SIGNUP, signup_data(organisation=str(org.pk)))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject.startswith("[MHHS Service Desk] ")
    assert "MHHS Service Desk" in message.body
    assert "Microsoft Authenticator" in message.body
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body).group(0)
    assert "127.0.0.1" not in message.body.replace(link, "")
    assert "127.0.0.1" not in message.subject


# --- confirm, set up the authenticator, wait ----------------------------------------------------


# Transactional: allauth records the second factor on commit, as in production.
@pytest.mark.django_db(transaction=True)
def test_after_confirming_the_address_the_next_step_is_the_authenticator_then_the_wait(org):
    """§10.1, §10.5.2: confirming the address signs the person in and sends them straight to
    set up Microsoft Authenticator (no second password prompt), then to the waiting page."""
    client = Client()
    client.post(SIGNUP, signup_data(organisation=str(org.pk)))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    response = client.post(link[link.index("/accounts") :], follow=True)
    assert response.redirect_chain[-1][0] == f"{ACTIVATE}?next=%2Faccounts%2Fregistration%2F"
    html = response.content.decode()
    assert "Microsoft Authenticator" in html
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', html) or re.search(
        r'value="([A-Z2-7]+)"[^>]*id="authenticator_secret"', html
    )

    response = client.post(
        response.redirect_chain[-1][0], {"code": pyotp.TOTP(secret.group(1)).now()}, follow=True
    )
    assert response.redirect_chain[-1][0] == STATUS
    html = response.content.decode()
    assert "Your registration is waiting for approval" in html
    assert org.name in html
    user = User.objects.get(email="nell.new@example.com")
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_a_registration_without_an_authenticator_is_sent_to_set_one_up(org):
    """§10.5.2: setting up the authenticator app is part of registering; nothing else first."""
    registration = registered("nia.new@example.com", org, complete=False)
    client = login_client(registration.user)
    for path in (reverse("portal:home"), reverse("portal:case_list"), STATUS):
        response = client.get(path, follow=True)
        assert response.redirect_chain[-1][0].startswith(ACTIVATE), path


@pytest.mark.parametrize(
    "path",
    [
        reverse("portal:home"),
        reverse("portal:case_list"),
        reverse("portal:case_create"),
        reverse("comms:notification_list"),
    ],
)
def test_until_approved_every_portal_page_leads_to_the_waiting_page(org, path):
    """§10.1: a clear "waiting for approval" page rather than an empty portal."""
    registration = registered("nia.new@example.com", org)
    response = login_client(registration.user).get(path)
    assert response.status_code == 302
    assert response.url == STATUS


def test_waiting_page_says_what_happens_next_and_hides_the_portal_navigation(org):
    registration = registered("nia.new@example.com", org)
    response = login_client(registration.user).get(STATUS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your registration is waiting for approval" in html
    assert f"An organisation admin of {org.name}, or the service desk" in html
    assert "We email you when your registration is approved" in html
    assert reverse("portal:case_create") not in html, "no Raise a case link before approval"


def test_a_registration_for_an_organisation_not_listed_waits_for_the_desk(db):
    registration = registered("sol.sunny@example.com", name="Sunny Volts Ltd")
    html = login_client(registration.user).get(STATUS).content.decode()
    assert "Sunny Volts Ltd (not in our list)" in html
    assert "The service desk checks your organisation" in html


def test_a_refused_registration_shows_the_reason(org, agent):
    registration = registered("nia.new@example.com", org)
    registration_refuse(registration=registration, actor=agent, reason="Not one of our staff.")
    response = login_client(registration.user).get(reverse("portal:home"), follow=True)
    html = response.content.decode()
    assert "Your registration was not approved" in html
    assert "Not one of our staff." in html


def test_posting_before_approval_is_still_refused(org):
    """Only page loads lead to the waiting page; a form post reaches its view, which refuses."""
    registration = registered("nia.new@example.com", org)
    response = login_client(registration.user).post(
        reverse("portal:case_create"), {"short_description": "Let me in"}
    )
    assert response.status_code == 403


def test_attached_participants_and_staff_never_see_the_waiting_page(org_client, agent_client):
    assert org_client.get(reverse("portal:home")).status_code == 200
    assert org_client.get(STATUS).url == reverse("portal:home")
    assert agent_client.get(reverse("portal:home")).status_code == 200


def test_the_attached_participants_pages_cost_no_query_for_the_gate(org_client):
    """docs/conventions.md §7: the gate reads only the user already loaded."""
    home = reverse("portal:home")
    org_client.get(home)
    with CaptureQueriesContext(connection) as counted:
        org_client.get(home)
    queries = " ".join(query["sql"] for query in counted.captured_queries)
    assert "accounts_registrationrequest" not in queries


# --- the organisation admin's pending list -------------------------------------------------------


def test_org_admin_sees_complete_registrations_for_their_organisations_only(
    org_admin, org, sibling_org, parent_org
):
    """§10.1, §10.4: requests naming the admin's organisation (or one below it), finished
    (address verified, authenticator set up); not another organisation's, not unfinished."""
    waiting = registered("nia.new@example.com", org)
    registered("una.unfinished@example.com", org, complete=False)
    registered("sib.ling@example.com", sibling_org)
    registered("pa.rent@example.com", parent_org)
    registered("sol.sunny@example.com", name="Sunny Volts Ltd")
    response = login_client(org_admin).get(MEMBERS)
    assert [r.pk for r in response.context["registrations"]] == [waiting.pk]
    html = response.content.decode()
    assert "Registrations waiting for your approval" in html
    assert "nia.new@example.com" in html and "una.unfinished" not in html
    assert reverse("portal:organisation_registration_approve", args=[waiting.pk]) in html


def test_someone_who_asked_for_an_organisation_is_not_also_listed_by_email_domain(org_admin, org):
    org.email_domains = "npsupply.example"
    org.save()
    UserFactory(email="dom.ain@npsupply.example")
    registered("asked@npsupply.example", org)
    assert [u.email for u in pending_registrations_for(org_admin)] == ["dom.ain@npsupply.example"]


def test_org_admin_approves_a_registration_and_the_person_is_told(
    org_admin, org, django_capture_on_commit_callbacks, mailoutbox
):
    """§10.1: approving attaches the person (Service user role) and emails them."""
    registration = registered("nia.new@example.com", org)
    client = login_client(org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:organisation_registration_approve", args=[registration.pk]),
            {"organisation": org.pk},
        )
    assert response.status_code == 302
    registration.refresh_from_db()
    user = registration.user
    user.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED
    assert registration.decided_by == org_admin
    assert user.organisation == org
    assert user.groups.filter(name=roles.SERVICE_USER).exists()
    message = OutboundMessage.objects.get(template="registration_approved")
    assert message.to_email == user.email
    assert [m.subject for m in mailoutbox] == [message.subject]
    assert Notification.objects.filter(user=user, event="registration_approved").exists()
    page = client.get(MEMBERS).content.decode()
    assert "nia.new@example.com is now a member of Northern Power Supply" in page
    # Once approved, the portal is theirs.
    assert login_client(user).get(reverse("portal:home")).status_code == 200


def test_org_admin_refuses_with_a_reason_and_the_email_carries_no_typed_words(
    org_admin, org, django_capture_on_commit_callbacks
):
    """§10.1, §10.5.5: the reason is read in the portal; the email only says there is one."""
    registration = registered("nia.new@example.com", org)
    client = login_client(org_admin)
    url = reverse("portal:organisation_registration_refuse", args=[registration.pk])

    response = client.post(url, {"reason": "  "})
    assert response.status_code == 400
    assert response.context["refuse_form"].errors["reason"]
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and '<details class="disclosure" open>' in html

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Left the company in March."})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.REFUSED
    assert registration.refusal_reason == "Left the company in March."
    assert registration.user.organisation_id is None
    message = OutboundMessage.objects.get(template="registration_refused")
    assert "Left the company" not in message.body_text + message.body_html + message.subject
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.REGISTRATION_REFUSED, subject=registration.user, actor=org_admin
    ).exists()


def test_org_admin_cannot_decide_another_organisations_registration(org_admin, sibling_org):
    """§10.4: another organisation's registration is indistinguishable from none (404)."""
    registration = registered("sib.ling@example.com", sibling_org)
    client = login_client(org_admin)
    for action in ("approve", "refuse"):
        url = reverse(f"portal:organisation_registration_{action}", args=[registration.pk])
        response = client.post(url, {"organisation": sibling_org.pk, "reason": "No"})
        assert response.status_code == 404
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.PENDING


def test_a_service_user_cannot_decide_registrations(org_client, org):
    registration = registered("nia.new@example.com", org)
    url = reverse("portal:organisation_registration_approve", args=[registration.pk])
    assert org_client.post(url, {"organisation": org.pk}).status_code == 403


def test_approving_to_an_organisation_outside_the_tree_is_refused_on_the_page(
    org_admin, org, unrelated_org
):
    registration = registered("nia.new@example.com", org)
    response = login_client(org_admin).post(
        reverse("portal:organisation_registration_approve", args=[registration.pk]),
        {"organisation": unrelated_org.pk},
    )
    assert response.status_code == 400
    assert f'id="registration-{registration.pk}-error"' in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.PENDING


# --- the services ---------------------------------------------------------------------------------


def test_an_unfinished_registration_cannot_be_approved(org, agent):
    registration = registered("una.unfinished@example.com", org, complete=False)
    with pytest.raises(ValidationFailed, match="Microsoft Authenticator"):
        registration_approve(registration=registration, actor=agent)


def test_a_decided_registration_cannot_be_decided_again(org, agent):
    registration = registered("nia.new@example.com", org)
    registration_refuse(registration=registration, actor=agent, reason="Unknown to us.")
    with pytest.raises(ValidationFailed, match="already been refused"):
        registration_approve(registration=registration, actor=agent)
    with pytest.raises(ValidationFailed, match="already been refused"):
        registration_refuse(registration=registration, actor=agent, reason="Again")


def test_a_registration_not_listed_is_the_desks_to_decide(org_admin, agent, org):
    registration = registered("sol.sunny@example.com", name="Sunny Volts Ltd")
    with pytest.raises(ActionNotPermitted):
        registration_refuse(registration=registration, actor=org_admin, reason="No")
    with pytest.raises(ValidationFailed, match="Choose the organisation"):
        registration_approve(registration=registration, actor=agent)
    registration = registration_approve(registration=registration, actor=agent, organisation=org)
    assert registration.status == RegistrationRequest.Status.APPROVED
    assert User.objects.get(pk=registration.user_id).organisation == org


def test_attaching_by_any_path_answers_the_registration(
    org_admin, org, django_capture_on_commit_callbacks
):
    """The attach form or the console's user page approve a waiting registration too, and the
    person is told once."""
    registration = registered("nia.new@example.com", org)
    with django_capture_on_commit_callbacks(execute=True):
        user_attach_to_organisation(user=registration.user, organisation=org, actor=org_admin)
        user_attach_to_organisation(user=registration.user, organisation=org, actor=org_admin)
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED
    assert OutboundMessage.objects.filter(template="registration_approved").count() == 1


@pytest.mark.parametrize("event", ["registration_approved", "registration_refused"])
def test_registration_answers_cannot_be_switched_off(event):
    """§10.1: the person is emailed either way."""
    assert EVENTS[event].mandatory


# --- the desk's list in the console ---------------------------------------------------------------


CONSOLE_LIST = reverse("admin:accounts_registrationrequest_changelist")


def decide_url(registration) -> str:
    return reverse("admin:accounts_registrationrequest_decide", args=[registration.pk])


def test_the_desk_sees_waiting_registrations_in_the_console(agent_client, org):
    waiting = registered("nia.new@example.com", org)
    sunny = registered("sol.sunny@example.com", name="Sunny Volts Ltd")
    decided = registered("old.one@example.com", org)
    decided.status = RegistrationRequest.Status.APPROVED
    decided.save()
    response = agent_client.get(CONSOLE_LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert decide_url(waiting) in html and decide_url(sunny) in html
    assert "Sunny Volts Ltd (not listed)" in html
    assert decide_url(decided) not in html, "the list opens on the waiting ones"
    assert decide_url(decided) in agent_client.get(CONSOLE_LIST, {"status": "all"}).content.decode()
    # The console's navigation leads here.
    assert CONSOLE_LIST in agent_client.get(reverse("admin:index")).content.decode()


def test_the_desk_approves_a_registration_not_listed_by_choosing_the_organisation(
    agent, agent_client, unrelated_org, django_capture_on_commit_callbacks
):
    registration = registered("sol.sunny@example.com", name="Sunny Volts Ltd")
    url = decide_url(registration)
    page = agent_client.get(url)
    assert page.status_code == 200
    assert "Sunny Volts Ltd" in page.content.decode()

    response = agent_client.post(url, {"decision": "approve", "organisation": ""})
    assert response.status_code == 400
    assert response.context["approve_form"].errors["organisation"]

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url, {"decision": "approve", "organisation": unrelated_org.pk})
    assert response.status_code == 302 and response.url == CONSOLE_LIST
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.APPROVED
    assert registration.decided_by == agent
    assert User.objects.get(pk=registration.user_id).organisation == unrelated_org
    assert OutboundMessage.objects.filter(template="registration_approved").exists()


def test_the_desk_refuses_with_a_reason_next_to_the_field(agent_client, org):
    registration = registered("nia.new@example.com", org)
    url = decide_url(registration)
    response = agent_client.post(url, {"decision": "refuse", "reason": ""})
    assert response.status_code == 400
    assert response.context["refuse_form"].errors["reason"]
    response = agent_client.post(url, {"decision": "refuse", "reason": "Duplicate account."})
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.REFUSED


def test_an_unfinished_registration_is_not_approved_from_the_console(agent_client, org):
    registration = registered("una.unfinished@example.com", org, complete=False)
    response = agent_client.post(
        decide_url(registration), {"decision": "approve", "organisation": org.pk}
    )
    assert response.status_code == 400
    assert "Microsoft Authenticator" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == RegistrationRequest.Status.PENDING


def test_staff_without_the_permission_cannot_decide(resolver, org):
    registration = registered("nia.new@example.com", org)
    client = mfa_client(resolver)
    assert client.get(CONSOLE_LIST).status_code == 403
    assert (
        client.post(decide_url(registration), {"decision": "refuse", "reason": "x"}).status_code
        == 403
    )
