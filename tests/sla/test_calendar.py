"""Concrete instants on the business and 24x7 calendars (§2.3, §3.8-3.10, §7.2)."""

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest

from sla.calendar import (
    BUSINESS,
    CALENDAR_CHOICES,
    LONDON,
    TWENTY_FOUR_SEVEN,
    BusinessCalendar,
    TwentyFourSeven,
    business_days,
    business_hours,
    get_calendar,
)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_business_day_is_nine_working_hours():
    """§2.3.1: core hours 08:30-17:30, so "N Business Days" (§3.10) is N x 9 working hours."""
    assert business_days(1) == timedelta(hours=9)
    assert business_days(5) == timedelta(hours=45)
    assert business_days(20) == timedelta(hours=180)
    assert business_hours(4) == timedelta(hours=4)


def test_p3_deadline_skips_summer_bank_holiday():
    """§3.10: P3 is 5 Business Days; Monday 31 Aug 2026 is not one (§2.3.1).

    Raised Friday 28 Aug 10:00, the working days that count are Tue 1, Wed 2, Thu 3, Fri 4 and
    Mon 7 Sep, so the deadline is Monday 7 Sep 10:00, one working day later than the Friday
    4 Sep it would be without the bank holiday.
    """
    deadline = BUSINESS.add(london(2026, 8, 28, 10, 0), business_days(5))

    assert deadline == london(2026, 9, 7, 10, 0)
    assert BUSINESS.add(london(2026, 8, 21, 10, 0), business_days(5)) == london(2026, 8, 28, 10, 0)


def test_holidays_package_reports_christmas_2026_and_new_year_2027():
    """§2.3.1: bank holidays come from the holidays package, substitute days included."""
    bank_holidays = holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027])

    assert bank_holidays[date(2026, 12, 25)] == "Christmas Day"
    assert bank_holidays[date(2026, 12, 26)] == "Boxing Day"
    assert bank_holidays[date(2026, 12, 28)] == "Boxing Day (observed)"
    assert bank_holidays[date(2027, 1, 1)] == "New Year's Day"
    for day in (date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)):
        assert not BUSINESS.is_working_day(day)
    assert BUSINESS.is_working_day(date(2026, 12, 24))
    assert BUSINESS.is_working_day(date(2026, 12, 29))


def test_p4_deadline_spanning_christmas_skips_three_bank_holidays():
    """§3.10: P4 is 20 Business Days; Fri 25 Dec, Mon 28 Dec 2026 and Fri 1 Jan 2027 are not.

    From Monday 14 Dec 14:00 the twentieth working day is Thursday 14 Jan 2027 (without the
    three bank holidays it would be Monday 11 Jan).
    """
    deadline = BUSINESS.add(london(2026, 12, 14, 14, 0), business_days(20))

    assert deadline == london(2027, 1, 14, 14, 0)
    assert deadline == datetime(2027, 1, 14, 14, 0, tzinfo=UTC)


def test_p1_on_24x7_counts_real_hours_across_spring_clock_change():
    """§3.10: P1 is 6 hours on the 24x7 clock; clocks go forward at 01:00 on 28 Mar 2027.

    23:00 GMT Saturday is 23:00 UTC; six real hours later is 05:00 UTC, which London shows
    as 06:00 BST, seven hours on the wall clock.
    """
    deadline = TWENTY_FOUR_SEVEN.add(london(2027, 3, 27, 23, 0), timedelta(hours=6))

    assert deadline == datetime(2027, 3, 28, 5, 0, tzinfo=UTC)
    assert deadline.astimezone(LONDON).replace(tzinfo=None) == datetime(2027, 3, 28, 6, 0)


def test_p1_on_24x7_counts_real_hours_across_autumn_clock_change():
    """§3.10: 6 hours of 24x7 time across the 25 Oct 2026 change is five on the wall clock."""
    start = london(2026, 10, 24, 23, 0)

    deadline = TWENTY_FOUR_SEVEN.add(start, timedelta(hours=6))

    assert deadline == datetime(2026, 10, 25, 4, 0, tzinfo=UTC)
    assert deadline.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 25, 4, 0)
    assert TWENTY_FOUR_SEVEN.between(start, deadline) == timedelta(hours=6)


