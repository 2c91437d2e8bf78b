"""Organisations and users in the console (§10.1, §10.4): saved through accounts.services."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from accounts import roles
from accounts.models import Organisation
from tests.conftest import TOTP_SECRET, mfa_client
from tests.factories.accounts import UserFactory


@pytest.fixture
def service_manager_client(db):
    user = UserFactory(
        email="sid.service@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER]
    )
    TOTP.activate(user, TOTP_SECRET)
    return mfa_client(user)


def _organisation_form(**fields) -> dict:
    return {
        "name": "",
        "parent": "",
        "party_id": "",
        "market_participant_id": "",
        "cra_market_role": "",
        "active": "on",
        **fields,
    }


def test_new_child_organisation_gets_its_tree_path(service_manager_client, parent_org):
    """§10.4: organisations form a tree; the service keeps the materialised path."""
    response = service_manager_client.post(
        reverse("admin:accounts_organisation_add"),
        _organisation_form(name="Northern Power Trading", parent=parent_org.pk),
    )

    assert response.status_code == 302
    child = Organisation.objects.get(name="Northern Power Trading")
    assert child.path == f"{parent_org.path}{child.pk}/"
    listing = service_manager_client.get(reverse("admin:accounts_organisation_changelist"))
    html = listing.content.decode()
    assert "— Northern Power Trading" in html


def test_organisation_under_its_own_child_is_refused_on_the_form(
    service_manager_client, parent_org, org
):
    """§10.4: an organisation cannot sit under one of its own descendants."""
    url = reverse("admin:accounts_organisation_change", args=[parent_org.pk])

    response = service_manager_client.post(
        url, _organisation_form(name=parent_org.name, parent=org.pk, party_id="NPGP")
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "Choose a parent outside this organisation's tree."
    ]
    parent_org.refresh_from_db()
    assert parent_org.parent_id is None


def test_agent_attaches_a_user_through_the_service(agent_client, org):
    """§10.1: a registered user is attached to an organisation and becomes a service user."""
    newcomer = UserFactory(email="new.joiner@example.com")
    url = reverse("admin:accounts_user_change", args=[newcomer.pk])
    page = agent_client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "username" not in form.fields and "is_staff" not in form.fields

    response = agent_client.post(
        url,
        {
            "email": newcomer.email,
            "full_name": "New Joiner",
            "phone": "",
            "organisation": org.pk,
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.organisation == org and newcomer.full_name == "New Joiner"
    assert newcomer.groups.filter(name=roles.SERVICE_USER).exists()


def test_agent_cannot_change_staff_accounts_or_passwords(agent_client, resolver, org_user):
    """§10.5.2: roles, staff status and passwords are not the agent's to change."""
    staff_page = agent_client.get(reverse("admin:accounts_user_change", args=[resolver.pk]))
    assert staff_page.status_code == 200
    assert list(staff_page.context["adminform"].form.fields) == []
    password = agent_client.get(reverse("admin:auth_user_password_change", args=[org_user.pk]))
    assert password.status_code == 403


def test_console_refuses_staff_status_on_a_participant_account_on_the_form(org_user):
    """Only a desk-staff account may have console access (§10.5.2): a superuser who ticks
    "staff" on a participant without changing its kind gets a form error, not a 500."""
    root = UserFactory(email="root@mhhs.example", is_staff=True, is_superuser=True)
    TOTP.activate(root, TOTP_SECRET)
    client = mfa_client(root)
    url = reverse("admin:accounts_user_change", args=[org_user.pk])
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"password", "groups", "user_permissions"}
    }
    data.update(
        {
            "organisation": org_user.organisation_id,
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "is_active": "on",
            "is_staff": "on",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Only a desk-staff account may have console access" in str(errors), errors
    org_user.refresh_from_db()
    assert org_user.is_staff is False
