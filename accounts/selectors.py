"""Read queries about people and organisations."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from . import roles
from .models import Organisation, RegistrationRequest, User
from .permission_cache import access_facts

PENDING_REGISTRATIONS_SHOWN = 50


def organisation_tree(organisation_id: int) -> QuerySet:
    """An organisation and every one below it, active or not: one indexed prefix match on the
    materialised path (§10.4)."""
    own_path = Organisation.objects.filter(pk=organisation_id).values("path")[:1]
    return Organisation.objects.filter(path__startswith=Subquery(own_path))


def organisations_for_user(user) -> QuerySet:
    """The organisations a user may raise cases for: their own and every descendant (§10.4)."""
    if not (user and user.is_authenticated and user.organisation_id):
        return Organisation.objects.none()
    return organisation_tree(user.organisation_id).filter(active=True)


def visible_organisation_ids(user) -> tuple[int, ...]:
    """The ids of the user's organisation and every one below it, active or not (§10.4): the
    tickets of these organisations are the user's to see.

    From the access cache (`permission_cache.access_facts`), so every list and count on a page
    filters by `organisation_id IN (…)`, which the case indexes serve, rather than joining
    organisations for a path prefix on every row.
    """
    if not (user and user.is_authenticated and user.organisation_id):
        return ()
    return access_facts(user).organisation_ids


def resolver_group_ids(user) -> tuple[int, ...]:
    """The resolver groups the user belongs to, from the access cache."""
    if not (user and user.is_authenticated):
        return ()
    return access_facts(user).resolver_group_ids


def organisation_descendants(organisation: Organisation) -> QuerySet:
    return Organisation.objects.filter(path__startswith=organisation.path).exclude(
        pk=organisation.pk
    )


def organisation_members_for(user) -> QuerySet:
    """Everyone attached to the admin's organisation or one below it (§10.4), with
    `is_org_admin` annotated; one query whatever the number of members."""
    admin_groups = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name=roles.ORGANISATION_ADMIN
    )
    return (
        User.objects.filter(organisation__in=organisations_for_user(user))
        .select_related("organisation")
        .annotate(is_org_admin=Exists(admin_groups))
        .order_by("organisation__name", "email")
    )


def organisation_member_get_for(user, *, pk: int) -> User:
    """One member of the admin's tree, or `User.DoesNotExist` (a 404: someone outside the tree
    is indistinguishable from nobody)."""
    return organisation_members_for(user).get(pk=pk)


def pending_registrations_for(user) -> list[User]:
    """People waiting to be attached (§10.1): participant accounts, active, in no organisation,
    whose own address is verified and on one of the email domains of the admin's organisations
    (`Organisation.email_domains`, set by the desk in the console).

    The domains are configured rather than taken from the admin's own address, so an admin
    whose address is on a shared mail provider does not see every stranger on it, and a group
    with several domains sees them all. Two queries (the domains, the people), the newest
    `PENDING_REGISTRATIONS_SHOWN` registrations.
    """
    domains = sorted(
        {
            domain
            for value in organisations_for_user(user).values_list("email_domains", flat=True)
            for domain in Organisation(email_domains=value).domain_list()
        }
    )
    if not domains:
        return []
    on_domain = Q()
    for domain in domains:
        on_domain |= Q(email__iendswith=f"@{domain}")
    verified = EmailAddress.objects.filter(
        user_id=OuterRef("pk"), email__iexact=OuterRef("email"), verified=True
    )
    # Someone who asked to join an organisation when registering is listed with their request
    # (`registration_requests_pending_for`), for the organisation they named.
    asked = RegistrationRequest.objects.filter(user_id=OuterRef("pk"))
    return list(
        User.objects.filter(
            on_domain,
            kind=User.Kind.PARTICIPANT,
            organisation__isnull=True,
            is_active=True,
        )
        .filter(Exists(verified), ~Exists(asked))
        .order_by("-date_joined", "pk")[:PENDING_REGISTRATIONS_SHOWN]
    )


def _registration_complete():
    """Whether the person finished registering (§10.1, §10.5.2): their own address verified and
    an authenticator app set up; an expression over a RegistrationRequest row."""
    verified = EmailAddress.objects.filter(
        user_id=OuterRef("user_id"), email__iexact=OuterRef("user__email"), verified=True
    )
    totp = Authenticator.objects.filter(user_id=OuterRef("user_id"), type=Authenticator.Type.TOTP)
    return Exists(verified) & Exists(totp)


def registration_requests_with_progress() -> QuerySet:
    """Registration requests with their person and organisation, and `complete` annotated."""
    return RegistrationRequest.objects.select_related("user", "organisation").annotate(
        complete=_registration_complete()
    )


def registration_requests_pending_for(user) -> list[RegistrationRequest]:
    """The registrations an organisation admin decides (§10.1, §10.4): waiting, complete (the
    address verified, an authenticator app set up), of active people, naming the admin's
    organisation or one below it. One query, newest first, at most
    `PENDING_REGISTRATIONS_SHOWN`; the organisation ids come from the access cache."""
    organisation_ids = visible_organisation_ids(user)
    if not organisation_ids:
        return []
    return list(
        registration_requests_with_progress()
        .filter(
            status=RegistrationRequest.Status.PENDING,
            organisation_id__in=organisation_ids,
            user__is_active=True,
            complete=True,
        )
        .order_by("-created_at", "-pk")[:PENDING_REGISTRATIONS_SHOWN]
    )


def registration_request_get_for(user, *, pk: int) -> RegistrationRequest:
    """One registration the admin may decide, or `RegistrationRequest.DoesNotExist` (a 404:
    another organisation's registration is indistinguishable from none)."""
    organisation_ids = visible_organisation_ids(user)
    if not organisation_ids:
        raise RegistrationRequest.DoesNotExist
    return registration_requests_with_progress().get(pk=pk, organisation_id__in=organisation_ids)


def registration_request_of(user) -> RegistrationRequest | None:
    """The person's own registration request, if they made one (§10.1)."""
    if not (user and user.is_authenticated):
        return None
    return (
        RegistrationRequest.objects.select_related("organisation").filter(user_id=user.pk).first()
    )
