"""The desk's own hold on a case: who works it (assignment) and what it is about (category,
§5.17). Both keep their history twice over: the case's history row (django-simple-history,
with the agent as its author) and a work note in the journal, which never leaves the desk."""

from django.contrib.auth import get_user_model
from django.db import transaction

from comms import notifications
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.models import Category, JournalEntry
from tickets.services import journal_entry_add, ticket_changes_recorded

from .models import Case

# A case assigned to someone is still worked until it is Closed or Cancelled: a Resolved case
# waits on its caller, and a reply reaches its assignee.
ASSIGNABLE_STATES = (
    Case.State.NEW,
    Case.State.IN_PROGRESS,
    Case.State.ON_HOLD,
    Case.State.RESOLVED,
)
# While the desk is still assessing the case (§4.1, §5.17): before it is resolved.
RECATEGORISABLE_STATES = (Case.State.NEW, Case.State.IN_PROGRESS, Case.State.ON_HOLD)


def _require_desk(actor, action: str) -> None:
    if not (actor and actor.is_staff and actor.has_perm("cases.change_case")):
        raise ActionNotPermitted(f"Only the service desk can {action}.")


def case_assignees():
    """The people a case may be assigned to: active desk staff who may work cases."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    return users.filter(
        groups__permissions__codename="change_case",
        groups__permissions__content_type__app_label="cases",
    ).distinct()


def _label(user) -> str:
    return (getattr(user, "full_name", "") or user.email) if user is not None else "nobody"


def case_assign(*, case: Case, actor, assigned_to) -> Case:
    """Assign a case to a desk agent, reassign it, or unassign it (`assigned_to=None`).

    The new assignee is told in the console and by email (`ticket_assigned_to_person`), unless
    they took it themselves; from then on the caller's replies reach them rather than the desk
    mailbox (Appendix G). An assignment that changes nothing records nothing.
    """
    _require_desk(actor, "assign cases")
    if assigned_to is not None and not case_assignees().filter(pk=assigned_to.pk).exists():
        raise ValidationFailed(
            f"{_label(assigned_to)} is not on the service desk.",
            field_errors={"assigned_to": ["Choose an agent of the service desk."]},
        )
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state not in ASSIGNABLE_STATES:
            raise TransitionNotAllowed(
                f"{locked.number} is {locked.get_state_display()}; only a case still being "
                "worked can be assigned."
            )
        new_id = getattr(assigned_to, "pk", None)
        if locked.assigned_to_id == new_id:
            return locked
        previous = locked.assigned_to if locked.assigned_to_id else None
        locked.assigned_to = assigned_to
        locked._history_user = actor
        locked.save(update_fields=["assigned_to", "updated_at"])
        ticket_changes_recorded(ticket=locked)
        if assigned_to is None:
            body = f"Unassigned (was {_label(previous)})."
        elif previous is None:
            body = f"Assigned to {_label(assigned_to)}."
        else:
            body = f"Reassigned to {_label(assigned_to)} (was {_label(previous)})."
        journal_entry_add(ticket=locked, kind=JournalEntry.Kind.WORK_NOTE, body=body, author=actor)
        if assigned_to is not None and assigned_to.pk != actor.pk:
            notifications.ticket_assigned_to_person(locked)
    return locked


def case_category_change(*, case: Case, actor, category: Category) -> Case:
    """The desk corrects the category while assessing the case (§5.17), before it is resolved;
    an incident raised from it afterwards takes the category chosen here (§5.4)."""
    _require_desk(actor, "change the category of cases")
    if category is None:
        raise ValidationFailed(
            "Choose a category.", field_errors={"category": ["Choose a category."]}
        )
    if not category.active:
        raise ValidationFailed(
            "That category is no longer in use; choose another.",
            field_errors={"category": ["That category is no longer in use; choose another."]},
        )
    with transaction.atomic():
        locked = (
            Case.objects.select_for_update(of=("self",)).select_related("category").get(pk=case.pk)
        )
        if locked.state not in RECATEGORISABLE_STATES:
            raise TransitionNotAllowed(
                f"{locked.number} is {locked.get_state_display()}; its category can only be "
                "changed while the desk is assessing it."
            )
        if locked.category_id == category.pk:
            return locked
        previous = locked.category.name if locked.category_id else "none"
        locked.category = category
        locked._history_user = actor
        locked.save(update_fields=["category", "updated_at"])
        ticket_changes_recorded(ticket=locked)
        journal_entry_add(
            ticket=locked,
            kind=JournalEntry.Kind.WORK_NOTE,
            body=f"Category changed from {previous} to {category.name}.",
            author=actor,
        )
    return locked
