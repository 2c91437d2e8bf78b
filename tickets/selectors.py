"""The one visibility rule for every ticket query (§10.4).

A participant sees the tickets of their own organisation and of every organisation below it,
plus those they raised; never a sibling's or an ancestor's. Desk roles holding
`<app>.view_all_<model>` see everything; resolvers holding `<app>.work_group_<model>` see what
is assigned to them or to one of their resolver groups. Portal pages, the API, attachment
downloads and the admin all start from `visible_tickets`.
"""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet, Subquery

from accounts.models import Organisation, ResolverGroup

from .models import Attachment, JournalEntry, Ticket


def can_view_all(user, model: type[Ticket]) -> bool:
    meta = model._meta
    return user.is_superuser or user.has_perm(f"{meta.app_label}.view_all_{meta.model_name}")


def visible_tickets(queryset: QuerySet, *, user, participants_may_see: bool = True) -> QuerySet:
    """Narrow `queryset` to what `user` may see; constant number of queries at any size."""
    model = queryset.model
    if not (user and user.is_authenticated and user.is_active):
        return queryset.none()
    if can_view_all(user, model):
        return queryset
    meta = model._meta
    condition = Q(pk__in=[])
    if user.has_perm(f"{meta.app_label}.work_group_{meta.model_name}"):
        group_ids = ResolverGroup.members.through.objects.filter(user_id=user.pk).values(
            "resolvergroup_id"
        )
        condition |= Q(assignment_group_id__in=group_ids) | Q(assigned_to_id=user.pk)
    if participants_may_see:
        condition |= Q(caller_id=user.pk)
        if user.organisation_id:
            own_path = Organisation.objects.filter(pk=user.organisation_id).values("path")[:1]
            condition |= Q(organisation__path__startswith=Subquery(own_path))
    return queryset.filter(condition)


def journal_for(ticket: Ticket, *, include_work_notes: bool) -> QuerySet:
    entries = JournalEntry.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    ).select_related("author")
    if not include_work_notes:
        entries = entries.exclude(kind=JournalEntry.Kind.WORK_NOTE)
    return entries


def attachments_for(ticket: Ticket) -> QuerySet:
    return Attachment.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    ).select_related("uploaded_by")


def attachment_get_for(*, user, attachment_id: int) -> Attachment | None:
    """An attachment, only if its ticket is visible to `user` (same selector as the pages)."""
    attachment = Attachment.objects.select_related("ticket_type").filter(pk=attachment_id).first()
    if attachment is None:
        return None
    model = attachment.ticket_type.model_class()
    participants_may_see = getattr(model, "PARTICIPANTS_MAY_SEE", True)
    visible = visible_tickets(
        model.objects.filter(pk=attachment.ticket_id),
        user=user,
        participants_may_see=participants_may_see,
    )
    return attachment if visible.exists() else None
