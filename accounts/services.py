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
from django.utils import timezone

from core.errors import ActionNotPermitted, ValidationFailed

from . import roles
from .audit import security_event_record
from .models import Organisation, RegistrationRequest, SecurityEvent, User
from .signals import registration_approved, registration_refused

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
        _registration_close_as_approved(user=user, actor=actor)
    return user


def _registration_close_as_approved(*, user: User, actor) -> None:
    """Attaching someone answers their registration request, whichever path attached them
    (the pending list, the attach form, the console's user page): it is marked approved and
    they are told (§10.1). The conditional update lets one of two simultaneous approvals
    tell them, not both."""
    decided = RegistrationRequest.objects.filter(user=user).exclude(
        status=RegistrationRequest.Status.APPROVED
    )
    if decided.update(
        status=RegistrationRequest.Status.APPROVED,
        decided_at=timezone.now(),
        decided_by=actor if getattr(actor, "is_authenticated", False) else None,
        refusal_reason="",
    ):
        registration = RegistrationRequest.objects.select_related("user").get(user=user)
        registration_approved.send(sender=RegistrationRequest, registration=registration)


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


# --- registration (§10.1) -----------------------------------------------------------------------


def registration_request_create(
    *,
    user: User,
    full_name: str,
    organisation: Organisation | None,
    organisation_name: str = "",
) -> RegistrationRequest:
    """Record what someone gave when they registered (§10.1): their name, and the organisation
    they ask to join — a registered one, or the name of one that is not listed. It waits for
    an organisation admin or the service desk (`registration_approve`, `registration_refuse`).
    """
    full_name = " ".join((full_name or "").split())
    organisation_name = " ".join((organisation_name or "").split())
    errors: dict[str, list[str]] = {}
    if not full_name:
        errors["full_name"] = ["Enter your full name."]
    if organisation is None and not organisation_name:
        errors["organisation_name"] = [
            "Enter your organisation's name, or choose it from the list."
        ]
    elif organisation is not None and not organisation.active:
        errors["organisation"] = ["That organisation is no longer registered; choose another."]
    if not user.is_participant:
        raise ActionNotPermitted("Only participants register to join an organisation.")
    if errors:
        raise ValidationFailed(
            "The registration could not be made; check the highlighted fields.",
            field_errors=errors,
        )
    with transaction.atomic():
        user.full_name = full_name
        user.save(update_fields=["full_name"])
        return RegistrationRequest.objects.create(
            user=user,
            organisation=organisation,
            organisation_name="" if organisation is not None else organisation_name,
        )


def registration_is_complete(user: User) -> bool:
    """Whether someone finished registering (§10.1, §10.5.2): their address is verified and
    they set up an authenticator app. Only complete registrations are approved."""
    from allauth.mfa.models import Authenticator

    return (
        _has_verified_address(user)
        and Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    )


def _check_registration_decision(*, registration: RegistrationRequest, actor, verb: str) -> None:
    """Who decides a registration (§10.1, §10.4): the service desk, or an organisation admin
    of the organisation it names or one above it. A registration naming an organisation that
    is not listed is the desk's to decide. Only a waiting registration is decided."""
    if not _is_desk(actor):
        if not _is_organisation_admin(actor):
            raise ActionNotPermitted(
                f"Only an organisation admin or the service desk can {verb} registrations."
            )
        if not _in_actor_tree(actor, registration.organisation_id):
            raise ActionNotPermitted(
                f"You can only {verb} registrations for your own organisation or those below it."
            )
    if registration.status != RegistrationRequest.Status.PENDING:
        raise ValidationFailed(
            f"This registration has already been {registration.get_status_display().lower()}."
        )


def registration_approve(
    *,
    registration: RegistrationRequest,
    actor,
    organisation: Organisation | None = None,
    request=None,
) -> RegistrationRequest:
    """Approve a registration (§10.1): attach the person to the organisation they asked for,
    or to the one the approver chooses (an organisation admin chooses within their tree; the
    desk chooses one for an organisation that was not listed), through
    `user_attach_to_organisation`, which marks the request approved and tells them."""
    _check_registration_decision(registration=registration, actor=actor, verb="approve")
    organisation = organisation or registration.organisation
    if organisation is None:
        raise ValidationFailed(
            "Choose the organisation to attach them to: theirs was not in the list.",
            field_errors={"organisation": ["Choose the organisation to attach them to."]},
        )
    user = registration.user
    if not registration_is_complete(user):
        raise ValidationFailed(
            f"{user.email} has not finished registering: they must confirm their email address "
            "and set up Microsoft Authenticator first."
        )
    with transaction.atomic():
        user_attach_to_organisation(
            user=user, organisation=organisation, actor=actor, request=request
        )
    registration.refresh_from_db()
    return registration


def registration_refuse(
    *, registration: RegistrationRequest, actor, reason: str, request=None
) -> RegistrationRequest:
    """Refuse a registration with a reason (§10.1). The person keeps their account, is not
    attached, reads the reason when they sign in and is told by email that there is an answer
    (the email carries no typed words, §10.5.5). Recorded in the security log."""
    reason = (reason or "").strip()
    _check_registration_decision(registration=registration, actor=actor, verb="refuse")
    if not reason:
        raise ValidationFailed(
            "Give the reason for refusing the registration.",
            field_errors={"reason": ["Give the reason: the person reads it when they sign in."]},
        )
    with transaction.atomic():
        # Conditional, so two people deciding at once cannot both win (nor refuse an approval).
        decided = RegistrationRequest.objects.filter(
            pk=registration.pk, status=RegistrationRequest.Status.PENDING
        ).update(
            status=RegistrationRequest.Status.REFUSED,
            decided_at=timezone.now(),
            decided_by=actor,
            refusal_reason=reason,
        )
        if not decided:
            raise ValidationFailed("Someone else has just decided this registration; reload it.")
        registration.refresh_from_db()
        security_event_record(
            kind=SecurityEvent.Kind.REGISTRATION_REFUSED,
            actor=actor,
            subject=registration.user,
            request=request,
            detail=f"Registration refused: {reason}",
        )
        registration_refused.send(sender=RegistrationRequest, registration=registration)
    return registration
