"""The organisation admin's Members page (§10.1 self-registration, §10.4 parent and child).

Organisation admins see the members of their organisation tree and attach registered users
to it; everyone else gets 403.
"""

import pytest
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.models import User
from tests.factories.accounts import UserFactory

MEMBERS = reverse("portal:organisation_members")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def parent_admin(parent_org):
    return UserFactory(
        email="ada.admin@example.com",
        full_name="Ada Admin",
        organisation=parent_org,
        roles=[roles.ORGANISATION_ADMIN],
    )


@pytest.fixture
def child_admin(org):
    return UserFactory(
        email="cai.admin@example.com", organisation=org, roles=[roles.ORGANISATION_ADMIN]
    )


@pytest.fixture
def newcomer(db):
    """Registered and verified, not yet attached to any organisation."""
    return UserFactory(email="nia.new@example.com", full_name="Nia New")


def test_org_admin_sees_the_members_of_their_whole_tree(
    parent_admin, org_user, sibling_user, other_org_user
):
    """A parent's admin sees the parent's and every child's members (§10.4)."""
    response = client_for(parent_admin).get(MEMBERS)
    assert response.status_code == 200
    emails = {member.email for member in response.context["members"]}
    assert emails == {parent_admin.email, org_user.email, sibling_user.email}
    html = response.content.decode()
    assert "Organisation admin" in html
    assert other_org_user.email not in html


def test_child_admin_sees_only_their_own_organisation(
    child_admin, org_user, sibling_user, parent_user
):
    """A child's admin sees neither siblings nor the parent (§10.4)."""
    emails = {member.email for member in client_for(child_admin).get(MEMBERS).context["members"]}
    assert emails == {child_admin.email, org_user.email}


def test_org_admin_attaches_a_registered_user_to_a_child_organisation(parent_admin, newcomer, org):
    """Attaching lets a self-registered user raise cases (§10.1)."""
    client = client_for(parent_admin)
    response = client.post(MEMBERS, {"email": "NIA.NEW@example.com", "organisation": org.pk})
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.organisation == org
    assert newcomer.groups.filter(name=roles.SERVICE_USER).exists()
    page = client.get(MEMBERS)
    assert "nia.new@example.com is now a member of Northern Power Supply." in page.content.decode()
    assert newcomer.email in {member.email for member in page.context["members"]}


def test_unknown_email_is_refused_with_advice(parent_admin, parent_org):
    """Only registered users can be attached; the admin is told what to ask for (§10.1)."""
    response = client_for(parent_admin).post(
        MEMBERS, {"email": "nobody@example.com", "organisation": parent_org.pk}
    )
    assert response.status_code == 400
    assert "register" in " ".join(response.context["form"].errors["email"])
    assert 'aria-invalid="true"' in response.content.decode()


def test_organisation_outside_the_admins_tree_is_refused(
    child_admin, newcomer, sibling_org, unrelated_org
):
    """An admin attaches only to their own organisation or those below it (§10.4)."""
    client = client_for(child_admin)
    for outsider in (sibling_org, unrelated_org):
        response = client.post(MEMBERS, {"email": newcomer.email, "organisation": outsider.pk})
        assert response.status_code == 400
        assert response.context["form"].errors["organisation"]
    newcomer.refresh_from_db()
    assert newcomer.organisation is None


def test_user_of_another_organisation_cannot_be_taken_over(
    parent_admin, other_org_user, parent_org
):
    """Someone already in another organisation stays there; the desk moves people (§10.4). The
    refusal is the one an unknown address gets, so nobody learns who has an account."""
    response = client_for(parent_admin).post(
        MEMBERS, {"email": other_org_user.email, "organisation": parent_org.pk}
    )
    assert response.status_code == 400
    assert "We cannot attach that address" in response.content.decode()
    assert "another organisation" not in response.content.decode()
    assert User.objects.get(pk=other_org_user.pk).organisation == other_org_user.organisation


def test_service_user_gets_403(org_client):
    """Managing members is for organisation admins only (DESIGN §9)."""
    assert org_client.get(MEMBERS).status_code == 403
    assert org_client.post(MEMBERS, {"email": "x@example.com"}).status_code == 403


def test_desk_agent_without_the_role_gets_403(agent):
    """The portal page is the organisation admin's; the desk uses the console."""
    assert client_for(agent).get(MEMBERS).status_code == 403


def test_anonymous_user_is_sent_to_sign_in(db):
    """Every portal page needs a signed-in user."""
    response = Client().get(MEMBERS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_members_link_is_shown_to_org_admins_only(parent_admin, org_client):
    """The nav offers Members only to the people who can use it."""
    assert MEMBERS in client_for(parent_admin).get(reverse("portal:home")).content.decode()
    assert MEMBERS not in org_client.get(reverse("portal:home")).content.decode()


def test_members_link_reaches_account_pages_through_the_context_processor(settings, parent_admin):
    """With `accounts.views.portal_nav` installed, allauth's pages show Members too."""
    options = settings.TEMPLATES[0]["OPTIONS"]
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **options,
                "context_processors": [*options["context_processors"], "accounts.views.portal_nav"],
            },
        }
    ]
    html = client_for(parent_admin).get(reverse("account_change_password")).content.decode()
    assert MEMBERS in html
