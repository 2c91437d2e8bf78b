"""The access cache (issue 9): permissions and groups are read once and kept between requests,
and any change to who may do what takes effect on the very next request."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.mfa import has_totp
from accounts.models import User
from accounts.views import is_organisation_admin
from tests.conftest import TOTP_SECRET
from tests.factories.accounts import UserFactory

VIEW_ALL = "cases.view_all_case"


def next_request(user) -> User:
    """The user as the next request loads it: a fresh object, nothing remembered on it."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def desk_group(db):
    group = Group.objects.create(name="Cache test desk")
    group.permissions.add(Permission.objects.get(codename="view_all_case"))
    return group


def test_a_warm_check_asks_the_database_nothing(org_user):
    next_request(org_user).has_perm(VIEW_ALL)  # fills the cache
    user = next_request(org_user)
    with CaptureQueriesContext(connection) as queries:
        assert not user.has_perm(VIEW_ALL)
        assert not user.has_perm("cases.triage_case")
        assert not is_organisation_admin(user)
    assert len(queries) == 0


def test_joining_a_group_grants_its_permissions_on_the_next_request(org_user, desk_group):
    assert not next_request(org_user).has_perm(VIEW_ALL)
    org_user.groups.add(desk_group)
    assert next_request(org_user).has_perm(VIEW_ALL)


def test_leaving_a_group_revokes_its_permissions_on_the_next_request(org_user, desk_group):
    org_user.groups.add(desk_group)
    assert next_request(org_user).has_perm(VIEW_ALL)
    desk_group.user_set.remove(org_user)
    assert not next_request(org_user).has_perm(VIEW_ALL)


def test_a_groups_permissions_changed_apply_to_its_members_at_once(org_user, desk_group):
    org_user.groups.add(desk_group)
    assert next_request(org_user).has_perm(VIEW_ALL)
    desk_group.permissions.clear()
    assert not next_request(org_user).has_perm(VIEW_ALL)
    desk_group.permissions.add(Permission.objects.get(codename="triage_case"))
    assert next_request(org_user).has_perm("cases.triage_case")


def test_a_direct_permission_and_its_removal_apply_at_once(org_user):
    permission = Permission.objects.get(codename="view_all_case")
    assert not next_request(org_user).has_perm(VIEW_ALL)
    org_user.user_permissions.add(permission)
    assert next_request(org_user).has_perm(VIEW_ALL)
    org_user.user_permissions.remove(permission)
    assert not next_request(org_user).has_perm(VIEW_ALL)


def test_a_deactivated_account_has_no_permissions(db):
    agent = UserFactory(is_staff=True, roles=[roles.SERVICE_DESK_AGENT])
    agent.user_permissions.add(Permission.objects.get(codename="view_all_case"))
    assert next_request(agent).has_perm(VIEW_ALL)
    User.objects.filter(pk=agent.pk).update(is_active=False)  # even without a save signal
    assert not next_request(agent).has_perm(VIEW_ALL)


def test_a_superuser_flag_removed_takes_every_permission_away(db):
    boss = UserFactory(is_staff=True, is_superuser=True)
    assert next_request(boss).has_perm("cases.triage_case")
    boss.is_superuser = False
    boss.save()
    assert not next_request(boss).has_perm("cases.triage_case")


def test_the_organisation_admin_nav_follows_the_role(org_user):
    admins = Group.objects.get(name=roles.ORGANISATION_ADMIN)
    assert not is_organisation_admin(next_request(org_user))
    org_user.groups.add(admins)
    assert is_organisation_admin(next_request(org_user))
    org_user.groups.remove(admins)
    assert not is_organisation_admin(next_request(org_user))


def test_a_new_organisation_below_joins_the_tree_at_once(org_user, org):
    """§10.4: cases of an organisation created below the user's become visible at once."""
    from accounts.selectors import visible_organisation_ids
    from accounts.services import organisation_create

    before = visible_organisation_ids(next_request(org_user))
    child = organisation_create(name="New subsidiary", parent=org)
    assert visible_organisation_ids(next_request(org_user)) == tuple(sorted((*before, child.pk)))


def test_moving_a_user_to_another_organisation_changes_their_tree(org_user, other_org_user):
    from accounts.selectors import visible_organisation_ids

    assert other_org_user.organisation_id not in visible_organisation_ids(next_request(org_user))
    org_user.organisation = other_org_user.organisation
    org_user.save()
    assert other_org_user.organisation_id in visible_organisation_ids(next_request(org_user))


def test_joining_a_resolver_group_opens_its_queue_at_once(resolver, db):
    from accounts.models import ResolverGroup
    from accounts.selectors import resolver_group_ids

    group = ResolverGroup.objects.create(name="Cache test resolvers", email="rg@mhhs.example")
    assert group.pk not in resolver_group_ids(next_request(resolver))
    group.members.add(resolver)
    assert group.pk in resolver_group_ids(next_request(resolver))
    group.members.remove(resolver)
    assert group.pk not in resolver_group_ids(next_request(resolver))


def test_an_entry_of_another_shape_is_read_again_not_trusted(org_user):
    """An entry left in the cache by an older release (or anything else under the key) is a
    miss, never an error."""
    from django.core.cache import cache

    from accounts.permission_cache import ENTRY_KEY, GENERATION_KEY

    next_request(org_user).has_perm(VIEW_ALL)
    generation = cache.get(GENERATION_KEY)
    for junk in [(generation, object()), (generation,), "facts", (generation, {"perms": []})]:
        cache.set(ENTRY_KEY.format(pk=org_user.pk), junk)
        assert not next_request(org_user).has_perm(VIEW_ALL)
        assert next_request(org_user).organisation_id == org_user.organisation_id


# --- §10.5.2: whether staff have TOTP comes from the same cache, and follows every change ---


def test_whether_staff_have_totp_is_read_without_a_query_when_warm(agent):
    assert has_totp(next_request(agent))  # fills the cache
    user = next_request(agent)
    with CaptureQueriesContext(connection) as queries:
        assert has_totp(user)
    assert len(queries) == 0


def test_removing_the_authenticator_takes_totp_away_on_the_next_request(agent):
    assert has_totp(next_request(agent))
    Authenticator.objects.filter(user=agent, type=Authenticator.Type.TOTP).delete()
    assert not has_totp(next_request(agent))


def test_setting_up_totp_counts_on_the_next_request(db):
    staff = UserFactory(is_staff=True)
    assert not has_totp(next_request(staff))
    TOTP.activate(staff, TOTP_SECRET)
    assert has_totp(next_request(staff))


def test_a_console_page_after_the_authenticator_is_removed_sends_staff_to_enrol(
    agent, agent_client
):
    """The middleware of §10.5.2 reads the cached answer: it must not outlive the device."""
    assert agent_client.get(reverse("admin:index")).status_code == 200
    Authenticator.objects.filter(user=agent).delete()
    response = agent_client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))
