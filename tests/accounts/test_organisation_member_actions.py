"""What an organisation admin may do with accounts (§10.1 registration, §10.4 organisation
tree, §10.5.3 audit): attach participants only, detach, deactivate, appoint another admin, see
pending registrations on the organisation's domains; every action is a security event."""

import importlib

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.apps import apps as django_apps
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.models import SecurityEvent, User
from accounts.services import (
    NOT_ATTACHABLE,
    organisation_admin_appoint,
    registration_request_create,
    user_attach_to_organisation,
    user_deactivate,
    user_detach_from_organisation,
)
from core.errors import ActionNotPermitted, ValidationFailed
from tests.conftest import TOTP_SECRET
from tests.factories.accounts import DEMO_PASSWORD, UserFactory

MEMBERS = reverse("portal:organisation_members")


def detach_url(user):
    return reverse("portal:organisation_member_detach", args=[user.pk])


def deactivate_url(user):
    return reverse("portal:organisation_member_deactivate", args=[user.pk])


def appoint_url(user):
    return reverse("portal:organisation_member_appoint_admin", args=[user.pk])


def client_for(user) -> Client:
    client = Client(REMOTE_ADDR="198.51.100.20")
    client.force_login(user)
    return client


@pytest.fixture
def org_admin(org):
    return UserFactory(
        email="olive.admin@example.com", organisation=org, roles=[roles.ORGANISATION_ADMIN]
    )


@pytest.fixture
def parent_admin(parent_org):
    return UserFactory(
        email="ada.admin@example.com", organisation=parent_org, roles=[roles.ORGANISATION_ADMIN]
    )


@pytest.fixture
def newcomer(db):
    return UserFactory(email="nia.new@npsupply.example", full_name="Nia New")


@pytest.fixture
def mail_gateway(db):
    user = UserFactory(
        email="mail-gateway@mhhs.example", kind=User.Kind.INTEGRATION, roles=[roles.INTEGRATION]
    )
    return user


def events(kind):
    return list(SecurityEvent.objects.filter(kind=kind).order_by("pk"))


# --- attach: participants only, no enumeration -------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "mail_gateway"])
def test_org_admin_cannot_attach_a_desk_or_integration_account(request, who, org_admin, org):
    """Issue 7 point 3: a desk agent or the mail gateway attached to a participant organisation
    would see the portal as a participant (and break inbound email, §10.2)."""
    target = request.getfixturevalue(who)
    response = client_for(org_admin).post(MEMBERS, {"email": target.email, "organisation": org.pk})

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [NOT_ATTACHABLE]
    target.refresh_from_db()
    assert target.organisation is None
    assert not target.groups.filter(name=roles.SERVICE_USER).exists()


@pytest.mark.parametrize("who", ["agent", "mail_gateway"])
def test_desk_cannot_attach_a_desk_or_integration_account_either(request, who, agent, org):
    """Only participant accounts belong to an organisation, whoever acts (§10.1)."""
    target = request.getfixturevalue(who)
    with pytest.raises(ValidationFailed, match="only participant accounts"):
        user_attach_to_organisation(user=target, organisation=org, actor=agent)
    target.refresh_from_db()
    assert target.organisation is None


def test_unknown_foreign_staff_and_unverified_addresses_get_the_same_words(
    org_admin, org, other_org_user, agent, mail_gateway
):
    """Issue 7 point 7: the form does not reveal who has an account, who belongs to another
    organisation, or that an address is a desk account."""
    unverified = UserFactory(email="una.verified@example.com")
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    client = client_for(org_admin)
    pages = [
        client.post(MEMBERS, {"email": email, "organisation": org.pk})
        for email in (
            "nobody@example.com",
            other_org_user.email,
            agent.email,
            mail_gateway.email,
            unverified.email,
        )
    ]

    assert {page.status_code for page in pages} == {400}
    assert all(page.context["form"].errors.get("email") == [NOT_ATTACHABLE] for page in pages)
    for page in pages:
        html = page.content.decode()
        assert "another organisation" not in html and "staff" not in html.lower()


