"""Incidents and major incidents for tests, made through the services (never bare rows)."""

from cases.services import case_raise_incident
from incidents.services import incident_create
from major_incidents.models import ServiceImpact
from major_incidents.records import major_incident_open
from tests.factories.cases import CaseFactory, category
from tickets.models import Service, Subcategory


def raised_incident(*, caller, agent, resolver_group, impact: int = 2, urgency: int = 2, case=None):
    """An incident raised from a participant's case at triage (§4.1 step 4)."""
    return case_raise_incident(
        case=case or CaseFactory(caller=caller),
        actor=agent,
        assignment_group=resolver_group,
        impact=impact,
        urgency=urgency,
    )


def opened_major_incident(*, incident, actor, manager, services=("dip",), **kwargs):
    """A major incident wrapping `incident`, as promotion leaves it (§5.11 step 7)."""
    return major_incident_open(
        actor=actor,
        incident=incident,
        manager=manager,
        title=kwargs.pop("title", f"Major: {incident.short_description}"),
        public_title=kwargs.pop("public_title", "Data Integration Platform unavailable"),
        services=list(Service.objects.filter(code__in=services)),
        service_status=kwargs.pop("service_status", ServiceImpact.Status.MAJOR_OUTAGE),
        **kwargs,
    )


def direct_incident(*, agent, resolver_group, services=(), subcategory=None, **kwargs):
    """An incident the desk raises directly, with the §5.7 logging fields (§5.4, §5.7);
    `subcategory` is a name under the category."""
    chosen = category(kwargs.pop("category_name", "Market Systems"))
    if subcategory is not None:
        subcategory = Subcategory.objects.get(category=chosen, name=subcategory)
    return incident_create(
        actor=agent,
        short_description=kwargs.pop("short_description", "DIP messages queued"),
        description=kwargs.pop("description", "Messages from the DIP stopped at 09:00."),
        category=chosen,
        subcategory=subcategory,
        assignment_group=resolver_group,
        impact=kwargs.pop("impact", 2),
        urgency=kwargs.pop("urgency", 2),
        services=list(Service.objects.filter(code__in=services)),
        **kwargs,
    )
