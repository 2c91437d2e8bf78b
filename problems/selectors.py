"""Reads on problems shared by the console, the API and other apps: the problems of an
incident, the incidents of a problem, and what a problem raised from an incident starts with."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, QuerySet
from django.urls import reverse

from incidents.models import Incident
from tickets.models import TicketLink
from tickets.selectors import visible_tickets

from .models import Problem

PROBLEM_LIST_RELATED = ("assignment_group", "assigned_to", "category", "service")


def problem_queryset() -> QuerySet:
    """Problems with what a list or page shows joined, newest first."""
    return Problem.objects.select_related(*PROBLEM_LIST_RELATED).order_by("-opened_at", "-pk")


def problem_list_for(*, user) -> QuerySet:
    """The problems `user` may see (§10.4): all for the desk and problem managers, their
    groups' for resolvers, none for participants."""
    return visible_tickets(problem_queryset(), user=user)


def _link_ids(*, incident_ids=None, problem_ids=None, column: str) -> QuerySet:
    links = TicketLink.objects.filter(
        kind=TicketLink.Kind.INCIDENT_PROBLEM,
        from_type=ContentType.objects.get_for_model(Incident),
        to_type=ContentType.objects.get_for_model(Problem),
    )
    if incident_ids is not None:
        links = links.filter(from_id__in=incident_ids)
    if problem_ids is not None:
        links = links.filter(to_id__in=problem_ids)
    return links.values(column)


def problems_of_incident(incident: Incident) -> QuerySet:
    """The problems linked to an incident (incident → problem links), newest first: one
    query, run only when the rows are read."""
    return problem_queryset().filter(pk__in=_link_ids(incident_ids=[incident.pk], column="to_id"))


def incidents_of_problem(problem: Problem) -> QuerySet:
    """The incidents linked to a problem, oldest first: one query, with their groups."""
    return (
        Incident.objects.filter(pk__in=_link_ids(problem_ids=[problem.pk], column="from_id"))
        .select_related("assignment_group")
        .order_by("opened_at", "pk")
    )


def incident_counts(problems) -> dict[int, int]:
    """How many incidents are linked to each of `problems` (a page of them): one grouped
    query, so a list pays for its page only. A problem with none is left out."""
    ids = [problem.pk for problem in problems]
    if not ids:
        return {}
    rows = (
        TicketLink.objects.filter(
            kind=TicketLink.Kind.INCIDENT_PROBLEM,
            from_type=ContentType.objects.get_for_model(Incident),
            to_type=ContentType.objects.get_for_model(Problem),
            to_id__in=ids,
        )
        .order_by()
        .values("to_id")
        .annotate(n=Count("pk"))
        .values_list("to_id", "n")
    )
    return dict(rows)


def with_incident_counts(problems) -> list:
    """`problems` as a list, each with `incident_count` set (`incident_counts`)."""
    problems = list(problems)
    counts = incident_counts(problems)
    for problem in problems:
        problem.incident_count = counts.get(problem.pk, 0)
    return problems


def problem_fields_from_incident(incident: Incident) -> dict:
    """What a problem raised from `incident` starts with (§5.5 step 17): its subject,
    description, category, resolver group, impact and urgency, and the first service it
    affects as the configuration item (§6.5). Every value may be changed before raising."""
    return {
        "short_description": incident.short_description,
        "description": incident.description,
        "category": incident.category,
        "assignment_group": incident.assignment_group,
        "impact": incident.impact,
        "urgency": incident.urgency,
        "service": incident.services.order_by("sort_order", "name").first(),
    }


def incident_problems_context(ticket) -> dict:
    """The console extension's context for an incident's page: its problems (a lazy
    queryset, read only where the page draws them) and where to raise one. Other ticket
    types get nothing and pay nothing."""
    if not isinstance(ticket, Incident):
        return {}
    return {
        "incident_problems": problems_of_incident(ticket),
        "raise_problem_url": reverse("admin:problems_problem_from_incident", args=[ticket.pk]),
    }
