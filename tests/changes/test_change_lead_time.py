"""The §8.7 lead times (`changes.lead_time`): 5 working days for Normal changes not needing
CAB; Tuesday close-of-business cut-off for the following Tuesday's CAB (§8.9.8 meets at 12:00).

Dates: Tuesday 1 December 2026 is an ordinary Tuesday; Christmas 2026 is a Friday and Boxing
Day's substitute Monday 28 December; Christmas 2029 and New Year's Day 2030 fall on Tuesdays.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from changes.lead_time import (
    cab_cut_off,
    cab_meeting_date_for,
    lead_time_check,
    working_day_of,
)
from changes.risk import ChangeType, Rating

LONDON = ZoneInfo("Europe/London")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_submitted_by_tuesday_cob_goes_to_the_following_tuesdays_cab():
    """§8.7: submitted Tuesday 17:29 → the CAB of the following Tuesday."""
    assert cab_meeting_date_for(at(2026, 12, 1, 17, 29)) == date(2026, 12, 8)


def test_submitted_exactly_at_tuesday_cob_is_still_in_time():
    """§8.7 "by COB on Tuesday": 17:30:00 itself is by close of business."""
    assert cab_meeting_date_for(at(2026, 12, 1, 17, 30)) == date(2026, 12, 8)


def test_submitted_after_tuesday_cob_goes_to_the_cab_a_week_later():
    """§8.7: Tuesday 17:31 misses the cut-off → the CAB of the Tuesday after next."""
    assert cab_meeting_date_for(at(2026, 12, 1, 17, 31)) == date(2026, 12, 15)


@pytest.mark.parametrize(
    ("submitted", "cab"),
    [
        (at(2026, 11, 30, 9, 0), date(2026, 12, 8)),  # Monday: this week's cut-off
        (at(2026, 12, 2, 9, 0), date(2026, 12, 15)),  # Wednesday: next week's cut-off
        (at(2026, 12, 5, 11, 0), date(2026, 12, 15)),  # Saturday
        (at(2026, 12, 6, 23, 59), date(2026, 12, 15)),  # Sunday night
        (at(2026, 12, 1, 7, 0), date(2026, 12, 8)),  # Tuesday before opening
    ],
)
def test_mondays_weekends_and_midweek_count_towards_the_coming_tuesday(submitted, cab):
    """§8.7: the cut-off is the coming Tuesday's COB; its CAB is a week after."""
    assert cab_meeting_date_for(submitted) == cab


def test_cut_off_before_a_bank_holiday_tuesday_is_the_previous_working_day():
    """§8.7 on the business calendar: Tuesday 25 December 2029 is Christmas Day, so the
    submissions cut-off is COB on Monday 24 December 2029."""
    assert cab_cut_off(date(2029, 12, 25)) == at(2029, 12, 24, 17, 30)
    assert cab_meeting_date_for(at(2029, 12, 24, 17, 30)) == date(2030, 1, 2)
    assert cab_meeting_date_for(at(2029, 12, 24, 17, 31)) == date(2030, 1, 8)


def test_cab_falling_on_a_bank_holiday_meets_the_next_working_day():
    """§8.9.8 on the business calendar: the CAB of Tuesday 25 December 2029 meets on Thursday
    27th (Boxing Day is a holiday too); that of Tuesday 1 January 2030 on Wednesday 2nd."""
    assert cab_meeting_date_for(at(2029, 12, 18, 12, 0)) == date(2029, 12, 27)
    assert cab_meeting_date_for(at(2029, 12, 24, 9, 0)) == date(2030, 1, 2)


def test_cut_off_is_london_cob_across_the_clock_change():
    """§8.7 COB is 17:30 London time in summer (BST, 16:30 UTC) and winter (GMT, 17:30 UTC).
    British Summer Time ends on Sunday 25 October 2026."""
    utc = ZoneInfo("UTC")
    assert cab_meeting_date_for(datetime(2026, 10, 20, 16, 30, tzinfo=utc)) == date(2026, 10, 27)
    assert cab_meeting_date_for(datetime(2026, 10, 20, 16, 31, tzinfo=utc)) == date(2026, 11, 3)
    assert cab_meeting_date_for(datetime(2026, 10, 27, 17, 30, tzinfo=utc)) == date(2026, 11, 3)
    assert cab_meeting_date_for(datetime(2026, 10, 27, 17, 31, tzinfo=utc)) == date(2026, 11, 10)


def test_naive_datetimes_are_refused():
    """Every instant is aware (CONVENTIONS §8); a naive one is a programming error."""
    with pytest.raises(ValueError, match="timezone-aware"):
        cab_meeting_date_for(datetime(2026, 12, 1, 12, 0))


