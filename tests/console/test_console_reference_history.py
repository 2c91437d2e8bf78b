"""History of everything that decides who sees what (§10.5.3, §12): organisations, users with
their groups, resolver groups with their members, the service-desk directory, categories, SLA
definitions, distribution lists and their members. Kept by django-simple-history, shown in the
console, never reverted from it."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts import roles
from accounts.models import Organisation, ResolverGroup, ServiceDesk, User
from comms.models import DistributionList, DistributionListMember
from sla.models import SLADefinition
from tests.conftest import TOTP_SECRET, mfa_client
from tests.factories.accounts import DEMO_PASSWORD, UserFactory
from tickets.models import Category


@pytest.fixture
def service_manager(db):
    user = UserFactory(
        email="sid.service@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER]
    )
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def manager_client(service_manager):
    return mfa_client(service_manager)


def test_organisation_change_in_the_console_is_kept_with_who_made_it(
    manager_client, service_manager, parent_org
):
    """§12: an organisation's changes are history, with the person who made them."""
    url = reverse("admin:accounts_organisation_change", args=[parent_org.pk])
    response = manager_client.post(
        url,
        {
            "name": parent_org.name,
            "parent": "",
            "party_id": "NPGP",
            "market_participant_id": "",
            "cra_market_role": "",
            "email_domains": "npgroup.example",
            "active": "on",
        },
    )
    assert response.status_code == 302

    latest = parent_org.history.latest()
    assert latest.email_domains == "npgroup.example"
    assert latest.history_user == service_manager
    page = manager_client.get(reverse("admin:accounts_organisation_history", args=[parent_org.pk]))
    assert page.status_code == 200
    assert "npgroup.example" in page.content.decode()


def test_history_cannot_be_reverted_from_the_console(manager_client, parent_org):
    """§12: history is read-only; reverting would bypass the services (the tree path)."""
    parent_org.party_id = "CHANGED"
    parent_org.save()
    first = parent_org.history.earliest()
    url = reverse(
        "admin:accounts_organisation_simple_history", args=[parent_org.pk, first.history_id]
    )
    assert manager_client.get(url).status_code == 200
    response = manager_client.post(url, {"name": parent_org.name, "party_id": first.party_id})
    assert response.status_code == 403
    parent_org.refresh_from_db()
    assert parent_org.party_id == "CHANGED"


def test_user_history_keeps_groups_active_and_organisation_but_not_the_password(org_user, org):
    """§10.5.3: roles, groups, active flag and organisation are history; the hash is not."""
    history_fields = {field.name for field in User.history.model._meta.fields}
    assert {"kind", "is_staff", "is_active", "organisation"} <= history_fields
    assert "password" not in history_fields and "last_login" not in history_fields

    org_user.groups.add(Group.objects.get(name=roles.ORGANISATION_ADMIN))
    org_user.is_active = False
    org_user.save()

    latest = org_user.history.latest()
    assert latest.is_active is False and latest.organisation_id == org.pk
    assert {row.group.name for row in latest.groups.all()} == {
        roles.SERVICE_USER,
        roles.ORGANISATION_ADMIN,
    }


def test_signing_in_writes_no_user_history(org_user):
    """§12: last_login changes on every sign-in; it is noise, not a change of access."""
    before = org_user.history.count()
    client = Client()
    client.post(reverse("account_login"), {"login": org_user.email, "password": DEMO_PASSWORD})
    assert client.session["_auth_user_id"] == str(org_user.pk)
    assert org_user.history.count() == before


def test_group_membership_changed_from_the_group_side_is_kept(org_user):
    """§10.5.3: adding people to a group (the reverse side) is recorded on the user."""
    before = org_user.history.count()
    Group.objects.get(name=roles.ORGANISATION_ADMIN).user_set.add(org_user)

    assert org_user.history.count() == before + 1
    latest = org_user.history.latest()
    assert roles.ORGANISATION_ADMIN in {row.group.name for row in latest.groups.all()}


def test_resolver_group_membership_is_kept(resolver_group, agent):
    """§5.15, §12: who works a group's incidents is history."""
    resolver_group.members.add(agent)
    agent.resolver_groups.remove(resolver_group)  # the other side

    adds, removes = resolver_group.history.order_by("history_id")[1:3]
    assert [row.user for row in adds.members.all()] == [agent]
    assert list(removes.members.all()) == []


@pytest.mark.parametrize(
    "model_admin",
    [
        "accounts_organisation",
        "accounts_user",
        "accounts_resolvergroup",
        "accounts_servicedesk",
        "tickets_category",
        "sla_sladefinition",
        "comms_distributionlist",
    ],
)
def test_console_shows_the_history_page(model_admin, manager_client, org_user, resolver_group):
    """§12: each reference record has a History page in the console."""
    objects = {
        "accounts_organisation": lambda: org_user.organisation,
        "accounts_user": lambda: org_user,
        "accounts_resolvergroup": lambda: resolver_group,
        "accounts_servicedesk": lambda: ServiceDesk.objects.create(
            name="Elexon", owner="Elexon", query_types="Settlement"
        ),
        "tickets_category": lambda: Category.objects.order_by("pk").first(),
        "sla_sladefinition": lambda: SLADefinition.objects.order_by("pk").first(),
        "comms_distributionlist": lambda: DistributionList.objects.order_by("pk").first(),
    }
    obj = objects[model_admin]()
    obj.save()  # rows seeded by migrations have no history yet
    response = manager_client.get(reverse(f"admin:{model_admin}_history", args=[obj.pk]))
    assert response.status_code == 200


def test_category_sla_and_list_changes_are_kept(service_manager):
    """§12: categories, SLA definitions and distribution lists keep every change."""
    category = Category.objects.order_by("pk").first()
    category.description = "Reviewed"
    category.save()
    definition = SLADefinition.objects.order_by("pk").first()
    definition.at_risk_percent = 60
    definition.save()
    distribution_list = DistributionList.objects.order_by("pk").first()
    distribution_list.active = False
    distribution_list.save()

    assert category.history.latest().description == "Reviewed"
    assert definition.history.latest().at_risk_percent == 60
    assert distribution_list.history.latest().active is False


def test_distribution_list_members_added_and_removed_are_kept(
    manager_client, org_user, service_manager
):
    """§5.21, §12: list membership history, shown in the console to list viewers."""
    distribution_list = DistributionList.objects.order_by("pk").first()
    member = DistributionListMember.objects.create(
        distribution_list=distribution_list, user=org_user
    )
    distribution_list.members.filter(pk=member.pk).delete()

    rows = DistributionListMember.history.filter(user=org_user).order_by("history_id")
    assert [row.history_type for row in rows] == ["+", "-"]
    page = manager_client.get(reverse("admin:comms_historicaldistributionlistmember_changelist"))
    assert page.status_code == 200
    assert org_user.email in page.content.decode()
    assert (
        manager_client.get(reverse("admin:comms_historicaldistributionlistmember_add")).status_code
        == 403
    )


def test_participants_never_reach_history_pages(org_user):
    """History is console-only (§10.5.2)."""
    client = Client()
    client.force_login(org_user)
    response = client.get(
        reverse("admin:accounts_organisation_history", args=[org_user.organisation_id])
    )
    assert response.status_code == 302


def test_integration_and_reference_models_all_have_history():
    """§10.5.3: the records that decide who sees what carry history managers."""
    for model in (
        Organisation,
        User,
        ResolverGroup,
        ServiceDesk,
        Category,
        SLADefinition,
        DistributionList,
        DistributionListMember,
    ):
        assert hasattr(model, "history"), model
