"""Business and 24x7 calendars that SLA clocks measure time on (§2.3, §3.8-3.10, §7.2).

Pure Python and free of Django so it can be used anywhere (services, sweeps, reports) and
tested without a database. Every function takes timezone-aware datetimes and returns UTC.
"""

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)

# Core hours are 08:30-17:30 (§2.3.1), so one business day is nine working hours.
BUSINESS_DAY_HOURS = 9


def business_days(n: int) -> timedelta:
    """Working time for "N Business Days" in the SLA tables (§3.10, §7.2).

    On the business calendar an N-business-day target is N x 9 working hours, so a P3 raised
    at 10:00 is due at 10:00 on the fifth working day after, not at the close of that day.
    """
    return timedelta(hours=BUSINESS_DAY_HOURS * n)


def business_hours(n: int) -> timedelta:
    """Working time for "N Business Hours" in the SLA tables (§7.2)."""
    return timedelta(hours=n)


def _as_utc(instant: datetime, argument: str) -> datetime:
    if not isinstance(instant, datetime):
        raise TypeError(f"{argument} must be a datetime, not {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{argument} must be timezone-aware, got naive {instant.isoformat()}")
    return instant.astimezone(UTC)


def _check_duration(duration: timedelta) -> None:
    if duration < ZERO:
        raise ValueError(f"duration must not be negative, got {duration}")


@functools.lru_cache(maxsize=256)
def _holidays_in(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    # England & Wales bank holidays, substitute days included ("Boxing Day (observed)").
    return frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year))


class Calendar:
    """A way of measuring working time between instants.

    Subclasses implement `add` and `between`; everything else in the SLA engine uses only
    those two operations, so a clock does not care which calendar it runs on.
    """

    name: str = ""
    label: str = ""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (UTC) at which `duration` of working time has elapsed after `start`."""
        raise NotImplementedError

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end`; zero when `end` is not after `start`."""
        raise NotImplementedError

    def next_opening(self, instant: datetime) -> datetime:
        """The first instant at or after `instant` (UTC) from which working time counts."""
        return _as_utc(instant, "instant")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class TwentyFourSeven(Calendar):
    """Plain elapsed time, for P1 and P2 (§3.10) and the desk's own 24/7/365 clocks.

    Arithmetic is done in UTC, so across a clock change six hours are six real hours.
    """

    def __init__(self, name: str = "24x7", label: str = "Round the clock (24/7)") -> None:
        self.name = name
        self.label = label

    def add(self, start: datetime, duration: timedelta) -> datetime:
        start_utc = _as_utc(start, "start")
        _check_duration(duration)
        return start_utc + duration

    def between(self, start: datetime, end: datetime) -> timedelta:
        elapsed = _as_utc(end, "end") - _as_utc(start, "start")
        return max(elapsed, ZERO)


