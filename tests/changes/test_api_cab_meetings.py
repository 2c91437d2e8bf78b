"""`/api/v1/cab-meetings/` (§8.9, §9.4): meetings and each meeting's §8.9.6 agenda, read only:
happy path, bad filters (400), wrong role (403), unknown meeting (404), constant queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes.services import cab_meeting_for_day
from tests.changes.cab_helpers import awaiting_cab
from tests.changes.conftest import london
from tests.conftest import mfa_client

THIS = date(2027, 2, 9)


@pytest.mark.django_db
def test_meeting_detail_carries_the_agenda_in_manual_order(
    service_owner, change_manager, cab_member
):
    """§8.9.6: the agenda's seven items in order, the proposal under "proposals"."""
    change = awaiting_cab(
        service_owner,
        change_manager,
        london(2027, 2, 1, 10, 0),
        planned_start=london(2027, 2, 20, 22, 0),
    )
    meeting = cab_meeting_for_day(day=THIS)
    response = mfa_client(cab_member).get(f"/api/v1/cab-meetings/{meeting.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "cab" and body["starts_at"].startswith("2027-02-09T12:00")
    keys = [section["key"] for section in body["agenda"]]
    assert keys == [
        "previous",
        "proposals",
        "scheduled",
        "expected",
        "emergency",
        "review",
        "standard",
    ]
    proposals = body["agenda"][1]["items"]
    assert [item["line"].split(" ")[0] for item in proposals] == [change.number]


@pytest.mark.django_db
def test_meeting_list_filters_and_refuses_bad_filters(cab_member):
    """§8.9: filter by kind; an unknown kind is a 400 naming the parameter."""
    cab_meeting_for_day(day=THIS)
    client = mfa_client(cab_member)
    assert client.get("/api/v1/cab-meetings/", {"kind": "cab"}).json()["count"] == 1
    assert client.get("/api/v1/cab-meetings/", {"kind": "ecab"}).json()["count"] == 0
    bad = client.get("/api/v1/cab-meetings/", {"kind": "weekly"})
    assert bad.status_code == 400 and "kind" in bad.content.decode()


@pytest.mark.django_db
def test_cab_api_is_for_cab_members(agent, org_user, cab_member):
    """§8.9.7: other staff get 403, participants 403; an unknown meeting is a 404."""
    meeting = cab_meeting_for_day(day=THIS)
    assert mfa_client(agent).get("/api/v1/cab-meetings/").status_code == 403
    assert mfa_client(org_user).get(f"/api/v1/cab-meetings/{meeting.pk}/").status_code == 403
    assert mfa_client(cab_member).get("/api/v1/cab-meetings/99999/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("size", [2, 20])
def test_meeting_list_queries_do_not_grow(cab_member, size):
    """The list costs the same with 2 or 20 meetings."""
    for week in range(size):
        cab_meeting_for_day(day=THIS + timedelta(days=7 * week))
    client = mfa_client(cab_member)
    client.get("/api/v1/cab-meetings/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/cab-meetings/")
    assert response.json()["count"] == size
    # 1 session, 2 user, 3 total count, 4 the page of meetings with their counts annotated.
    assert len(queries) == 4
