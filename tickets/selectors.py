"""The one visibility rule for every ticket query (§10.4).

A participant sees the tickets of their own organisation and of every organisation below it,
plus those they raised; never a sibling's or an ancestor's. Desk roles holding
`<app>.view_all_<model>` see everything; resolvers holding `<app>.work_group_<model>` see what
is assigned to them or to one of their resolver groups. Portal pages, the API, attachment
downloads and the admin all start from `visible_tickets`.
"""

import operator
from functools import cache, reduce

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from accounts.selectors import resolver_group_ids, visible_organisation_ids

from .models import Attachment, JournalEntry, PendingUpload, Ticket, TicketLink
from .registry import ticket_type_for


def can_view_all(user, model: type[Ticket]) -> bool:
    meta = model._meta
    return user.is_superuser or user.has_perm(f"{meta.app_label}.view_all_{meta.model_name}")


def _visibility(queryset: QuerySet, *, user, participants_may_see: bool | None) -> list[Q] | None:
    """The conditions under which `user` sees a ticket of `queryset`'s type, any one enough:
    None when they see every ticket, [] when none."""
    model = queryset.model
    if participants_may_see is None:
        participants_may_see = ticket_type_for(model).participants_may_see
    if not (user and user.is_authenticated and user.is_active):
        return []
    if can_view_all(user, model):
        return None
    meta = model._meta
    conditions = []
    if user.has_perm(f"{meta.app_label}.work_group_{meta.model_name}"):
        conditions.append(Q(assigned_to_id=user.pk))
        group_ids = resolver_group_ids(user)
        if group_ids:
            conditions.append(Q(assignment_group_id__in=group_ids))
    if participants_may_see:
        conditions.append(Q(caller_id=user.pk))
        organisation_ids = visible_organisation_ids(user)
        if organisation_ids:
            conditions.append(Q(organisation_id__in=organisation_ids))
    return conditions


def visible_tickets(
    queryset: QuerySet, *, user, participants_may_see: bool | None = None
) -> QuerySet:
    """Narrow `queryset` to what `user` may see; constant number of queries at any size.

    The user's organisations and resolver groups are resolved first (one small query each,
    remembered for the request), so the ticket query filters by `organisation_id IN (…)` and
    `assignment_group_id IN (…)`: plain indexed columns, no join, at a million tickets as at
    ten (issue 9).

    Whether participants may see this type at all comes from its registry entry unless given.
    """
    conditions = _visibility(queryset, user=user, participants_may_see=participants_may_see)
    if conditions is None:
        # A copy: callers may pass a base queryset kept for the process (`functools.cache`),
        # which must never be evaluated and so hold one request's rows for the next.
        return queryset.all()
    if not conditions:
        return queryset.none()
    return queryset.filter(reduce(operator.or_, conditions))


def visible_ticket_parts(
    queryset: QuerySet, *, user, participants_may_see: bool | None = None
) -> list[QuerySet]:
    """`visible_tickets(queryset, …)` as disjoint querysets whose rows together are exactly
    its rows (each part leaves out what an earlier one holds), for a capped count.

    Counting `organisation_id IN (…) OR caller_id = …` up to 1,000 rows has to test the
    condition on the index entries of every case in the desk until 1,000 match (3.8 ms at a
    million cases for a tree holding a tenth of them); counted part by part, the organisation
    part is an index-only scan that stops at the cap (0.5 ms) and the others mostly never run
    (`core.pagination`, `counting=`).
    """
    conditions = _visibility(queryset, user=user, participants_may_see=participants_may_see)
    if conditions is None:
        return [queryset.all()]
    if not conditions:
        return [queryset.none()]
    # The widest first: the organisation tree, then the user's own, then the groups'.
    conditions.reverse()
    return [
        queryset.filter(condition).exclude(reduce(operator.or_, conditions[:index]))
        if index
        else queryset.filter(condition)
        for index, condition in enumerate(conditions)
    ]


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


JOURNAL_ROW_VALUES = (
    "pk",
    "kind",
    "body",
    "created_at",
    "author_id",
    "author__full_name",
    "author__email",
    "author__is_staff",
)
ATTACHMENT_ROW_VALUES = (
    "pk",
    "original_name",
    "size",
    "mime_type",
    "created_at",
    "uploaded_by_id",
    "uploaded_by__full_name",
    "uploaded_by__email",
)


# A page reads the same query shape for every ticket: its columns, joins and order are built
# once per process (`functools.cache`; the base is never evaluated, only narrowed), and each
# call adds the ticket — half the cost of building these small queries (issue 9).


@cache
def _journal_rows(include_work_notes: bool) -> QuerySet:
    entries = JournalEntry.objects.all()
    if not include_work_notes:
        entries = entries.exclude(kind=JournalEntry.Kind.WORK_NOTE)
    return entries.values(*JOURNAL_ROW_VALUES)


@cache
def _attachment_rows() -> QuerySet:
    return Attachment.objects.values(*ATTACHMENT_ROW_VALUES)


def journal_rows_for(ticket: Ticket, *, include_work_notes: bool) -> QuerySet:
    """`journal_for` as plain `JOURNAL_ROW_VALUES` rows, oldest first, for a page that only
    shows them: no model instances for a long history (issue 9)."""
    return _journal_rows(include_work_notes).filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    )


def attachment_rows_for(ticket: Ticket) -> QuerySet:
    """`attachments_for` as plain `ATTACHMENT_ROW_VALUES` rows, oldest first."""
    return _attachment_rows().filter(
        ticket_type=ContentType.objects.get_for_model(ticket), ticket_id=ticket.pk
    )


def attachment_get_for(*, user, attachment_id: int) -> Attachment | None:
    """An attachment, only if its ticket is visible to `user` (same selector as the pages)."""
    attachment = Attachment.objects.select_related("ticket_type").filter(pk=attachment_id).first()
    if attachment is None:
        return None
    model = attachment.ticket_type.model_class()
    visible = visible_tickets(model.objects.filter(pk=attachment.ticket_id), user=user)
    return attachment if visible.exists() else None


def pending_uploads_for(*, user, ids) -> list[PendingUpload]:
    """The files kept for `user` among `ids` (as a form sends them back: text, maybe not
    numbers), oldest first; anyone else's are not found."""
    wanted = {int(value) for value in ids if str(value).isdigit() and len(str(value)) <= 18}
    if not wanted or not (user and user.is_authenticated):
        return []
    return list(PendingUpload.objects.filter(user=user, pk__in=wanted).order_by("created_at", "pk"))


def linked_tickets(ticket: Ticket, *, kind: str, ticket_is: str = "to") -> list[Ticket]:
    """The tickets at the other end of `ticket`'s links of one kind, oldest first, whatever
    their type: one query for the links and one per type found.

    `ticket_is="to"`: tickets linking to this one (the cases of an incident); "from": tickets
    this one links to.
    """
    here = ContentType.objects.get_for_model(ticket)
    if ticket_is == "to":
        links = TicketLink.objects.filter(kind=kind, to_type=here, to_id=ticket.pk)
        pairs = links.values_list("from_type_id", "from_id")
    else:
        links = TicketLink.objects.filter(kind=kind, from_type=here, from_id=ticket.pk)
        pairs = links.values_list("to_type_id", "to_id")
    by_type: dict[int, list[int]] = {}
    for type_id, object_id in pairs:
        by_type.setdefault(type_id, []).append(object_id)
    found: list[Ticket] = []
    for type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is not None:
            found.extend(model.objects.filter(pk__in=ids))
    return sorted(found, key=lambda t: (t.opened_at, t.pk))
