"""`GET /api/v1/change-schedule/` (§8.9.4, §8.9.6): the changes planned in a period, each
with the changes it conflicts with on a shared service; filters by service and words; bad
periods are a 400 naming the field; staff who may read changes only (403 for the rest)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.changes.conftest import london, raise_change
from tests.conftest import login_client, mfa_client
from tickets.models import Service

URL = "/api/v1/change-schedule/"
START = london(2027, 3, 1, 22, 0)
PERIOD = {"start": "2027-03-01T00:00:00Z", "end": "2027-03-08T00:00:00Z"}


@pytest.mark.django_db
def test_schedule_lists_the_periods_changes_with_their_conflicts_s8_9_4(service_owner, cab_member):
    """§8.9.4: two DIP changes overlapping are each listed with the other as a conflict; a
    change outside the period is not listed."""
    first = raise_change(service_owner, planned_start=START)
    second = raise_change(service_owner, planned_start=START + timedelta(hours=1))
    raise_change(service_owner, planned_start=london(2027, 4, 1, 22, 0))
    response = mfa_client(cab_member).get(URL, PERIOD)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    rows = {row["number"]: row for row in body["results"]}
    assert rows[first.number]["planned_start"] == "2027-03-01T22:00:00Z"
    assert rows[first.number]["services"] == [
        {
            "id": Service.objects.get(code="dip").pk,
            "code": "dip",
            "name": "Data Integration Platform",
        }
    ]
    [conflict] = rows[first.number]["conflicts"]
    assert conflict["number"] == second.number
    assert conflict["services"] == ["Data Integration Platform"]
    assert rows[second.number]["conflicts"][0]["number"] == first.number


@pytest.mark.django_db
def test_schedule_filters_by_service_code_and_words(service_owner, cab_member):
    raise_change(service_owner, planned_start=START, short_description="Patch the broker")
    isd = raise_change(
        service_owner,
        planned_start=START,
        services=Service.objects.filter(code="isd"),
        short_description="Reindex the ISD",
    )
    client = mfa_client(cab_member)
    numbers = [r["number"] for r in client.get(URL, {**PERIOD, "service": "isd"}).json()["results"]]
    assert numbers == [isd.number]
    found = client.get(URL, {**PERIOD, "q": "reindex"}).json()["results"]
    assert [r["number"] for r in found] == [isd.number]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"start": "2027-03-08T00:00:00Z", "end": "2027-03-01T00:00:00Z"},
            "end",
            "after the start",
        ),
        ({"start": "2027-01-01T00:00:00Z", "end": "2027-06-01T00:00:00Z"}, "end", "92 days"),
        ({"start": "next tuesday"}, "start", "Datetime has wrong format"),
        ({"service": "no-such-service"}, "service", "does not exist"),
    ],
)
def test_bad_periods_and_filters_are_400_naming_the_field(cab_member, params, field, message):
    response = mfa_client(cab_member).get(URL, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in " ".join(error["fields"][field])


@pytest.mark.django_db
def test_schedule_is_for_staff_who_read_changes_s8_2(org_user, knowledge_manager):
    """§8.2: participants and staff without the change permissions are refused (403)."""
    assert login_client(org_user).get(URL).status_code == 403
    assert mfa_client(knowledge_manager).get(URL).status_code == 403


@pytest.mark.django_db
def test_schedule_queries_do_not_grow_with_the_changes(service_owner, cab_member):
    """Constant queries at 2 and 20 changes (session, user, the page, the count, services
    prefetch, conflicts), after the first request fills the per-user caches."""
    client = mfa_client(cab_member)
    for i in range(2):
        raise_change(service_owner, planned_start=START + timedelta(hours=i))
    client.get(URL, PERIOD)
    with CaptureQueriesContext(connection) as small:
        assert client.get(URL, PERIOD).json()["count"] == 2
    for i in range(2, 20):
        raise_change(service_owner, planned_start=START + timedelta(hours=i))
    with CaptureQueriesContext(connection) as large:
        assert client.get(URL, PERIOD).json()["count"] == 20
    assert len(small) == len(large)


@pytest.mark.django_db
def test_a_start_at_the_end_of_time_is_a_400_not_a_500(cab_member):
    """The default end is 14 days after the start; past the year 9999 that is bad input."""
    response = mfa_client(cab_member).get(URL, {"start": "9999-12-31T00:00:00Z"})
    assert response.status_code == 400
    assert "before the year 9999" in " ".join(response.json()["error"]["fields"]["start"])