def test_high_priority_response_raised_late_afternoon_lands_next_morning():
    """§7.2: High Priority response is 4 Business Hours.

    Raised at 16:00, 1.5 hours run until 17:30 and the other 2.5 from 08:30 the next working
    day, so the response is due at 11:00 (not 11:30).
    """
    assert BUSINESS.add(london(2026, 6, 16, 16, 0), business_hours(4)) == london(2026, 6, 17, 11, 0)


def test_high_priority_response_raised_before_christmas_waits_for_next_working_day():
    """§7.2 and §2.3.1: from Christmas Eve 16:00 the next core hours are Tuesday 29 Dec."""
    deadline = BUSINESS.add(london(2026, 12, 24, 16, 0), business_hours(4))

    assert deadline == london(2026, 12, 29, 11, 0)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(london(2026, 6, 20, 10, 0), london(2026, 6, 22, 9, 30), id="saturday"),
        pytest.param(london(2026, 6, 21, 23, 59), london(2026, 6, 22, 9, 30), id="sunday-night"),
        pytest.param(london(2026, 8, 31, 12, 0), london(2026, 9, 1, 9, 30), id="bank-holiday"),
        pytest.param(london(2026, 6, 17, 7, 0), london(2026, 6, 17, 9, 30), id="before-opening"),
        pytest.param(london(2026, 6, 17, 18, 0), london(2026, 6, 18, 9, 30), id="after-closing"),
        pytest.param(london(2026, 6, 17, 17, 30), london(2026, 6, 18, 9, 30), id="at-closing"),
        pytest.param(london(2026, 6, 19, 17, 45), london(2026, 6, 22, 9, 30), id="friday-night"),
    ],
)
def test_out_of_hours_start_counts_from_next_opening(start, expected):
    """§2.3.2: evenings, weekends and bank holidays are non-core, so no business time runs."""
    assert BUSINESS.add(start, business_hours(1)) == expected
    assert BUSINESS.next_opening(start) == expected - business_hours(1)


def test_adding_zero_returns_start_even_out_of_hours():
    """Zero working time has elapsed at the start instant itself, whatever the hour."""
    saturday = london(2026, 6, 20, 10, 0)

    assert BUSINESS.add(saturday, timedelta(0)) == saturday
    assert BUSINESS.add(saturday, timedelta(0)).tzinfo is UTC
    assert TWENTY_FOUR_SEVEN.add(saturday, timedelta(0)) == saturday


def test_deadline_landing_on_closing_time_stays_that_day():
    """§2.3.1: a deadline at exactly 17:30 is still within that day's core hours."""
    assert BUSINESS.add(london(2026, 6, 17, 8, 30), business_days(1)) == london(2026, 6, 17, 17, 30)
    assert BUSINESS.add(london(2026, 6, 17, 12, 0), timedelta(hours=5, minutes=30)) == london(
        2026, 6, 17, 17, 30
    )
    assert BUSINESS.add(london(2026, 6, 19, 8, 30), business_days(2)) == london(2026, 6, 22, 17, 30)


def test_business_calendar_across_autumn_clock_change_uses_local_core_hours():
    """§2.3.1: core hours are London wall-clock time, BST before 25 Oct 2026 and GMT after.

    From Friday 23 Oct 16:30 BST, one hour runs to 17:30 and three more from 08:30 GMT on
    Monday 26 Oct, so the deadline is 11:30 GMT (11:30 UTC, not 10:30 UTC).
    """
    start = london(2026, 10, 23, 16, 30)

    deadline = BUSINESS.add(start, business_hours(4))

    assert deadline == datetime(2026, 10, 26, 11, 30, tzinfo=UTC)
    assert deadline.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 26, 11, 30)
    assert BUSINESS.between(start, deadline) == business_hours(4)


def test_business_calendar_across_spring_clock_change_uses_local_core_hours():
    """§2.3.1: after clocks go forward on 28 Mar 2027, 08:30 London is 07:30 UTC."""
    deadline = BUSINESS.add(london(2027, 3, 25, 17, 0), business_hours(1))

    # Friday 26 Mar and Monday 29 Mar 2027 are Good Friday and Easter Monday.
    assert deadline == datetime(2027, 3, 30, 8, 0, tzinfo=UTC)
    assert deadline == london(2027, 3, 30, 9, 0)