def test_attaching_records_a_security_event_with_the_address(org_admin, newcomer, org):
    """§10.5.3: the attach is logged with actor, subject and address."""
    response = client_for(org_admin).post(
        MEMBERS, {"email": newcomer.email, "organisation": org.pk}
    )

    assert response.status_code == 302
    (event,) = events(SecurityEvent.Kind.ACCOUNT_ATTACHED)
    assert (event.actor, event.subject, event.ip_address) == (org_admin, newcomer, "198.51.100.20")
    assert org.name in event.detail


# --- pending registrations ---------------------------------------------------------------------


def test_pending_registrations_show_verified_unattached_participants_on_the_domains(
    org_admin, org, newcomer, other_org_user, agent
):
    """§10.1: people who registered and verified an address on the organisation's domains
    wait for an admin; nobody else is listed."""
    org.email_domains = "npsupply.example, @NPSupply-Metering.example"
    org.save()
    on_second_domain = UserFactory(email="max.meter@npsupply-metering.example")
    unverified = UserFactory(email="una.verified@npsupply.example")
    EmailAddress.objects.filter(user=unverified).update(verified=False)
    UserFactory(email="dee.deactivated@npsupply.example", is_active=False)
    UserFactory(email="stan.staff@npsupply.example", is_staff=True)
    UserFactory(email="someone@elsewhere.example")
    UserFactory(email="ann.attached@npsupply.example", organisation=org)

    response = client_for(org_admin).get(MEMBERS)

    assert response.status_code == 200
    assert {person.email for person in response.context["pending"]} == {
        newcomer.email,
        on_second_domain.email,
    }
    html = response.content.decode()
    assert f'value="{newcomer.email}"' in html and "Attach" in html


def test_pending_registrations_attach_button_attaches(org_admin, org, newcomer):
    """§10.1: the Attach button posts the attach form with the person's address."""
    org.email_domains = "npsupply.example"
    org.save()
    client = client_for(org_admin)
    response = client.post(MEMBERS, {"email": newcomer.email, "organisation": org.pk})

    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.organisation == org
    assert client.get(MEMBERS).context["pending"] == []


def test_pending_registrations_of_another_organisations_domain_are_not_shown(
    org_admin, unrelated_org, newcomer
):
    """§10.4: an admin sees only registrations on their own tree's domains."""
    unrelated_org.email_domains = "npsupply.example"
    unrelated_org.save()

    assert client_for(org_admin).get(MEMBERS).context["pending"] == []


# --- detach ------------------------------------------------------------------------------------


def test_detach_removes_the_organisation_and_participant_roles(org_admin, org_user):
    """§10.1, §10.4: a detached member keeps the account, loses the organisation and both
    participant roles, and the action is logged (§10.5.3)."""
    org_user.groups.add(Group.objects.get(name=roles.ORGANISATION_ADMIN))
    client = client_for(org_admin)

    response = client.post(detach_url(org_user))

    assert response.status_code == 302
    org_user.refresh_from_db()
    assert org_user.organisation is None and org_user.is_active
    assert not org_user.groups.filter(
        name__in=[roles.SERVICE_USER, roles.ORGANISATION_ADMIN]
    ).exists()
    (event,) = events(SecurityEvent.Kind.ACCOUNT_DETACHED)
    assert (event.actor, event.subject) == (org_admin, org_user)
    assert "has been detached" in client.get(MEMBERS).content.decode()


def test_detach_needs_a_post(org_admin, org_user):
    """A destructive action is a POST (CSRF-protected), never a link."""
    assert client_for(org_admin).get(detach_url(org_user)).status_code == 405


def test_detach_by_a_service_user_is_forbidden(org_client, org_user, sibling_user):
    """Only organisation admins manage members (403)."""
    assert org_client.post(detach_url(org_user)).status_code == 403
    org_user.refresh_from_db()
    assert org_user.organisation is not None


def test_detach_outside_the_admins_tree_is_not_found(org_admin, sibling_user, other_org_user):
    """§10.4: a sibling's or another organisation's member is 404, as if there were nobody."""
    client = client_for(org_admin)
    for outsider in (sibling_user, other_org_user):
        assert client.post(detach_url(outsider)).status_code == 404
        outsider.refresh_from_db()
        assert outsider.organisation is not None
    assert (
        client.post(reverse("portal:organisation_member_detach", args=[999999])).status_code == 404
    )


