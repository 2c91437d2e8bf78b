"""Raising a problem record from a post-incident review (§5.11 steps 23–25, §5.23): the
review's findings become the problem's starting point, linked to the major incident's
incident, and the war room's timeline records it."""

from django.db import transaction
from django.urls import reverse

from problems.models import Problem
from problems.services import problem_raise_from
from tickets.limits import SUBJECT_MAX_CHARS

from .models import PostIncidentReview, TimelineEntry
from .records import timeline_add


def problem_fields_from_review(review: PostIncidentReview) -> dict:
    """The problem form's starting values: subject and description from the review, the
    incident's category, resolver group, impact and urgency, the first affected service."""
    major_incident = review.major_incident
    incident = major_incident.incident
    subject = f"{review.incident_ref}: {review.incident_title}"[:SUBJECT_MAX_CHARS]
    sections = [
        ("Root cause", review.root_cause),
        ("Incident description", review.incident_description),
        ("Resolution", review.incident_resolution),
    ]
    description = "\n\n".join(f"{title}:\n{text.strip()}" for title, text in sections if text)
    link = reverse("admin:major_incidents_postincidentreview_change", args=[review.pk])
    description = (
        f"Raised from the post-incident review of {major_incident.number} ({link}).\n\n"
        + description
    ).strip()
    service = next(iter(review.services.all()), None)
    return {
        "short_description": subject,
        "description": description,
        "category": incident.category if incident else None,
        "service": service,
        "impact": incident.impact if incident else None,
        "urgency": incident.urgency if incident else None,
        "assignment_group": incident.assignment_group if incident else None,
    }


def review_raise_problem(*, review: PostIncidentReview, actor, **fields) -> Problem:
    """Raise the problem (the problem app checks §6.5 and the actor's right to raise one),
    linked to the incident, with the review's root cause, and put it on the timeline."""
    major_incident = review.major_incident
    incidents = [major_incident.incident] if major_incident.incident else []
    with transaction.atomic():
        problem = problem_raise_from(
            actor=actor,
            source_label=f"the post-incident review of {major_incident.number}",
            incidents=incidents,
            root_cause=review.root_cause,
            **fields,
        )
        timeline_add(
            major_incident=major_incident,
            kind=TimelineEntry.Kind.ACTION,
            body=f"Problem {problem.number} raised from the post-incident review.",
            author=actor,
        )
    return problem
