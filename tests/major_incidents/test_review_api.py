"""`GET /api/v1/major-incidents/{number}/review/` (§5.23, Appendix E): the review with its
milestones and actions, for staff who may view reviews; documented in the OpenAPI schema."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from incidents.services import incident_transition
from major_incidents.models import PostIncidentReview, ReviewAction, ReviewTimelineRow
from tests.conftest import login_client, mfa_client
from tests.factories.incidents import opened_major_incident, raised_incident

RESOLVED_AT = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)


def _review(org_user, agent, resolver_group, incident_manager) -> PostIncidentReview:
    with time_machine.travel(RESOLVED_AT - timedelta(hours=3)):
        incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        incident = incident_transition(incident=incident, actor=agent, name="start")
        major = opened_major_incident(incident=incident, actor=agent, manager=incident_manager)
    with time_machine.travel(RESOLVED_AT, tick=False):
        incident_transition(
            incident=incident, actor=agent, name="resolve", notes="Fixed.", code="solved"
        )
    return PostIncidentReview.objects.get(major_incident=major)


@pytest.fixture
def review(org_user, agent, resolver_group, incident_manager):
    return _review(org_user, agent, resolver_group, incident_manager)


def _url(review) -> str:
    return f"/api/v1/major-incidents/{review.major_incident.number}/review/"


def test_staff_read_the_review_with_milestones_and_actions(review, agent, incident_manager):
    ReviewAction.objects.create(
        review=review, owner=incident_manager, action="Alerting", due_on=date(2026, 4, 1)
    )
    with time_machine.travel(datetime(2026, 4, 2, 9, 0, tzinfo=UTC)):
        response = mfa_client(agent).get(_url(review))
    assert response.status_code == 200
    body = response.json()
    assert body["major_incident"] == review.major_incident.number
    assert body["incident_ref"] == review.incident_ref
    first = body["milestones"][0]
    assert (first["code"], first["hours_after_resolution"]) == ("initial_summary", 2)
    # 01:30 UTC, shown with the UK offset of that instant (BST since 01:00 UTC).
    assert first["due_at"] == "2026-03-29T02:30:00+01:00"
    assert datetime.fromisoformat(first["due_at"]) == RESOLVED_AT + timedelta(hours=2)
    assert first["status"] == "overdue"
    assert [m["hours_after_resolution"] for m in body["milestones"]] == [
        2,
        6,
        8,
        12,
        18,
        22,
        24,
        336,
    ]
    assert body["actions"][0]["overdue"] is True
    assert body["actions"][0]["owner"]["email"] == incident_manager.email
    assert body["timeline"]


def test_the_review_is_found_by_incident_number_too(review, agent):
    response = mfa_client(agent).get(f"/api/v1/major-incidents/{review.incident_ref}/review/")
    assert response.status_code == 200


def test_unknown_number_is_404(db, agent):
    response = mfa_client(agent).get("/api/v1/major-incidents/MI9999999/review/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_participants_and_signed_out_callers_get_nothing(review, org_user):
    assert login_client(org_user).get(_url(review)).status_code == 404
    assert Client().get(_url(review)).status_code in (401, 403)


def test_query_count_is_constant_however_long_the_review(
    org_user, agent, resolver_group, incident_manager, django_assert_num_queries
):
    client = mfa_client(agent)
    for n in (1, 50):
        review = _review(org_user, agent, resolver_group, incident_manager)
        ReviewTimelineRow.objects.bulk_create(
            ReviewTimelineRow(review=review, occurred_at=RESOLVED_AT, event=f"E{i}")
            for i in range(n)
        )
        ReviewAction.objects.bulk_create(
            ReviewAction(review=review, owner=incident_manager, action=f"A{i}", due_on=date.today())
            for i in range(n)
        )
        client.get(_url(review))
        # 1 session; 2 user; 3 the review with its major incident, incident and signer; 4–7 its
        # services, timeline rows, milestones and actions; 8 the actions' owners.
        with django_assert_num_queries(8):
            response = client.get(_url(review))
        assert len(response.json()["actions"]) == n


def test_the_endpoint_is_in_the_schema(db, tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/major-incidents/{number}/review/" in target.read_text()
