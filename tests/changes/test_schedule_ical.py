"""The change calendar feed (§8.9.6 scheduled changes, §8.9.8 weekly CAB): a per-user secret
iCalendar address CAB members subscribe to in Outlook; made and revoked from the user's own
page; a revoked or unknown address is a 404; a feed never shows another user's secret and
nothing a person outside the schedule may not see."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from changes.models import ChangeCalendarFeed
from changes.services import (
    change_calendar_feed_issue,
    change_calendar_feed_open,
    change_calendar_feed_revoke,
)
from core.errors import ActionNotPermitted, ValidationFailed
from tests.changes.conftest import london, raise_change
from tests.changes.schedule_support import scheduled
from tests.conftest import mfa_client

FEED_PAGE = reverse("change_schedule:feed")
READ_AT = london(2027, 2, 20, 9, 0)


def _feed_url(raw: str) -> str:
    return reverse("change_schedule:feed_ics", args=[raw])


def _events(content: bytes) -> dict:
    calendar = Calendar.from_ical(content)
    assert calendar.name == "VCALENDAR"
    assert str(calendar["version"]) == "2.0"
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


@pytest.mark.django_db
def test_feed_is_a_valid_vcalendar_of_the_approved_changes_s8_9_6(
    client, service_owner, change_manager, cab_member
):
    """§8.9.6: the feed parses back as a VCALENDAR with one event per approved change, at its
    planned window; a draft (New) change is not on it."""
    approved = scheduled(service_owner, change_manager)
    draft = raise_change(service_owner, planned_start=london(2027, 3, 2, 22, 0))
    _feed, raw = change_calendar_feed_issue(actor=cab_member)
    with time_machine.travel(READ_AT, tick=False):
        response = client.get(_feed_url(raw))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    assert list(events) == [f"{approved.number}@mhhs.example"]
    event = events[f"{approved.number}@mhhs.example"]
    assert event.decoded("dtstart") == approved.planned_start
    assert event.decoded("dtend") == approved.planned_end
    assert str(event["summary"]) == f"{approved.number}: {approved.short_description}"
    assert "State: Scheduled" in str(event["description"])
    assert "Data Integration Platform" in str(event["description"])
    assert draft.number not in response.content.decode()


@pytest.mark.django_db
def test_feed_names_no_person_s8_9_6(client, service_owner, change_manager, cab_member):
    """The address is a bearer secret that may end up in a shared calendar: events say what
    is changing and when, never who requested, raised or authorised it."""
    scheduled(service_owner, change_manager)
    _feed, raw = change_calendar_feed_issue(actor=cab_member)
    with time_machine.travel(READ_AT, tick=False):
        content = client.get(_feed_url(raw)).content.decode()
    for person in (service_owner, change_manager, cab_member):
        assert person.email not in content
        if person.full_name:
            assert person.full_name not in content


@pytest.mark.django_db
def test_revoked_and_replaced_addresses_answer_404(
    client, service_owner, change_manager, cab_member
):
    """A revoked address stops at once (404); making a new one retires the old one."""
    scheduled(service_owner, change_manager)
    _feed, first = change_calendar_feed_issue(actor=cab_member)
    _feed, second = change_calendar_feed_issue(actor=cab_member)
    assert client.get(_feed_url(first)).status_code == 404
    assert client.get(_feed_url(second)).status_code == 200
    change_calendar_feed_revoke(actor=cab_member)
    assert client.get(_feed_url(second)).status_code == 404
    assert client.get(_feed_url("not-a-real-secret")).status_code == 404
    with pytest.raises(ValidationFailed, match="no calendar address to revoke"):
        change_calendar_feed_revoke(actor=cab_member)


@pytest.mark.django_db
def test_each_user_has_their_own_secret_and_revoking_one_leaves_the_other(
    client, cab_member, change_manager
):
    """One user's address is theirs alone: two users get different secrets, each opens as its
    owner, and revoking one leaves the other working."""
    _feed, mine = change_calendar_feed_issue(actor=cab_member)
    _feed, theirs = change_calendar_feed_issue(actor=change_manager)
    assert mine != theirs
    assert change_calendar_feed_open(token=mine) == cab_member
    assert change_calendar_feed_open(token=theirs) == change_manager
    change_calendar_feed_revoke(actor=change_manager)
    assert client.get(_feed_url(theirs)).status_code == 404
    assert client.get(_feed_url(mine)).status_code == 200
    # Only the hash is stored: the database does not hold the secret.
    assert not ChangeCalendarFeed.objects.filter(token_hash__in=[mine, theirs]).exists()


@pytest.mark.django_db
def test_a_user_who_may_no_longer_see_changes_gets_404(client, cab_member):
    """An address stops when its owner leaves the staff (§8.2: changes are staff only)."""
    _feed, raw = change_calendar_feed_issue(actor=cab_member)
    cab_member.is_staff = False
    cab_member.save(update_fields=["is_staff"])
    assert client.get(_feed_url(raw)).status_code == 404


@pytest.mark.django_db
def test_participants_cannot_have_an_address_s8_2(org_user):
    """§8.2: participants do not see the change schedule."""
    with pytest.raises(ActionNotPermitted):
        change_calendar_feed_issue(actor=org_user)


@pytest.mark.django_db
def test_the_users_page_shows_the_address_once_and_revokes_it(cab_member):
    """The account page makes the address, shows it once, and revokes it."""
    client = mfa_client(cab_member)
    response = client.post(FEED_PAGE, {"action": "issue"}, follow=True)
    page = response.content.decode()
    assert "Copy your calendar address now" in page
    address = page.split('id="feed-address" type="text" value="', 1)[1].split('"', 1)[0]
    assert address.startswith("http://testserver/changes/schedule/feed/")
    path = address.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    again = client.get(FEED_PAGE).content.decode()
    assert "Copy your calendar address now" not in again and "Live since" in again
    response = client.post(FEED_PAGE, {"action": "revoke"}, follow=True)
    assert "revoked and no longer works" in response.content.decode()
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_feed_reads_a_month_back_and_six_ahead(client, service_owner, change_manager, cab_member):
    """The subscribed calendar holds recent and coming changes, not the whole history."""
    change = scheduled(service_owner, change_manager)
    _feed, raw = change_calendar_feed_issue(actor=cab_member)
    with time_machine.travel(change.planned_start + timedelta(days=40), tick=False):
        assert _events(client.get(_feed_url(raw)).content) == {}
