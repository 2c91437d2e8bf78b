"""The service-desk directory as people read it (§18.4, Appendix H): a desk's hours in words,
whether it is open at an instant (UK time), its contact lines, and the searchable list the
portal's "Other service desks" page shows.

Everything here reads only the desk's own row, so the page and the re-routing advice cost
one query whatever the number of desks.
"""

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import holidays
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import ServiceDesk

LONDON = ZoneInfo("Europe/London")
Day = ServiceDesk.Day
PHONE_NUMBER = re.compile(r"\+?\d[\d ]{7,}\d")


@functools.lru_cache(maxsize=16)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales, substitute days included, as the SLA business calendar counts them.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def _day_runs(days: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for day in sorted(set(days)):
        if runs and runs[-1][1] == day - 1:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def days_text(days: list[int]) -> str:
    """ "Monday to Friday", "Every day", "Monday, Wednesday and Saturday to Sunday"."""
    if len(set(days)) == 7:
        return "Every day"
    parts = []
    for first, last in _day_runs(days):
        if first == last:
            parts.append(Day(first).label)
        elif last == first + 1:
            parts.append(f"{Day(first).label} and {Day(last).label}")
        else:
            parts.append(f"{Day(first).label} to {Day(last).label}")
    if len(parts) > 1:
        return ", ".join(parts[:-1]) + " and " + parts[-1]
    return parts[0] if parts else ""


def desk_hours_text(desk: ServiceDesk) -> str:
    """The opening hours in words: "Monday to Friday, 08:00 to 18:00 (closed on bank
    holidays)", "24 hours, every day", or "" when the directory does not know them."""
    if desk.open_all_hours:
        return "24 hours, every day"
    if not desk.open_days or desk.opens_at is None or desk.closes_at is None:
        return ""
    text = f"{days_text(desk.open_days)}, {desk.opens_at:%H:%M} to {desk.closes_at:%H:%M}"
    if desk.closed_on_bank_holidays:
        text += " (closed on bank holidays)"
    return text


def desk_is_open_at(desk: ServiceDesk, at: datetime) -> bool | None:
    """Whether the desk is open at `at` by its hours in UK time; None when its hours are not
    known. A desk whose hours say nothing of bank holidays is taken at its word."""
    if desk.open_all_hours:
        return True
    if not desk.open_days or desk.opens_at is None or desk.closes_at is None:
        return None
    local = at.astimezone(LONDON)
    if local.weekday() not in desk.open_days:
        return False
    if desk.closed_on_bank_holidays and is_bank_holiday(local.date()):
        return False
    return desk.opens_at <= local.time().replace(tzinfo=None) < desk.closes_at


def desk_out_of_hours_text(desk: ServiceDesk) -> str:
    """The out-of-hours arrangements in one line, or ""."""
    parts = [
        part
        for part in (desk.out_of_hours_phone, desk.out_of_hours_email, desk.out_of_hours_notes)
        if part
    ]
    return "; ".join(parts)


def desk_contact_lines(desk: ServiceDesk) -> list[str]:
    """The desk's contacts and hours as plain lines, for re-routing advice and its email."""
    lines = []
    if desk.portal_url:
        lines.append(f"Portal: {desk.portal_url}")
    if desk.email:
        lines.append(f"Email: {desk.email}")
    if desk.phone:
        lines.append(f"Phone: {desk.phone}")
    hours = desk_hours_text(desk)
    if hours:
        lines.append(f"Opening hours (UK time): {hours}")
    if desk.hours_note:
        lines.append(f"About the hours: {desk.hours_note}")
    out_of_hours = desk_out_of_hours_text(desk)
    if out_of_hours:
        lines.append(f"Out of hours: {out_of_hours}")
    if desk.notes:
        lines.append(desk.notes)
    return lines


def tel_href(phone: str) -> str:
    """A `tel:` link for the first number in `phone` ("0203 086 7205 (option 7)"), or ""."""
    found = PHONE_NUMBER.search(phone or "")
    return "tel:" + re.sub(r"[^\d+]", "", found.group(0)) if found else ""


@dataclass(frozen=True)
class DirectoryEntry:
    """One desk as the directory page shows it."""

    desk: ServiceDesk
    hours: str
    open_now: bool | None
    out_of_hours: str
    phone_href: str


def service_desk_search(queryset: QuerySet, search: str) -> QuerySet:
    """Desks whose name, owner, provider or query types contain every word of `search`."""
    for word in search.split()[:8]:
        queryset = queryset.filter(
            Q(name__icontains=word)
            | Q(owner__icontains=word)
            | Q(service_provider__icontains=word)
            | Q(query_types__icontains=word)
        )
    return queryset


def service_desk_directory(
    *, search: str = "", status: str = "", at: datetime | None = None
) -> list[DirectoryEntry]:
    """The active desks for the portal's directory page, by name (§18.4, Appendix H):
    searched by name, owner, provider and query types, and narrowed to those open or closed
    at `at` (now) when `status` is "open" or "closed". One query."""
    at = at or timezone.now()
    desks = service_desk_search(ServiceDesk.objects.filter(active=True), search.strip())
    entries = [
        DirectoryEntry(
            desk=desk,
            hours=desk_hours_text(desk),
            open_now=desk_is_open_at(desk, at),
            out_of_hours=desk_out_of_hours_text(desk),
            phone_href=tel_href(desk.phone),
        )
        for desk in desks.order_by("name")
    ]
    if status == "open":
        entries = [entry for entry in entries if entry.open_now]
    elif status == "closed":
        entries = [entry for entry in entries if entry.open_now is False]
    return entries
