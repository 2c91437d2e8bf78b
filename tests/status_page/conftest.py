"""Major incidents for the status page tests, built through the services, with secret
markers in every internal field so a test can prove none of them reaches the public."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.services import case_raise_incident
from incidents.services import incident_work_note_add
from major_incidents.models import MajorIncident, PublicUpdate
from major_incidents.records import major_incident_open, timeline_add
from tests.factories.cases import CaseFactory
from tickets.models import Service

SECRETS = (
    "SECRET-MI-TITLE",
    "SECRET-CASE-DESCRIPTION",
    "SECRET-CASE-SUBJECT",
    "SECRET-WORK-NOTE",
    "SECRET-BRIDGE",
    "SECRET-TIMELINE",
)


@pytest.fixture
def make_major(org_user, agent, resolver_group, resolver, incident_manager):
    """`make_major(services={"dip": "major_outage"}, public_title=…)`: an active major
    incident over a case and incident full of secrets."""

    def make(*, services=None, public_title="DIP messages delayed", started_at=None, **kwargs):
        services = services or {"dip": "major_outage"}
        case = CaseFactory(
            caller=org_user,
            short_description="SECRET-CASE-SUBJECT",
            description="SECRET-CASE-DESCRIPTION",
        )
        incident = case_raise_incident(
            case=case, actor=agent, assignment_group=resolver_group, impact=1, urgency=1
        )
        incident_work_note_add(incident=incident, actor=resolver, body="SECRET-WORK-NOTE")
        codes = list(services)
        major = major_incident_open(
            actor=agent,
            incident=incident,
            manager=incident_manager,
            title="SECRET-MI-TITLE",
            public_title=public_title,
            public_summary=kwargs.pop("public_summary", "Messages are delayed by up to an hour."),
            services=list(Service.objects.filter(code__in=codes)),
            started_at=started_at,
        )
        major.bridge_details = "SECRET-BRIDGE"
        major.save(update_fields=["bridge_details"])
        for impact in major.service_impacts.select_related("service"):
            impact.status = services[impact.service.code]
            impact.save(update_fields=["status"])
        timeline_add(major_incident=major, kind="note", body="SECRET-TIMELINE")
        return major

    return make


def resolve(major: MajorIncident, *, at=None) -> MajorIncident:
    """Resolved as the war room leaves it (state and time only: what the page reads)."""
    major.state = MajorIncident.State.RESOLVED
    major.public_status = MajorIncident.PublicStatus.RESOLVED
    major.resolved_at = at or timezone.now()
    major.save(update_fields=["state", "public_status", "resolved_at"])
    return major


def publish_update(major, body: str, *, status="investigating", minutes_ago: int = 0, by=None):
    return PublicUpdate.objects.create(
        major_incident=major,
        status=status,
        body=body,
        published_by=by,
        published_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
