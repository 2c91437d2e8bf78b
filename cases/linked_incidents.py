"""The incidents a case is linked to, as the console asks about them (§4.1 step 4, §5.5)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Subquery

from incidents.models import Incident
from tickets.models import TicketLink

from .models import Case


def open_incidents_of(case: Case) -> list[tuple[str, str]]:
    """(number, state label) of each incident linked to `case` that is not yet resolved,
    cancelled or closed, by number: one query."""
    linked = TicketLink.objects.filter(
        kind=TicketLink.Kind.CASE_INCIDENT,
        from_type=ContentType.objects.get_for_model(Case),
        from_id=case.pk,
    ).values("to_id")
    rows = (
        Incident.objects.filter(pk__in=Subquery(linked), state__in=Incident.OPEN_STATES)
        .order_by("number")
        .values_list("number", "state")
    )
    return [(number, Incident.State(state).label) for number, state in rows]
