"""Reads about incidents shared by the console, the API and the services: the assignment
history, the people engaged and the incident report, each in one query with its people joined."""

from django.db.models import QuerySet

from accounts import roles
from accounts.models import User

from .models import Incident, IncidentAssignment, IncidentEngagement, IncidentReport


def incident_assignments_for(incident: Incident) -> QuerySet:
    """Where the incident has been, oldest first (§5.15, Appendix G)."""
    return IncidentAssignment.objects.filter(incident_id=incident.pk).select_related(
        "from_group", "from_person", "to_group", "to_person", "assigned_by"
    )


def incident_engagements_for(incident: Incident) -> QuerySet:
    """Everyone engaged on the incident, released or not, in the order they were engaged."""
    return IncidentEngagement.objects.filter(incident_id=incident.pk).select_related(
        "person", "engaged_by"
    )


def incident_report_for(incident: Incident) -> IncidentReport | None:
    """The incident report of §5.5 step 16, if written."""
    return (
        IncidentReport.objects.filter(incident_id=incident.pk)
        .select_related("written_by", "updated_by")
        .first()
    )


def incident_product_owners_for(incident: Incident) -> list[User]:
    """The product owners engaged on the incident now, as portal users (§5.17)."""
    return [
        engagement.person
        for engagement in incident_engagements_for(incident).filter(
            role=IncidentEngagement.Role.PRODUCT_OWNER,
            released_at__isnull=True,
            person__isnull=False,
        )
    ]


def incident_managers() -> QuerySet:
    """Active staff holding the Incident manager role (§5.17 recipients)."""
    return User.objects.filter(
        groups__name=roles.INCIDENT_MANAGER, is_active=True, is_staff=True
    ).order_by("pk")
