"""Lead times for raising changes (§8.7, §8.9.8), on the SLA business calendar.

- A Normal change that does not need CAB is raised 5 working days before its planned start.
- A change that needs CAB, submitted by close of business (COB) on Tuesday, is reviewed at the
  following Tuesday's CAB (12:00, §8.9.8); submitted later, at the CAB a week after that.

Late changes may still be submitted, but they are flagged and must carry a justification
(`changes.services.change_submit`). Pure functions over aware datetimes; "working day" and
"COB" are those of `sla.calendar.BUSINESS` (Monday to Friday, 17:30 Europe/London, England and
Wales bank holidays excluded), so the rules move with the desk's own calendar.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sla.calendar import BUSINESS, LONDON, BusinessCalendar

from .risk import ChangeType, needs_cab

# §8.7: "raised 5 working days ahead of the proposed Change start date".
NOTICE_WORKING_DAYS = 5
# §8.9.8: "CAB will convene each Tuesday at 12.00".
CAB_WEEKDAY = 1
CAB_MEETS_AT = time(12, 0)
ONE_DAY = timedelta(days=1)
ONE_WEEK = timedelta(days=7)


def _local(instant: datetime, argument: str) -> datetime:
    if not isinstance(instant, datetime):
        raise TypeError(f"{argument} must be a datetime, not {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{argument} must be timezone-aware, got naive {instant.isoformat()}")
    return instant.astimezone(LONDON)


def close_of_business(day: date, *, calendar: BusinessCalendar = BUSINESS) -> datetime:
    """COB on `day`: the calendar's closing time that day, London time (aware)."""
    return datetime.combine(day, calendar.close, tzinfo=calendar.tz)


def _next_working_day(day: date, calendar: BusinessCalendar) -> date:
    day += ONE_DAY
    while not calendar.is_working_day(day):
        day += ONE_DAY
    return day


def _previous_working_day(day: date, calendar: BusinessCalendar) -> date:
    day -= ONE_DAY
    while not calendar.is_working_day(day):
        day -= ONE_DAY
    return day


def add_working_days(day: date, count: int, *, calendar: BusinessCalendar = BUSINESS) -> date:
    """The `count`-th working day after `day` (bank holidays and weekends skipped)."""
    for _ in range(count):
        day = _next_working_day(day, calendar)
    return day


def working_day_of(instant: datetime, *, calendar: BusinessCalendar = BUSINESS) -> date:
    """The working day a submission at `instant` counts on: that day up to and including COB;
    after COB, or on a weekend or bank holiday, the next working day."""
    local = _local(instant, "instant")
    day = local.date()
    if calendar.is_working_day(day) and local <= close_of_business(day, calendar=calendar):
        return day
    return _next_working_day(day, calendar)


def cab_cut_off(tuesday: date, *, calendar: BusinessCalendar = BUSINESS) -> datetime:
    """The submission cut-off for the CAB a week after `tuesday`: COB that Tuesday (§8.7).

    When the Tuesday is a bank holiday nobody is at work to take submissions, so the cut-off
    is COB on the last working day before it.
    """
    day = tuesday if calendar.is_working_day(tuesday) else _previous_working_day(tuesday, calendar)
    return close_of_business(day, calendar=calendar)


def cab_meeting_day(tuesday: date, *, calendar: BusinessCalendar = BUSINESS) -> date:
    """The day the CAB of the week of `tuesday` meets: the Tuesday itself (§8.9.8), or the
    next working day when that Tuesday is a bank holiday."""
    return tuesday if calendar.is_working_day(tuesday) else _next_working_day(tuesday, calendar)


def cab_meeting_date_for(submitted_at: datetime, *, calendar: BusinessCalendar = BUSINESS) -> date:
    """The date of the CAB that reviews a change submitted at `submitted_at` (§8.7).

    Submitted by COB on a Tuesday (17:30 London inclusive): the following Tuesday's CAB.
    Submitted after it: the CAB a week later. Weekends and Mondays count towards the coming
    Tuesday's cut-off.
    """
    local = _local(submitted_at, "submitted_at")
    day = local.date()
    tuesday = day + timedelta(days=(CAB_WEEKDAY - day.weekday()) % 7)
    while cab_cut_off(tuesday, calendar=calendar) < local:
        tuesday += ONE_WEEK
    return cab_meeting_day(tuesday + ONE_WEEK, calendar=calendar)


def cab_meeting_starts_at(meeting_day: date, *, calendar: BusinessCalendar = BUSINESS) -> datetime:
    """12:00 London on the CAB's day (§8.9.8), aware."""
    return datetime.combine(meeting_day, CAB_MEETS_AT, tzinfo=calendar.tz)


@dataclass(frozen=True)
class LeadTimeResult:
    """What the §8.7 lead-time rule says about a submission.

    `late` changes may still go ahead with a justification; `message` says why in words for
    the person submitting. `cab_date` is the CAB that reviews it (None when no CAB is
    needed); `earliest_start` the first instant at which it could start on time.
    """

    late: bool
    message: str
    cab_date: date | None = None
    earliest_start: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.late


def _when(instant: datetime) -> str:
    local = instant.astimezone(LONDON)
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def lead_time_check(
    *,
    change_type: str,
    risk: int | None,
    impact: int | None,
    submitted_at: datetime,
    planned_start: datetime,
    calendar: BusinessCalendar = BUSINESS,
) -> LeadTimeResult:
    """Check the §8.7 lead times of a change submitted at `submitted_at` to start at
    `planned_start`. Standard and Emergency changes have none (§8.1.2, §9.1)."""
    _local(submitted_at, "submitted_at")
    start = _local(planned_start, "planned_start")
    if change_type != ChangeType.NORMAL:
        return LeadTimeResult(late=False, message="")
    if needs_cab(change_type, risk, impact):
        cab_date = cab_meeting_date_for(submitted_at, calendar=calendar)
        meeting = cab_meeting_starts_at(cab_date, calendar=calendar)
        if start > meeting:
            return LeadTimeResult(
                late=False,
                message=f"It will be reviewed at the CAB of {_day(cab_date)} (12:00).",
                cab_date=cab_date,
                earliest_start=meeting,
            )
        return LeadTimeResult(
            late=True,
            message=(
                "This change needs CAB approval: submitted now it is reviewed at the CAB of "
                f"{_day(cab_date)} (12:00), after its planned start of {_when(planned_start)}. "
                "Changes needing CAB are submitted by close of business on Tuesday for the "
                "following Tuesday's CAB. You can still submit it as a late change "
                "with a justification."
            ),
            cab_date=cab_date,
            earliest_start=meeting,
        )
    first_day = add_working_days(
        working_day_of(submitted_at, calendar=calendar), NOTICE_WORKING_DAYS, calendar=calendar
    )
    earliest = datetime.combine(first_day, time(0, 0), tzinfo=calendar.tz)
    if start.date() >= first_day:
        return LeadTimeResult(late=False, message="", earliest_start=earliest)
    return LeadTimeResult(
        late=True,
        message=(
            "A Normal change not needing CAB is raised 5 working days before it starts: "
            f"submitted now it may start on {_day(first_day)} or later, not "
            f"{_when(planned_start)}. You can still submit it as a late change with a "
            "justification."
        ),
        earliest_start=earliest,
    )
