"""Raising a problem record from a post-incident review (§5.11 steps 23–25, §5.23): the form
is filled in from the review, the problem is linked to the incident and carries the review's
root cause, the war room's timeline records it, and people without the right are refused."""

import pytest
from django.urls import reverse

from incidents.services import incident_transition
from major_incidents.models import PostIncidentReview, TimelineEntry
from problems.models import Problem
from problems.selectors import problems_of_incident
from tests.conftest import mfa_client
from tests.factories.incidents import opened_major_incident, raised_incident

ROOT_CAUSE = "A certificate on the DIP gateway expired at 02:00."


@pytest.fixture
def review(org_user, agent, resolver_group, incident_manager):
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    incident = incident_transition(incident=incident, actor=agent, name="start")
    major = opened_major_incident(incident=incident, actor=agent, manager=incident_manager)
    incident_transition(
        incident=incident, actor=agent, name="resolve", notes="Certificate renewed.", code="solved"
    )
    review = PostIncidentReview.objects.get(major_incident=major)
    review.root_cause = ROOT_CAUSE
    review.save(update_fields=["root_cause"])
    return review


def _url(review):
    return reverse("admin:major_incidents_postincidentreview_raise_problem", args=[review.pk])


def test_the_form_is_filled_in_from_the_review(review, incident_manager):
    response = mfa_client(incident_manager).get(_url(review))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["short_description"].startswith(review.incident_ref)
    assert ROOT_CAUSE in form.initial["description"]
    assert form.initial["assignment_group"] == review.major_incident.incident.assignment_group


def test_raising_links_the_incident_keeps_the_root_cause_and_records_it_in_the_war_room(
    review, incident_manager
):
    incident = review.major_incident.incident
    data = {
        "short_description": "Certificates expire unnoticed",
        "description": "No alert before certificate expiry.",
        "category": incident.category_id,
        "impact": 2,
        "urgency": 2,
        "assignment_group": incident.assignment_group_id,
    }
    response = mfa_client(incident_manager).post(_url(review), data)
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:problems_problem_change", args=[problem.pk])
    assert problem.root_cause == ROOT_CAUSE
    assert [p.pk for p in problems_of_incident(incident)] == [problem.pk]
    assert review.major_incident.timeline.filter(
        kind=TimelineEntry.Kind.ACTION, body__contains=problem.number
    ).exists()


def test_a_bad_form_is_shown_again_with_its_errors_and_nothing_raised(review, incident_manager):
    response = mfa_client(incident_manager).post(_url(review), {"short_description": ""})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not Problem.objects.exists()


def test_someone_who_may_not_raise_problems_is_refused(review, resolver):
    assert mfa_client(resolver).get(_url(review)).status_code == 403
