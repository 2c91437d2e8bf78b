"""What a user may do and see, kept in the cache between requests (issue 9).

Every page asks "may this user see every organisation's cases?", "which organisations are in
their tree?", the navigation asks "is this user an organisation admin?" and every staff page
"has this person set up TOTP?" (§10.5.2). Django answers from several queries on every
request; here the answers — the user's permissions, group names, organisation tree, resolver
groups and whether they have a TOTP authenticator — are read once and kept in the cache (Redis
in production) until something that could change them changes.

Invalidation is by signal, so no path can forget it:
- a user saved or deleted (active, superuser, kind, organisation…), or one of their
  authenticators added or removed: that user's entry goes;
- group or resolver-group membership, a user's or a group's permissions, a group,
  permission, resolver group or organisation saved or deleted (an organisation moved moves
  its subtree): the generation changes, which retires every entry at once.
Both happen immediately and again when the transaction commits, so a request that read the
old rows while the change was in flight cannot keep them.
"""

import uuid
from dataclasses import dataclass

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

# Bump FACTS_VERSION whenever `AccessFacts` changes shape: entries written by an older release
# are then simply not found, rather than read with fields missing.
FACTS_VERSION = 3
GENERATION_KEY = f"access-facts:v{FACTS_VERSION}:generation"
ENTRY_KEY = f"access-facts:v{FACTS_VERSION}:user:{{pk}}"
ENTRY_SECONDS = 3600


@dataclass(frozen=True)
class AccessFacts:
    permissions: frozenset[str]
    groups: frozenset[str]
    # The organisation the tree below was read for, and the tree's ids (§10.4).
    organisation_id: int | None
    organisation_ids: tuple[int, ...]
    resolver_group_ids: tuple[int, ...]
    # Whether the account has a TOTP authenticator (allauth's `is_mfa_enabled` for TOTP).
    has_totp: bool = False


def _load(user) -> AccessFacts:
    from allauth.mfa.models import Authenticator

    from .models import ResolverGroup
    from .selectors import organisation_tree

    organisation_ids: tuple[int, ...] = ()
    if user.organisation_id:
        organisation_ids = tuple(
            organisation_tree(user.organisation_id).order_by("pk").values_list("pk", flat=True)
        )
    return AccessFacts(
        permissions=frozenset(ModelBackend().get_all_permissions(user)),
        groups=frozenset(user.groups.values_list("name", flat=True)),
        organisation_id=user.organisation_id,
        organisation_ids=organisation_ids,
        resolver_group_ids=tuple(
            ResolverGroup.members.through.objects.filter(user_id=user.pk)
            .order_by("resolvergroup_id")
            .values_list("resolvergroup_id", flat=True)
        ),
        has_totp=Authenticator.objects.filter(
            user_id=user.pk, type=Authenticator.Type.TOTP
        ).exists(),
    )


def access_facts(user) -> AccessFacts:
    """The user's permissions and group names: remembered on the user object for the request,
    from the cache when its entry is of the current generation, else from the database (and
    stored). One cache round trip when warm."""
    facts = getattr(user, "_access_facts", None)
    if facts is not None and facts.organisation_id == user.organisation_id:
        return facts
    key = ENTRY_KEY.format(pk=user.pk)
    found = cache.get_many([GENERATION_KEY, key])
    generation = found.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        if not cache.add(GENERATION_KEY, generation, timeout=None):
            generation = cache.get(GENERATION_KEY)
    entry = found.get(key)
    if _current(entry, generation, user):
        facts = entry[1]
    else:
        facts = _load(user)
        if generation is not None:
            cache.set(key, (generation, facts), ENTRY_SECONDS)
    user._access_facts = facts
    # Django's own ModelBackend (allauth's backend is one) reads this attribute first, so a
    # permission check that falls through to it asks no query either.
    user._perm_cache = set(facts.permissions)
    return facts


def _current(entry, generation, user) -> bool:
    """Whether a cached entry may answer: of this generation, of the facts' current shape, and
    read for the organisation the user is in now."""
    return (
        generation is not None
        and isinstance(entry, tuple)
        and len(entry) == 2
        and entry[0] == generation
        and isinstance(entry[1], AccessFacts)
        and getattr(entry[1], "organisation_id", object()) == user.organisation_id
    )


def forget_user(pk) -> None:
    cache.delete(ENTRY_KEY.format(pk=pk))


def new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _now_and_on_commit(action, *args) -> None:
    action(*args)
    transaction.on_commit(lambda: action(*args))


def on_user_changed(sender, instance, **kwargs) -> None:
    _now_and_on_commit(forget_user, instance.pk)
    instance.__dict__.pop("_access_facts", None)


def on_authenticator_changed(sender, instance, **kwargs) -> None:
    _now_and_on_commit(forget_user, instance.user_id)


def on_access_changed(sender, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        _now_and_on_commit(new_generation)


class CachedPermissionBackend(ModelBackend):
    """Django's ModelBackend, answering permission checks from `access_facts`."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(access_facts(user_obj).permissions)

    def has_perm(self, user_obj, perm, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return False
        return perm in access_facts(user_obj).permissions

    def has_module_perms(self, user_obj, app_label):
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        prefix = f"{app_label}."
        return any(perm.startswith(prefix) for perm in access_facts(user_obj).permissions)
