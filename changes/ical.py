"""The change schedule as an iCalendar feed (RFC 5545) that CAB members subscribe to in
Outlook (§8.9.6 "scheduled changes … due in the coming week", §8.9.8 weekly CAB).

The address carries a per-user secret (`ChangeCalendarFeed`); whoever holds it reads the feed
without signing in, so an event says only what the schedule needs (number, subject, state,
category, services, the planned window) and names no person.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from core.dates import UK_TIME

from .models import Change
from .schedule_selectors import schedule_for

# What a subscribed calendar holds: the last month (recent changes stay visible for the
# CAB's post-implementation reviews, §8.9.9) and the next six months.
FEED_PAST = timedelta(days=31)
FEED_AHEAD = timedelta(days=183)
# Approved changes, whatever happened to them since (§8.1.1 scheduled onwards).
FEED_STATES = (
    Change.State.SCHEDULED,
    Change.State.IMPLEMENT,
    Change.State.REVIEW,
    Change.State.CLOSED,
)
# Outlook re-reads a subscribed calendar on its own timetable; this asks for hourly.
REFRESH_INTERVAL = "PT1H"


def _week_link(change: Change) -> str:
    day = timezone.localtime(change.planned_start, UK_TIME).date()
    return f"{settings.PORTAL_BASE_URL}{reverse('change_schedule:week')}?date={day.isoformat()}"


def _event(change: Change, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", f"{change.number}@{settings.EMAIL_MESSAGE_ID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", change.planned_start)
    event.add("dtend", change.planned_end)
    event.add("summary", f"{change.number}: {change.short_description}")
    services = ", ".join(service.name for service in change.services.all())
    lines = [
        f"State: {change.get_state_display()}",
        f"Type: {change.get_change_type_display()}",
        f"Category: {change.category.name if change.category_id else '—'}",
        f"Affected services: {services or '—'}",
    ]
    event.add("description", "\n".join(lines))
    event.add("url", _week_link(change))
    # Closed (with any outcome) and implementing changes are fixed; a scheduled one may move.
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    if change.updated_at:
        event.add("last-modified", change.updated_at)
    return event


def change_calendar(*, user, now: datetime | None = None) -> bytes:
    """The VCALENDAR of the approved changes `user` may see, a month back and six ahead."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//MHHS Service Desk//Change schedule//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "MHHS change schedule")
    calendar.add("x-wr-timezone", "Europe/London")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    changes = schedule_for(
        user=user, start=now - FEED_PAST, end=now + FEED_AHEAD, states=FEED_STATES
    )
    for change in changes:
        calendar.add_component(_event(change, now))
    return calendar.to_ical()