def _cab_check(submitted, start):
    return lead_time_check(
        change_type=ChangeType.NORMAL,
        risk=Rating.MEDIUM,
        impact=Rating.LOW,
        submitted_at=submitted,
        planned_start=start,
    )


def test_cab_change_starting_after_its_cab_is_on_time():
    """§8.7: submitted Tuesday 17:29 for a start after the next Tuesday's CAB (12:00)."""
    result = _cab_check(at(2026, 12, 1, 17, 29), at(2026, 12, 8, 14, 0))
    assert result.ok and result.cab_date == date(2026, 12, 8)
    assert "CAB of Tue 8 Dec 2026" in result.message


def test_cab_change_missing_the_tuesday_cut_off_is_late_for_a_start_before_its_cab():
    """§8.7: submitted Tuesday 17:31, its CAB is 15 December, so a start on 10 December is
    late, with a message that says so and what to do."""
    result = _cab_check(at(2026, 12, 1, 17, 31), at(2026, 12, 10, 9, 0))
    assert result.late and result.cab_date == date(2026, 12, 15)
    assert "CAB of Tue 15 Dec 2026" in result.message
    assert "justification" in result.message


def test_cab_change_starting_during_its_cab_meeting_is_late():
    """§8.9.8: the CAB meets at 12:00; a change cannot start before it is authorised."""
    assert _cab_check(at(2026, 12, 1, 9, 0), at(2026, 12, 8, 12, 0)).late
    assert _cab_check(at(2026, 12, 1, 9, 0), at(2026, 12, 8, 12, 1)).ok


def _low_check(submitted, start):
    return lead_time_check(
        change_type=ChangeType.NORMAL,
        risk=Rating.LOW,
        impact=Rating.LOW,
        submitted_at=submitted,
        planned_start=start,
    )


def test_low_risk_normal_change_raised_five_working_days_ahead_is_on_time():
    """§8.7: submitted Tuesday 1 December 17:29, five working days ahead is Tuesday 8th."""
    result = _low_check(at(2026, 12, 1, 17, 29), at(2026, 12, 8, 9, 0))
    assert result.ok and result.cab_date is None


def test_low_risk_normal_change_submitted_after_cob_counts_from_the_next_working_day():
    """§8.7: after COB on Tuesday the submission counts as Wednesday's: Tuesday 8th is then
    only four working days ahead."""
    result = _low_check(at(2026, 12, 1, 17, 31), at(2026, 12, 8, 9, 0))
    assert result.late
    assert "Wed 9 Dec 2026" in result.message
    assert _low_check(at(2026, 12, 1, 17, 31), at(2026, 12, 9, 9, 0)).ok


def test_five_working_days_skip_the_weekend():
    """§8.7: submitted Friday 4 December, the fifth working day after is Friday 11th."""
    assert _low_check(at(2026, 12, 4, 10, 0), at(2026, 12, 10, 23, 0)).late
    assert _low_check(at(2026, 12, 4, 10, 0), at(2026, 12, 11, 8, 0)).ok


def test_five_working_days_skip_bank_holidays():
    """§8.7 on the business calendar: from Wednesday 23 December 2026, Christmas Day (Fri)
    and Boxing Day's substitute (Mon 28th) do not count: 24, 29, 30, 31 Dec, 4 Jan."""
    assert _low_check(at(2026, 12, 23, 10, 0), at(2026, 12, 31, 10, 0)).late
    assert _low_check(at(2026, 12, 23, 10, 0), at(2027, 1, 4, 8, 0)).ok


def test_submission_on_a_weekend_counts_from_monday():
    """A Saturday submission is Monday's: the fifth working day after is next Monday."""
    assert working_day_of(at(2026, 12, 5, 10, 0)) == date(2026, 12, 7)
    assert _low_check(at(2026, 12, 5, 10, 0), at(2026, 12, 11, 10, 0)).late
    assert _low_check(at(2026, 12, 5, 10, 0), at(2026, 12, 14, 10, 0)).ok


@pytest.mark.parametrize("change_type", [ChangeType.STANDARD, ChangeType.EMERGENCY])
def test_standard_and_emergency_changes_have_no_lead_time(change_type):
    """§8.1.2, §9.1: pre-approved and emergency changes are not held to §8.7."""
    result = lead_time_check(
        change_type=change_type,
        risk=Rating.HIGH,
        impact=Rating.HIGH,
        submitted_at=at(2026, 12, 1, 17, 31),
        planned_start=at(2026, 12, 1, 18, 0),
    )
    assert result.ok and result.message == "" and result.cab_date is None
