"""Reads of the change schedule (§8.9.6 scheduled changes, §8.10 reports): who may see it,
the changes planned in a period and the UK-time periods of calendars and reports. Pages, the
iCalendar feed, the API and the Monday reports all read through these."""

from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch, Q, QuerySet

from core.dates import UK_TIME
from tickets.models import Service
from tickets.selectors import visible_tickets

from .conflicts import SCHEDULING_STATES
from .models import Change

# A calendar period shows at most this many changes; the page says when there are more and
# asks for a narrower filter (a month of the MHHS schedule holds a few dozen).
SCHEDULE_LIMIT = 500


def may_see_schedule(user) -> bool:
    """Staff who may read changes see the schedule (changes are staff only, §8.2)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and (user.is_superuser or user.has_perm("changes.view_change"))
    )


def may_see_issued_reports(user) -> bool:
    """The issued Monday reports hold every change (§8.10: they go to the Change Management
    team's list), so only staff who may see every change read them in the portal."""
    return bool(
        may_see_schedule(user) and (user.is_superuser or user.has_perm("changes.view_all_change"))
    )


def may_manage_reports(user) -> bool:
    """The Change Manager keeps the report subscribers (§8.10)."""
    return bool(
        may_see_schedule(user) and (user.is_superuser or user.has_perm("changes.manage_change"))
    )


def uk_midnight(day: date) -> datetime:
    """The start of a UK day as an aware datetime (a DST change day is 23 or 25 hours)."""
    return datetime.combine(day, time(0, 0), tzinfo=UK_TIME)


def uk_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last`, UK days."""
    return uk_midnight(first), uk_midnight(last + timedelta(days=1))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def schedule_for(
    *,
    user,
    start: datetime,
    end: datetime,
    service: Service | None = None,
    search: str = "",
    states=SCHEDULING_STATES,
) -> QuerySet:
    """The changes `user` may see whose planned window overlaps [start, end), earliest
    first, with what a calendar row shows loaded (category, assignee, services). Cancelled
    changes are left out (§8.8: they did not happen)."""
    queryset = (
        visible_tickets(Change.objects.all(), user=user, participants_may_see=False)
        .filter(state__in=states, planned_start__lt=end, planned_end__gt=start)
        .select_related("category", "assigned_to")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.order_by("sort_order", "name"))
        )
        .order_by("planned_start", "pk")
    )
    if service is not None:
        queryset = queryset.filter(services=service)
    search = (search or "").strip()
    if search:
        queryset = queryset.filter(
            Q(number__iexact=search) | Q(short_description__icontains=search)
        )
    return queryset


def scheduled_changes_all(*, start: datetime, end: datetime, states) -> QuerySet:
    """Every change (no user scoping) in the given states whose planned window overlaps
    [start, end): the Monday reports go to the Change Management team's subscribers."""
    return (
        Change.objects.filter(state__in=states, planned_start__lt=end, planned_end__gt=start)
        .select_related("category", "assigned_to")
        .order_by("planned_start", "pk")
    )


def schedule_services() -> QuerySet:
    """The services a schedule can be filtered by."""
    return Service.objects.filter(active=True).order_by("sort_order", "name")
