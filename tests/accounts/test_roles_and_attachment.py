"""Roles of docs/architecture.md §9 exist as groups; new users are attached to an organisation (§10.1)."""

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import ServiceDesk
from accounts.services import user_attach_to_organisation
from core.errors import ActionNotPermitted
from tests.factories.accounts import UserFactory


def test_every_role_exists_with_its_permissions(db):
    for role, permissions in roles.ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert granted == set(permissions), role


def test_desk_directory_is_seeded_without_personal_contacts(db):
    """§3.11/§18.4/Appendix H: organisation-level contacts only."""
    names = set(ServiceDesk.objects.values_list("name", flat=True))
    assert {
        "MHHS Service Desk (Elexon)",
        "Switching Service Desk (DCC)",
        "Retail Energy Code (REC) Help Desk",
        "DTS Service Desk (Electralink)",
        "EES Service Desk (C&C Group)",
    } <= names
    for desk in ServiceDesk.objects.all():
        text = " ".join(
            [
                desk.email,
                desk.phone,
                desk.out_of_hours_phone,
                desk.out_of_hours_email,
                desk.out_of_hours_notes,
                desk.notes,
                desk.query_types,
            ]
        )
        # Appendix H lists some personal addresses and mobiles; none are kept.
        for personal in ("tracey.foxley", "henri.naef", "joe.tsoi", "07894", "07787", "Heidi"):
            assert personal not in text, desk.name


@pytest.fixture
def new_user(db):
    return UserFactory(email="new.joiner@example.com")


@pytest.fixture
def org_admin(org):
    return UserFactory(
        email="olive.admin@example.com", organisation=org, roles=[roles.ORGANISATION_ADMIN]
    )


def test_organisation_admin_attaches_a_new_user_to_their_organisation(new_user, org_admin, org):
    user_attach_to_organisation(user=new_user, organisation=org, actor=org_admin)
    new_user.refresh_from_db()
    assert new_user.organisation == org
    assert new_user.groups.filter(name=roles.SERVICE_USER).exists()


def test_organisation_admin_cannot_attach_to_a_sibling(new_user, org_admin, sibling_org):
    with pytest.raises(ActionNotPermitted, match="your own organisation"):
        user_attach_to_organisation(user=new_user, organisation=sibling_org, actor=org_admin)


def test_organisation_admin_cannot_take_a_user_from_another_organisation(
    org_admin, org, other_org_user
):
    """§10.4; the refusal does not say the address belongs to another organisation (issue 7)."""
    with pytest.raises(ActionNotPermitted, match="We cannot attach that address"):
        user_attach_to_organisation(user=other_org_user, organisation=org, actor=org_admin)


def test_plain_service_user_cannot_attach_anyone(new_user, org_user, org):
    with pytest.raises(ActionNotPermitted):
        user_attach_to_organisation(user=new_user, organisation=org, actor=org_user)


def test_desk_staff_can_attach_anyone(new_user, agent, unrelated_org):
    user_attach_to_organisation(user=new_user, organisation=unrelated_org, actor=agent)
    assert new_user.organisation == unrelated_org