def test_parent_admin_detaches_a_member_of_a_child_organisation(parent_admin, org_user):
    """§10.4: an admin acts on their organisation and every one below it."""
    assert client_for(parent_admin).post(detach_url(org_user)).status_code == 302
    org_user.refresh_from_db()
    assert org_user.organisation is None


def test_last_admin_cannot_detach_themself(org_admin):
    """An organisation must keep an admin: the last one cannot detach themself."""
    response = client_for(org_admin).post(detach_url(org_admin))

    assert response.status_code == 403
    assert "only organisation admin" in response.content.decode()
    assert response.context["action_error"]["member_pk"] == org_admin.pk
    org_admin.refresh_from_db()
    assert org_admin.organisation is not None
    assert not events(SecurityEvent.Kind.ACCOUNT_DETACHED)


def test_admin_with_a_fellow_admin_may_detach_themself(org_admin, org):
    """The last-admin rule does not stop an admin leaving when another stays."""
    UserFactory(
        email="second.admin@example.com", organisation=org, roles=[roles.ORGANISATION_ADMIN]
    )
    assert client_for(org_admin).post(detach_url(org_admin)).status_code == 302
    org_admin.refresh_from_db()
    assert org_admin.organisation is None


# --- deactivate --------------------------------------------------------------------------------


def test_deactivated_member_can_no_longer_sign_in(org_admin, org_user):
    """§10.1: deactivation stops sign-in and the open session; it is logged (§10.5.3)."""
    member_client = client_for(org_user)
    response = client_for(org_admin).post(deactivate_url(org_user))

    assert response.status_code == 302
    org_user.refresh_from_db()
    assert not org_user.is_active and org_user.organisation is not None
    signed_out = member_client.get(reverse("portal:case_list"))
    assert signed_out.status_code == 302 and reverse("account_login") in signed_out.url
    fresh = Client()
    fresh.post(reverse("account_login"), {"login": org_user.email, "password": DEMO_PASSWORD})
    assert "_auth_user_id" not in fresh.session
    (event,) = events(SecurityEvent.Kind.ACCOUNT_DEACTIVATED)
    assert (event.actor, event.subject) == (org_admin, org_user)


def test_deactivating_twice_is_refused_with_a_message(org_admin, org_user):
    """Bad input: the second deactivation says what is wrong (400)."""
    client = client_for(org_admin)
    client.post(deactivate_url(org_user))
    response = client.post(deactivate_url(org_user))
    assert response.status_code == 400
    assert "already deactivated" in response.content.decode()


def test_last_admin_cannot_deactivate_themself(org_admin):
    """An organisation must keep an admin: the last one cannot deactivate themself."""
    response = client_for(org_admin).post(deactivate_url(org_admin))
    assert response.status_code == 403
    org_admin.refresh_from_db()
    assert org_admin.is_active


def test_deactivate_by_a_service_user_is_forbidden(org_client, org_user):
    assert org_client.post(deactivate_url(org_user)).status_code == 403


def test_deactivate_outside_the_admins_tree_is_not_found(org_admin, other_org_user, sibling_user):
    """§10.4."""
    client = client_for(org_admin)
    assert client.post(deactivate_url(other_org_user)).status_code == 404
    assert client.post(deactivate_url(sibling_user)).status_code == 404
    other_org_user.refresh_from_db()
    assert other_org_user.is_active


# --- appoint another admin ---------------------------------------------------------------------


def test_admin_appoints_a_member_as_admin(org_admin, org_user):
    """§10.4: the new admin manages the members of their tree; logged as admin_appointed."""
    response = client_for(org_admin).post(appoint_url(org_user))

    assert response.status_code == 302
    assert org_user.groups.filter(name=roles.ORGANISATION_ADMIN).exists()
    assert client_for(org_user).get(MEMBERS).status_code == 200
    (event,) = events(SecurityEvent.Kind.ADMIN_APPOINTED)
    assert (event.actor, event.subject) == (org_admin, org_user)


