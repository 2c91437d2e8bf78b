"""Major-incident candidates for tests, proposed and decided through the promotion services."""

from major_incidents.models import ServiceImpact, ValidityCriterion
from major_incidents.promotion import candidate_accept, candidate_propose
from tickets.models import Service


def all_answers(yes=(), evidence="Seen in the DIP monitoring dashboards") -> dict:
    """Every §5.8 criterion answered: yes (with evidence) for those in `yes`, no for the rest."""
    return {
        criterion.value: {
            "met": criterion in yes,
            "evidence": evidence if criterion in yes else "",
        }
        for criterion in ValidityCriterion
    }


def proposed_candidate(*, incident, actor, reason="DIP is down for every supplier"):
    return candidate_propose(incident=incident, actor=actor, reason=reason)


def accepted_candidate(*, candidate, actor, manager, triage_lead, yes, **kwargs):
    return candidate_accept(
        candidate=candidate,
        actor=actor,
        assessments=all_answers(yes=yes),
        manager=manager,
        triage_lead=triage_lead,
        public_title=kwargs.pop("public_title", "Data Integration Platform unavailable"),
        services=list(Service.objects.filter(code__in=kwargs.pop("services", ("dip",)))),
        service_status=kwargs.pop("service_status", ServiceImpact.Status.MAJOR_OUTAGE),
        **kwargs,
    )
