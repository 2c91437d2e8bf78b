"""Properties every SLA calendar must keep, for any instant and target (§2.3, §3.10, §7.2)."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sla.calendar import BUSINESS, LONDON, TWENTY_FOUR_SEVEN, business_days

# Modest, and no example database, so the suite stays fast and writes nothing to the tree.
modest = settings(max_examples=200, deadline=None, database=None)

FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2030, 12, 31)

# Any aware instant, either in UTC or in London (which includes both clock changes).
any_instant = st.datetimes(
    min_value=datetime.combine(FIRST_DAY, time.min),
    max_value=datetime.combine(LAST_DAY, time.max),
    timezones=st.sampled_from([UTC, LONDON]),
)

# London wall-clock instants on the edges of core hours, which random instants rarely hit.
edge_instant = st.builds(
    lambda day, at: datetime.combine(day, at, tzinfo=LONDON),
    st.dates(min_value=FIRST_DAY, max_value=LAST_DAY),
    st.sampled_from(
        [time(0, 0), time(8, 29), time(8, 30), time(8, 31), time(17, 29), time(17, 30)]
        + [time(17, 31), time(23, 59)]
    ),
)

instants = st.one_of(any_instant, edge_instant)

# 0 to 60 business days, minute resolution.
durations = st.integers(min_value=0, max_value=60 * 9 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def core_hours_instants(draw: st.DrawFn) -> datetime:
    day = draw(st.dates(min_value=FIRST_DAY, max_value=LAST_DAY))
    assume(BUSINESS.is_working_day(day))
    minutes = draw(st.integers(min_value=0, max_value=9 * 60 - 1))
    return datetime.combine(day, time(8, 30), tzinfo=LONDON) + timedelta(minutes=minutes)


def in_core_hours_or_at_close(instant: datetime) -> bool:
    local = instant.astimezone(LONDON)
    return BUSINESS.is_working_day(local.date()) and time(8, 30) < local.time().replace(
        tzinfo=None
    ) <= time(17, 30)


@modest
@given(start=core_hours_instants(), duration=durations)
def test_business_time_added_inside_core_hours_is_measured_back_exactly(start, duration):
    """§2.3.1, §3.10: a target added from within core hours measures back to itself."""
    assert BUSINESS.between(start, BUSINESS.add(start, duration)) == duration


@modest
@given(start=instants, duration=durations)
def test_business_time_added_from_any_instant_counts_from_next_opening(start, duration):
    """§2.3.2: out of hours no business time runs, so counting starts at the next opening."""
    deadline = BUSINESS.add(start, duration)
    opening = BUSINESS.next_opening(start)

    assert BUSINESS.between(opening, deadline) == duration
    assert BUSINESS.between(start, deadline) == duration
    assert BUSINESS.between(start, opening) == timedelta(0)
    if duration:
        assert BUSINESS.add(opening, duration) == deadline


@modest
@given(start=instants, duration=durations.filter(bool))
def test_business_deadlines_never_fall_outside_core_hours(start, duration):
    """§2.3.1: a positive deadline is on a working day, after 08:30 and no later than 17:30."""
    deadline = BUSINESS.add(start, duration)

    assert deadline.tzinfo is UTC
    assert deadline > start
    assert in_core_hours_or_at_close(deadline)


@modest
@given(start=instants, shorter=durations, longer=durations)
def test_business_deadlines_grow_with_the_target(start, shorter, longer):
    """§3.10: a longer target never gives an earlier deadline (P3 before P4)."""
    shorter, longer = sorted([shorter, longer])

    assert BUSINESS.add(start, shorter) <= BUSINESS.add(start, longer)


@modest
@given(a=instants, b=instants, c=instants)
def test_business_time_between_is_additive(a, b, c):
    """A clock paused and resumed at `b` measures the same as one that ran straight through."""
    a, b, c = sorted([a, b, c])

    assert BUSINESS.between(a, c) == BUSINESS.between(a, b) + BUSINESS.between(b, c)


@modest
@given(start=instants, end=instants)
def test_business_time_between_never_exceeds_elapsed_time(start, end):
    """§2.3.1: at most nine working hours a day, and never more than the real time passed."""
    measured = BUSINESS.between(start, end)

    assert timedelta(0) <= measured <= max(end - start, timedelta(0))
    if end - start <= timedelta(days=1):
        assert measured <= business_days(1)


@modest
@given(start=instants, duration=durations)
def test_24x7_time_added_is_measured_back_exactly(start, duration):
    """§3.10: P1 and P2 run on elapsed time, so adding and measuring are inverse."""
    deadline = TWENTY_FOUR_SEVEN.add(start, duration)

    assert deadline.tzinfo is UTC
    assert deadline - start == duration
    assert TWENTY_FOUR_SEVEN.between(start, deadline) == duration


@modest
@given(a=instants, b=instants, c=instants)
def test_24x7_time_between_is_additive(a, b, c):
    """Elapsed time splits cleanly at any pause point, clock changes included."""
    a, b, c = sorted([a, b, c])

    assert TWENTY_FOUR_SEVEN.between(a, c) == (
        TWENTY_FOUR_SEVEN.between(a, b) + TWENTY_FOUR_SEVEN.between(b, c)
    )