def test_between_over_a_weekend_is_zero():
    """§2.3.2: weekends are non-core, so no business time passes between Friday and Monday."""
    assert BUSINESS.between(london(2026, 6, 19, 17, 30), london(2026, 6, 22, 8, 30)) == timedelta(0)
    assert BUSINESS.between(london(2026, 6, 20, 0, 0), london(2026, 6, 21, 23, 59)) == timedelta(0)


def test_between_spanning_bank_holiday_counts_only_core_hours():
    """§2.3.1: bank holidays are excluded; Friday 17:00 to Tuesday 09:00 is one working hour."""
    start = london(2026, 8, 28, 17, 0)
    end = london(2026, 9, 1, 9, 0)

    assert BUSINESS.between(start, end) == timedelta(hours=1)
    assert BUSINESS.between(start, london(2026, 9, 2, 9, 0)) == timedelta(hours=10)


def test_between_over_a_year_counts_every_working_day():
    """§2.3.1: 2027 has 261 weekdays, of which 8 are bank holidays: 253 x 9 working hours."""
    assert BUSINESS.between(london(2027, 1, 1), london(2028, 1, 1)) == business_days(253)


def test_between_is_zero_when_end_is_not_after_start():
    """A clock never runs backwards."""
    start = london(2026, 6, 17, 12, 0)

    for calendar in (BUSINESS, TWENTY_FOUR_SEVEN):
        assert calendar.between(start, start) == timedelta(0)
        assert calendar.between(start, start - timedelta(hours=3)) == timedelta(0)


def test_between_on_24x7_is_elapsed_time_across_clock_change():
    """§3.10: P1/P2 clocks run on elapsed time; the 28 Mar 2027 night is 23 hours long."""
    elapsed = TWENTY_FOUR_SEVEN.between(london(2027, 3, 28, 0, 0), london(2027, 3, 29, 0, 0))

    assert elapsed == timedelta(hours=23)


def test_results_are_utc_whatever_the_input_zone():
    """Deadlines are stored in UTC (docs/conventions.md §4); callers may pass any aware datetime."""
    start = london(2026, 7, 1, 9, 0)

    for calendar in (BUSINESS, TWENTY_FOUR_SEVEN):
        assert calendar.add(start, timedelta(hours=1)).tzinfo is UTC
        assert calendar.next_opening(start).tzinfo is UTC


def test_naive_datetimes_are_refused():
    """Datetimes are always aware (docs/conventions.md §8); a naive one is a programming error."""
    naive = datetime(2026, 6, 17, 12, 0)
    aware = london(2026, 6, 17, 12, 0)

    for calendar in (BUSINESS, TWENTY_FOUR_SEVEN):
        with pytest.raises(ValueError, match="timezone-aware"):
            calendar.add(naive, timedelta(hours=1))
        with pytest.raises(ValueError, match="timezone-aware"):
            calendar.between(naive, aware)
        with pytest.raises(ValueError, match="timezone-aware"):
            calendar.between(aware, naive)


def test_negative_durations_are_refused():
    """An SLA target is never negative; subtracting time is not something a clock does."""
    for calendar in (BUSINESS, TWENTY_FOUR_SEVEN):
        with pytest.raises(ValueError, match="negative"):
            calendar.add(london(2026, 6, 17, 12, 0), timedelta(minutes=-1))


def test_get_calendar_returns_registered_calendars():
    """§3.10: P1/P2 run on the 24x7 clock and P3/P4 on business days (DESIGN §3)."""
    assert isinstance(get_calendar("24x7"), TwentyFourSeven)
    assert isinstance(get_calendar("business"), BusinessCalendar)
    assert get_calendar("business") is BUSINESS
    assert [name for name, _label in CALENDAR_CHOICES] == ["24x7", "business"]
    for name, _label in CALENDAR_CHOICES:
        assert get_calendar(name).name == name


def test_get_calendar_rejects_unknown_names_clearly():
    """A misspelt calendar on an SLA target must fail loudly, naming the valid choices."""
    with pytest.raises(KeyError, match=r"unknown SLA calendar 'weekdays'.*24x7, business"):
        get_calendar("weekdays")
