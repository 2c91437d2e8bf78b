"""Writes on organisations and users."""

from django.contrib.auth.models import Group
from django.db import transaction

from tickets.errors import ActionNotPermitted, ValidationFailed

from . import roles
from .models import Organisation, User


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


def user_attach_to_organisation(*, user: User, organisation: Organisation, actor) -> User:
    """Attach a registered user to an organisation so they can raise cases (§10.1).

    Desk staff may attach anyone; an organisation admin only to their own organisation or
    one below it, and only users not yet attached elsewhere.
    """
    from .selectors import organisations_for_user

    is_staff = actor.is_staff and actor.has_perm("accounts.change_user")
    if not is_staff:
        if not actor.groups.filter(name=roles.ORGANISATION_ADMIN).exists():
            raise ActionNotPermitted(
                "Only an organisation admin or the service desk can attach users."
            )
        if not organisations_for_user(actor).filter(pk=organisation.pk).exists():
            raise ActionNotPermitted(
                "You can only attach users to your own organisation or those below it."
            )
        if user.organisation_id and user.organisation_id != organisation.pk:
            raise ActionNotPermitted(
                f"{user.email} already belongs to another organisation; ask the service desk."
            )
    with transaction.atomic():
        user.organisation = organisation
        user.save(update_fields=["organisation"])
        user.groups.add(Group.objects.get(name=roles.SERVICE_USER))
    return user