def test_appointing_an_admin_twice_is_refused(org_admin):
    """Bad input (400) with a message."""
    response = client_for(org_admin).post(appoint_url(org_admin))
    assert response.status_code == 400
    assert "already an organisation admin" in response.content.decode()


def test_appointing_a_deactivated_member_is_refused(org_admin, org_user):
    org_user.is_active = False
    org_user.save()
    response = client_for(org_admin).post(appoint_url(org_user))
    assert response.status_code == 400
    assert not org_user.groups.filter(name=roles.ORGANISATION_ADMIN).exists()


def test_appoint_by_a_service_user_is_forbidden(org_client, sibling_user, org_user):
    """A service user cannot make themself or anyone else an admin (403)."""
    assert org_client.post(appoint_url(org_user)).status_code == 403
    assert not org_user.groups.filter(name=roles.ORGANISATION_ADMIN).exists()


def test_appoint_outside_the_admins_tree_is_not_found(org_admin, other_org_user):
    """§10.4."""
    assert client_for(org_admin).post(appoint_url(other_org_user)).status_code == 404
    assert not other_org_user.groups.filter(name=roles.ORGANISATION_ADMIN).exists()


# --- the services refuse what the pages never offer -------------------------------------------


def test_services_refuse_an_admin_acting_on_an_account_outside_their_tree(
    org_admin, other_org_user
):
    """§10.4: the rule lives in the service, whatever calls it."""
    for service in (user_detach_from_organisation, user_deactivate, organisation_admin_appoint):
        with pytest.raises(ActionNotPermitted):
            service(user=other_org_user, actor=org_admin)


@pytest.mark.parametrize("kind", [User.Kind.STAFF, User.Kind.INTEGRATION])
def test_database_refuses_an_organisation_on_a_desk_or_integration_account(kind, org):
    """Issue 7 point 3: the boundary holds whatever path writes the row."""
    account = User.objects.create_user(f"{kind}@mhhs.example", kind=kind)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=account.pk).update(organisation=org)


def test_migration_takes_participant_roles_off_desk_and_integration_accounts(mail_gateway):
    """The mail gateway left with the Service user role by an old detach loses it (issue 7
    point 3); its own role stays."""
    mail_gateway.groups.add(Group.objects.get(name=roles.SERVICE_USER))
    migration = importlib.import_module("accounts.migrations.0009_detach_non_participants")

    migration.detach_non_participants(django_apps, None)

    assert list(mail_gateway.groups.values_list("name", flat=True)) == [roles.INTEGRATION]


# --- query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize("members", [2, 20])
def test_members_page_query_count_is_constant(
    members, parent_admin, parent_org, org, django_assert_num_queries
):
    """docs/conventions.md §7: the members page (members, registrations waiting for approval,
    pending registrations, form) costs the same whatever the number of members and
    registrations."""
    parent_org.email_domains = "npgroup.example"
    parent_org.save()
    for n in range(members):
        UserFactory(email=f"member{n}@example.com", organisation=org if n % 2 else parent_org)
        UserFactory(email=f"waiting{n}@npgroup.example")
        registered = UserFactory(email=f"asking{n}@elsewhere.example")
        TOTP.activate(registered, TOTP_SECRET)
        registration_request_create(
            user=registered, full_name=f"Asking {n}", organisation=org if n % 2 else parent_org
        )
    client = client_for(parent_admin)
    client.get(MEMBERS)  # warm the session
    # session, user, the registrations waiting for approval (with their people and
    # organisations joined, and whether they finished registering), the tree's email domains,
    # the pending registrations, the tree's organisations (lead text, pending rows), the
    # attach form's organisation select (Django's select reads its choices twice while
    # rendering), the members with their admin flag. The organisation-admin check, the tree's
    # ids and the bell's unread count come from the cache (issue 9).
    with django_assert_num_queries(9):
        response = client.get(MEMBERS)
    assert response.status_code == 200
    assert len(response.context["pending"]) == members
    assert len(response.context["registrations"]) == members
