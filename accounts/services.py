"""Writes on organisations and users.

Account boundaries (§10.1, §10.4, §10.5.3): only participant accounts belong to participant
organisations. Desk staff work in the console and integration accounts (a mail gateway, another
desk's system) act for the desk with API tokens; neither is ever attached to an organisation,
by anyone, because an organisation and its Service user role would give them a participant's
view of the portal (and the mail gateway's inbound email would be refused as a participant's).
Every action on a member records a security event in the same transaction.
"""

from django.contrib.auth.models import Group
from django.db import transaction

from core.errors import ActionNotPermitted, ValidationFailed

from . import roles
from .audit import security_event_record
from .models import Organisation, SecurityEvent, User

# One answer for an unknown address, someone in another organisation, a desk or integration
# account and an unverified registration, so the members form reveals nothing about who has
# an account (issue 7, no enumeration).
NOT_ATTACHABLE = (
    "We cannot attach that address. Check it is the address they registered and verified on "
    "this portal; if it is, ask the service desk."
)


def _path_for(organisation: Organisation) -> str:
    parent_path = organisation.parent.path if organisation.parent_id else "/"
    return f"{parent_path}{organisation.pk}/"


def organisation_save(*, organisation: Organisation) -> Organisation:
    """Save an organisation and keep the materialised paths of it and its subtree right.

    Refuses a parent that would make a loop (an organisation under its own descendant).
    """
    with transaction.atomic():
        if organisation.pk and organisation.parent_id:
            parent = Organisation.objects.get(pk=organisation.parent_id)
            inside_own_tree = bool(organisation.path) and parent.path.startswith(organisation.path)
            if parent.pk == organisation.pk or inside_own_tree:
                raise ValidationFailed(
                    "An organisation cannot sit under itself or one of its own children.",
                    field_errors={"parent": ["Choose a parent outside this organisation's tree."]},
                )
        old_path = organisation.path
        organisation.save()
        new_path = _path_for(organisation)
        if new_path != old_path:
            Organisation.objects.filter(pk=organisation.pk).update(path=new_path)
            organisation.path = new_path
            if old_path:
                for child in Organisation.objects.filter(path__startswith=old_path).exclude(
                    pk=organisation.pk
                ):
                    Organisation.objects.filter(pk=child.pk).update(
                        path=new_path + child.path[len(old_path) :]
                    )
    return organisation


def organisation_create(*, name: str, parent: Organisation | None = None, **fields) -> Organisation:
    return organisation_save(organisation=Organisation(name=name, parent=parent, **fields))


def _is_desk(actor) -> bool:
    """Desk staff who may change users in the console (§10.5.2)."""
    return bool(actor.is_staff and actor.has_perm("accounts.change_user"))


def _is_organisation_admin(actor) -> bool:
    return actor.groups.filter(name=roles.ORGANISATION_ADMIN).exists()


def _in_actor_tree(actor, organisation_id) -> bool:
    from .selectors import organisations_for_user

    return (
        organisation_id is not None
        and organisations_for_user(actor).filter(pk=organisation_id).exists()
    )


def _has_verified_address(user: User) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def user_attach_to_organisation(
    *, user: User, organisation: Organisation, actor, request=None
) -> User:
    """Attach a registered participant to an organisation so they can raise cases (§10.1).

    Only participant accounts are attached, whoever acts: a desk or integration account is
    refused (see the module docstring). Desk staff may attach a participant to any
    organisation. An organisation admin attaches only to their own organisation or one below
    it (§10.4), and only someone who verified their address and is not in an organisation
    outside the admin's tree; every refusal about the person gives the admin the same words
    (`NOT_ATTACHABLE`), so the form cannot be used to find out who has an account.
    """
    desk = _is_desk(actor)
    if not desk:
        if not _is_organisation_admin(actor):
            raise ActionNotPermitted(
                "Only an organisation admin or the service desk can attach users."
            )
        if not _in_actor_tree(actor, organisation.pk):
            raise ActionNotPermitted(
                "You can only attach users to your own organisation or those below it.",
                field_errors={
                    "organisation": [
                        "You can only attach users to your own organisation or those below it."
                    ]
                },
            )
        attachable = (
            user.is_participant
            and user.is_active
            and (user.organisation_id is None or _in_actor_tree(actor, user.organisation_id))
            and _has_verified_address(user)
        )
        if not attachable:
            raise ActionNotPermitted(NOT_ATTACHABLE, field_errors={"email": [NOT_ATTACHABLE]})
    elif not user.is_participant:
        raise ValidationFailed(
            f"{user.email} is a {user.get_kind_display().lower()} account: only participant "
            "accounts belong to an organisation.",
            field_errors={"organisation": ["Only participant accounts belong to an organisation."]},
        )
    with transaction.atomic():
        previous = user.organisation
        user.organisation = organisation
        user.save(update_fields=["organisation"])
        user.groups.add(Group.objects.get(name=roles.SERVICE_USER))
        moved = f" (moved from {previous})" if previous and previous != organisation else ""
        security_event_record(
            kind=SecurityEvent.Kind.ACCOUNT_ATTACHED,
            actor=actor,
            subject=user,
            request=request,
            detail=f"Attached to {organisation}{moved}.",
        )
    return user