class BusinessCalendar(Calendar):
    """Core hours only: Monday to Friday, 08:30-17:30 London time, not on bank holidays (§2.3.1).

    Working time on a day is the half-open window [open, close) in local wall-clock time.
    The window is assumed never to contain a clock change (London changes at 01:00/02:00),
    so every working day is `close - open` long in real time.
    """

    def __init__(
        self,
        name: str = "business",
        label: str = "Business hours (08:30-17:30 Mon-Fri, excluding bank holidays)",
        *,
        open: time = time(8, 30),
        close: time = time(17, 30),
        tz: ZoneInfo = LONDON,
        country: str = "GB",
        subdiv: str | None = "ENG",
    ) -> None:
        if not open < close:
            raise ValueError(f"open ({open}) must be before close ({close})")
        self.name = name
        self.label = label
        self.open = open
        self.close = close
        self.tz = tz
        self.country = country
        self.subdiv = subdiv
        self.day_length = datetime.combine(date.min, close) - datetime.combine(date.min, open)

    def is_holiday(self, day: date) -> bool:
        """Whether `day` is a bank holiday, substitute days included."""
        return day in _holidays_in(self.country, self.subdiv, day.year)

    def is_working_day(self, day: date) -> bool:
        """Whether `day` (a local date) has core hours at all."""
        return day.weekday() < 5 and not self.is_holiday(day)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Deadline `duration` of core hours after `start`.

        Adding zero returns `start` itself (as UTC) even when it lies outside core hours: no
        working time has to pass. A positive duration starts counting at the next opening if
        `start` is out of hours, and a deadline that lands on closing time stays at 17:30 that
        day rather than rolling to the next morning, so a positive deadline always falls in
        (open, close] on a working day.
        """
        cursor = _as_utc(start, "start")
        _check_duration(duration)
        if duration == ZERO:
            return cursor
        remaining = duration
        day = cursor.astimezone(self.tz).date()
        if self.is_working_day(day):
            opens, closes = self._window(day)
            begin = max(cursor, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return begin + remaining
                remaining -= closes - begin
        # Later days are whole, so the window is only built for the day the deadline is on.
        while True:
            day += ONE_DAY
            if self.is_working_day(day):
                if remaining <= self.day_length:
                    opens, _closes = self._window(day)
                    return opens + remaining
                remaining -= self.day_length

    def between(self, start: datetime, end: datetime) -> timedelta:
        start_utc = _as_utc(start, "start")
        end_utc = _as_utc(end, "end")
        if end_utc <= start_utc:
            return ZERO
        first = start_utc.astimezone(self.tz).date()
        last = end_utc.astimezone(self.tz).date()
        if first == last:
            return self._overlap(first, start_utc, end_utc)
        # Only the two end days can be partial; the days in between count whole.
        whole_days = self._working_days(first + ONE_DAY, last)
        return (
            self._overlap(first, start_utc, end_utc)
            + self.day_length * whole_days
            + self._overlap(last, start_utc, end_utc)
        )

    def next_opening(self, instant: datetime) -> datetime:
        cursor = _as_utc(instant, "instant")
        day = cursor.astimezone(self.tz).date()
        while True:
            if self.is_working_day(day):
                opens, closes = self._window(day)
                if cursor < closes:
                    return max(cursor, opens)
            day += ONE_DAY

    def _window(self, day: date) -> tuple[datetime, datetime]:
        opens = datetime.combine(day, self.open, tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(day, self.close, tzinfo=self.tz).astimezone(UTC)
        return opens, closes

    def _overlap(self, day: date, start: datetime, end: datetime) -> timedelta:
        if not self.is_working_day(day):
            return ZERO
        opens, closes = self._window(day)
        return max(min(end, closes) - max(start, opens), ZERO)

    def _working_days(self, first: date, stop: date) -> int:
        """Working days in [first, stop), counted without walking the days one by one."""
        if stop <= first:
            return 0
        weeks, extra = divmod((stop - first).days, 7)
        weekdays = weeks * 5 + sum((first.weekday() + i) % 7 < 5 for i in range(extra))
        closed = sum(
            first <= day < stop and day.weekday() < 5
            for year in range(first.year, stop.year + 1)
            for day in _holidays_in(self.country, self.subdiv, year)
        )
        return weekdays - closed


TWENTY_FOUR_SEVEN = TwentyFourSeven()
BUSINESS = BusinessCalendar()

_CALENDARS: dict[str, Calendar] = {cal.name: cal for cal in (TWENTY_FOUR_SEVEN, BUSINESS)}

CALENDAR_CHOICES: list[tuple[str, str]] = [(cal.name, cal.label) for cal in _CALENDARS.values()]


def get_calendar(name: str) -> Calendar:
    """The calendar stored under `name` on an SLA target ("24x7" or "business")."""
    try:
        return _CALENDARS[name]
    except KeyError:
        known = ", ".join(sorted(_CALENDARS))
        raise KeyError(f"unknown SLA calendar {name!r}; expected one of: {known}") from None
