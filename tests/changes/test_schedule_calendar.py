"""The change calendar pages (§8.9.6 scheduled changes, §8.9.4 timing): a month and a week of
planned windows in UK time, conflicts flagged, staff only, and a constant number of queries
whatever the number of changes."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.changes.conftest import london, raise_change
from tests.conftest import login_client, mfa_client
from tickets.models import Service

MONTH = reverse("change_schedule:month")
WEEK = reverse("change_schedule:week")
START = london(2027, 3, 3, 22, 0)


def _changes(owner, count: int):
    return [
        raise_change(
            owner,
            planned_start=START + timedelta(days=i % 20, hours=(i // 20)),
            services=Service.objects.filter(code="dip"),
            short_description=f"Patch broker node {i}",
        )
        for i in range(count)
    ]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_month_view_shows_planned_windows_and_flags_conflicts_s8_9_4(service_owner, cab_member):
    """§8.9.4 / §8.9.6: a CAB member sees March 2027's changes on their UK days, and two
    changes overlapping on the DIP are marked as conflicting."""
    first, second = (
        raise_change(service_owner, planned_start=START, short_description=subject)
        for subject in ("Patch the broker", "Resize the broker disks")
    )
    response = mfa_client(cab_member).get(MONTH, {"month": "2027-03"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Change calendar: March 2027" in page
    assert first.number in page and second.number in page
    assert "from 22:00" in page and "Conflict" in page
    assert f"overlaps {second.number} (Data Integration Platform)" in page


@pytest.mark.django_db
def test_week_view_lists_each_day_in_uk_time_s8_9_6(service_owner, cab_member):
    """§8.9.6: the week of Monday 29 March 2027 (after the clocks change) shows a change at
    its UK time, 01:30 on Tuesday."""
    change = raise_change(service_owner, planned_start=london(2027, 3, 30, 1, 30))
    response = mfa_client(cab_member).get(WEEK, {"date": "2027-03-31"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Changes in the week of 29 March 2027" in page
    tuesday = page.index("Tuesday 30 March")
    assert page.index(change.number) > tuesday
    assert "from 01:30 to 03:30" in page
    assert "badge--on_hold" not in page


@pytest.mark.django_db
def test_calendar_filters_by_service_and_search_s8_9_6(service_owner, cab_member):
    """§8.9.6: the calendar narrows to one service, or to a change number or words."""
    dip = raise_change(service_owner, planned_start=START, short_description="Patch the broker")
    isd = raise_change(
        service_owner,
        planned_start=START,
        services=Service.objects.filter(code="isd"),
        short_description="Reindex the ISD",
    )
    client = mfa_client(cab_member)
    isd_service = Service.objects.get(code="isd")
    page = client.get(MONTH, {"month": "2027-03", "service": isd_service.pk}).content.decode()
    assert isd.number in page and dip.number not in page
    page = client.get(MONTH, {"month": "2027-03", "q": "broker"}).content.decode()
    assert dip.number in page and isd.number not in page


@pytest.mark.django_db
def test_bad_month_is_a_400_with_the_error_next_to_the_field(cab_member):
    """A month that is not YYYY-MM is refused next to the field, not a 500."""
    response = mfa_client(cab_member).get(MONTH, {"month": "March"})
    assert response.status_code == 400
    assert "Give the month as YYYY-MM." in response.content.decode()


@pytest.mark.django_db
def test_empty_month_says_what_to_do_next(cab_member):
    response = mfa_client(cab_member).get(MONTH, {"month": "2031-01"})
    assert "No changes are planned in January 2031" in response.content.decode()


@pytest.mark.django_db
def test_calendar_is_staff_only_s8_2(org_user, knowledge_manager):
    """§8.2: changes are staff business; a participant is refused, and staff without the
    change permissions (the Knowledge manager) too."""
    assert login_client(org_user).get(MONTH).status_code == 403
    assert mfa_client(knowledge_manager).get(MONTH).status_code == 403


@pytest.mark.django_db
def test_staff_without_a_second_factor_this_session_are_sent_to_reauthenticate(cab_member):
    """§10.5.2: staff pages need a second factor in the session."""
    response = login_client(cab_member).get(MONTH)
    assert response.status_code == 302
    assert reverse("mfa_reauthenticate") in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", [MONTH + "?month=2027-03", WEEK + "?date=2027-03-03"])
def test_calendar_queries_do_not_grow_with_the_changes_shown(service_owner, cab_member, url):
    """Constant queries: 2 and 20 changes cost the same. After the first request fills the
    per-user caches: session, user, the changes, their services (prefetch), their conflicts
    (one self-join); the service filter's options are the 11 reference services."""
    _changes(service_owner, 2)
    with time_machine.travel(london(2027, 3, 8, 9, 0), tick=False):
        client = mfa_client(cab_member)
        # The first request fills the per-user permission cache; measure the ones after it.
        client.get(url)
        small = _queries(client, url)
        _changes(service_owner, 18)
        large = _queries(client, url)
    assert small == large


@pytest.mark.django_db
def test_staff_who_read_changes_reach_the_calendar_from_the_navigation(
    change_manager, cab_member, org_user
):
    """The calendar is one click from every page for staff who may read changes; participants
    neither see the link nor open the page."""
    link = f'href="{MONTH}"'
    for staff in (change_manager, cab_member):
        client = mfa_client(staff)
        assert link in client.get(reverse("knowledge:search")).content.decode()
        calendar = client.get(MONTH).content.decode()
        assert f'{link} aria-current="page"' in calendar
    participant = login_client(org_user)
    assert link not in participant.get(reverse("knowledge:search")).content.decode()
    assert participant.get(MONTH).status_code in (302, 403)