def _check_member_action(*, user: User, actor, verb: str, removes: bool = True) -> None:
    """Who may act on an existing member: the desk, or an organisation admin on a participant
    of their organisation or one below it (§10.4). An admin cannot remove themself if they are
    the last active admin of their organisation (nobody would be left to manage it)."""
    if _is_desk(actor):
        return
    if not _is_organisation_admin(actor):
        raise ActionNotPermitted(f"Only an organisation admin or the service desk can {verb}.")
    if not (user.is_participant and _in_actor_tree(actor, user.organisation_id)):
        raise ActionNotPermitted("That person is not a member of your organisation.")
    if removes and user.pk == actor.pk:
        other_admins = (
            User.objects.filter(
                organisation_id=user.organisation_id,
                is_active=True,
                groups__name=roles.ORGANISATION_ADMIN,
            )
            .exclude(pk=user.pk)
            .exists()
        )
        if not other_admins:
            raise ActionNotPermitted(
                "You are the only organisation admin of "
                f"{user.organisation}. Appoint another admin first."
            )


def user_detach_from_organisation(*, user: User, actor, request=None) -> User:
    """Take a member out of their organisation (§10.1, §10.4): they keep their account but no
    longer see or raise the organisation's cases. The participant roles (Service user,
    Organisation admin) go with the organisation, so nothing is left behind."""
    _check_member_action(user=user, actor=actor, verb="detach members")
    if user.organisation_id is None:
        raise ValidationFailed(f"{user.email} is not attached to an organisation.")
    with transaction.atomic():
        previous = user.organisation
        user.organisation = None
        user.save(update_fields=["organisation"])
        user.groups.remove(
            *Group.objects.filter(name__in=[roles.SERVICE_USER, roles.ORGANISATION_ADMIN])
        )
        security_event_record(
            kind=SecurityEvent.Kind.ACCOUNT_DETACHED,
            actor=actor,
            subject=user,
            request=request,
            detail=f"Detached from {previous}.",
        )
    return user


def user_deactivate(*, user: User, actor, request=None) -> User:
    """Deactivate a member's account (§10.1, §10.5.3): they can no longer sign in, and a session
    they have open stops working at its next request. Their cases and history stay."""
    _check_member_action(user=user, actor=actor, verb="deactivate members")
    if not user.is_active:
        raise ValidationFailed(f"{user.email} is already deactivated.")
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        security_event_record(
            kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED,
            actor=actor,
            subject=user,
            request=request,
            detail=f"Deactivated as a member of {user.organisation or 'no organisation'}.",
        )
    return user


def organisation_admin_appoint(*, user: User, actor, request=None) -> User:
    """Make an active member an organisation admin (§10.1, §10.4): they then manage the members
    of their own organisation and those below it."""
    _check_member_action(user=user, actor=actor, verb="appoint organisation admins", removes=False)
    if not user.is_participant or user.organisation_id is None:
        raise ValidationFailed("Only a participant attached to an organisation can be an admin.")
    if not user.is_active:
        raise ValidationFailed(f"{user.email} is deactivated; the desk can reactivate them.")
    if user.groups.filter(name=roles.ORGANISATION_ADMIN).exists():
        raise ValidationFailed(f"{user.email} is already an organisation admin.")
    with transaction.atomic():
        user.groups.add(Group.objects.get(name=roles.ORGANISATION_ADMIN))
        security_event_record(
            kind=SecurityEvent.Kind.ADMIN_APPOINTED,
            actor=actor,
            subject=user,
            request=request,
            detail=f"Appointed organisation admin of {user.organisation}.",
        )
    return user
