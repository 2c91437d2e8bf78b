"""Reads on changes shared by the console, the API and the later CAB and schedule pages:
visible changes (§10.4), a change's approvals and links, the open post-implementation review
items (§8.9.6) and the external change notifications (§8.12)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from incidents.models import Incident
from problems.models import Problem
from tickets.models import TicketLink
from tickets.selectors import visible_tickets

from .models import Change, ChangeApproval, ChangeReviewItem, ExternalChangeNotification

CHANGE_LIST_RELATED = ("category", "assignment_group", "assigned_to", "requested_by")


def change_queryset() -> QuerySet:
    """Changes with what a list or page shows joined, newest first."""
    return Change.objects.select_related(*CHANGE_LIST_RELATED).order_by("-opened_at", "-pk")


def change_list_for(*, user) -> QuerySet:
    """The changes `user` may see: staff holding `changes.view_all_change`; nobody else
    (changes are staff records, §8.1)."""
    return visible_tickets(change_queryset(), user=user)


def change_detail_queryset() -> QuerySet:
    """One change with its services, approvals (and approvers) and template: a fixed number
    of queries whatever it holds."""
    return (
        change_queryset()
        .select_related("template", "authorised_by", "opened_by")
        .prefetch_related(
            "services",
            Prefetch("approvals", queryset=ChangeApproval.objects.select_related("approver")),
        )
    )


def change_get_for(*, user, number: str) -> Change | None:
    return (
        visible_tickets(change_detail_queryset(), user=user)
        .filter(number=(number or "").strip().upper())
        .first()
    )


def _linked_ids(change: Change, model, kind: str) -> QuerySet:
    return TicketLink.objects.filter(
        kind=kind,
        from_type=ContentType.objects.get_for_model(model),
        to_type=ContentType.objects.get_for_model(Change),
        to_id=change.pk,
    ).values("from_id")


def incidents_of_change(change: Change) -> QuerySet:
    """Incidents the change fixes (incident → change links), oldest first."""
    return Incident.objects.filter(
        pk__in=_linked_ids(change, Incident, TicketLink.Kind.INCIDENT_CHANGE)
    ).order_by("opened_at", "pk")


def problems_of_change(change: Change) -> QuerySet:
    """Problems whose fix the change is (problem → change links), oldest first."""
    return Problem.objects.filter(
        pk__in=_linked_ids(change, Problem, TicketLink.Kind.PROBLEM_CHANGE)
    ).order_by("opened_at", "pk")


def changes_linked_to(ticket) -> QuerySet:
    """The changes raised for or linked to an incident or a problem, newest first."""
    kind = (
        TicketLink.Kind.INCIDENT_CHANGE
        if isinstance(ticket, Incident)
        else TicketLink.Kind.PROBLEM_CHANGE
    )
    ids = TicketLink.objects.filter(
        kind=kind,
        from_type=ContentType.objects.get_for_model(type(ticket)),
        from_id=ticket.pk,
        to_type=ContentType.objects.get_for_model(Change),
    ).values("to_id")
    return change_queryset().filter(pk__in=ids)


def open_review_items() -> QuerySet:
    """Post-implementation review items not yet reviewed, oldest first (§8.9.6 agenda item
    "changes recently implemented and not closed as Successful or Cancelled")."""
    return (
        ChangeReviewItem.objects.filter(reviewed_at__isnull=True)
        .select_related("change")
        .order_by("opened_at", "pk")
    )


def external_change_notification_list_for(*, user) -> QuerySet:
    """External change notifications (§8.12): every one for the Change Manager; their own
    organisation's for the parties that send them; none for anyone else."""
    rows = ExternalChangeNotification.objects.select_related(
        "organisation", "submitted_by", "change"
    ).order_by("-received_at", "-pk")
    if not (user and user.is_authenticated and user.is_active):
        return rows.none()
    if user.is_superuser or user.has_perm("changes.view_externalchangenotification"):
        return rows
    if user.has_perm("changes.add_externalchangenotification"):
        if user.organisation_id:
            return rows.filter(organisation_id=user.organisation_id)
        return rows.filter(submitted_by_id=user.pk)
    return rows.none()


def linked_changes_context(ticket) -> dict:
    """The console extension's context for an incident's or a problem's page: the changes
    linked to it (a lazy queryset, read only where the page draws them) and where to raise
    one from it. Other ticket types get nothing and pay nothing."""
    if not isinstance(ticket, Incident | Problem):
        return {}
    source = "incident" if isinstance(ticket, Incident) else "problem"
    return {
        "linked_changes": changes_linked_to(ticket),
        "raise_change_url": f"{reverse('admin:changes_change_add')}?{source}={ticket.pk}",
    }
