"""The scheduled reports of the Change Management team (§8.10): the Forward Schedule of
Change (§8.10.1) and the Retrospective Change Report (§8.10.2), issued at 06:00 on Mondays,
viewable by staff in the portal and downloadable as CSV.

Rows are plain dicts of display strings (UK time), the same for the page, the CSV, the email
and the `ChangeReportRun` kept of each Monday's issue.
"""

import csv
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.http import HttpResponse

from core.dates import UK_TIME, uk_datetime
from tickets.selectors import visible_tickets

from .models import Change, ChangeReport
from .risk import ChangeType
from .schedule_selectors import monday_of, scheduled_changes_all, uk_midnight

# §8.10.1 "all changes planned within the next xx day": the manual leaves the number open;
# two weeks covers the next two CABs (§8.9.8), and the portal page lets staff pick 1–90.
FSC_DEFAULT_DAYS = 14
FSC_MAX_DAYS = 90
# §8.10: "issued at 6am on a Mondays".
ISSUE_TIME = time(6, 0)

# §8.10.1 Field Descriptions, in the manual's order.
FSC_COLUMNS = (
    ("number", "Number"),
    ("category", "Category"),
    ("assigned_to", "Assigned to"),
    ("short_description", "Short Description"),
    ("planned_start", "Planned Start Date"),
    ("planned_end", "Planned End Date"),
)
# §8.10.2: the changes due last week "and their status": the same fields, then the status,
# the outcome (§8.8) and when it really ran.
RETROSPECTIVE_COLUMNS = (
    *FSC_COLUMNS,
    ("status", "Status"),
    ("outcome", "Outcome"),
    ("actual_start", "Actual Start"),
    ("actual_end", "Actual End"),
)

# Approved and not yet done (§8.10: "Changes submitted and approved up to that time").
FSC_STATES = (Change.State.SCHEDULED, Change.State.IMPLEMENT)


@dataclass(frozen=True)
class ReportPeriod:
    start: datetime
    end: datetime


def issue_moment(week_of: date) -> datetime:
    """06:00 UK time on the Monday `week_of` (§8.10)."""
    return datetime.combine(week_of, ISSUE_TIME, tzinfo=UK_TIME)


def forward_schedule_period(at: datetime, days: int = FSC_DEFAULT_DAYS) -> ReportPeriod:
    """From `at` to `days` days later (§8.10.1 "the next xx day")."""
    return ReportPeriod(at, at + timedelta(days=days))


def retrospective_period(week_of: date) -> ReportPeriod:
    """The previous week: Monday 00:00 to Monday 00:00 UK time before `week_of` (§8.10.2)."""
    monday = monday_of(week_of)
    return ReportPeriod(uk_midnight(monday - timedelta(days=7)), uk_midnight(monday))


def _row(change: Change) -> dict:
    assignee = change.assigned_to
    return {
        "number": change.number,
        "category": change.category.name if change.category_id else "",
        "assigned_to": assignee.get_full_name() if assignee else "",
        "short_description": change.short_description,
        "planned_start": uk_datetime(change.planned_start, empty=""),
        "planned_end": uk_datetime(change.planned_end, empty=""),
    }


def _retrospective_row(change: Change) -> dict:
    return {
        **_row(change),
        "status": change.get_state_display(),
        "outcome": change.get_closure_code_display() if change.closure_code else "",
        "actual_start": uk_datetime(change.actual_start, empty=""),
        "actual_end": uk_datetime(change.actual_end, empty=""),
    }


def _approved_by(at: datetime) -> Q:
    """Approved by `at`: authorised then (§8.7, §8.9), or a pre-approved Standard change
    (§8.1.2) submitted by then."""
    return Q(authorised_at__lte=at) | Q(change_type=ChangeType.STANDARD, submitted_at__lte=at)


def forward_schedule_rows(*, at: datetime, days: int = FSC_DEFAULT_DAYS, user=None) -> list[dict]:
    """§8.10.1: the approved changes planned in the `days` days from `at` (including one
    already running at `at`), earliest first; all of them, or those `user` may see."""
    period = forward_schedule_period(at, days)
    queryset = scheduled_changes_all(start=period.start, end=period.end, states=FSC_STATES)
    if user is not None:
        queryset = visible_tickets(queryset, user=user, participants_may_see=False)
    return [_row(change) for change in queryset.filter(_approved_by(at))]


def retrospective_rows(*, week_of: date, user=None) -> list[dict]:
    """§8.10.2: the changes due to be implemented (planned to start) in the week before
    `week_of`'s Monday, and their status. Drafts never submitted (New) were not due."""
    period = retrospective_period(week_of)
    states = [state for state in Change.State.values if state != Change.State.NEW]
    queryset = scheduled_changes_all(start=period.start, end=period.end, states=states).filter(
        planned_start__gte=period.start
    )
    if user is not None:
        queryset = visible_tickets(queryset, user=user, participants_may_see=False)
    return [_retrospective_row(change) for change in queryset]


def columns_for(report: str) -> tuple[tuple[str, str], ...]:
    return FSC_COLUMNS if report == ChangeReport.FORWARD_SCHEDULE else RETROSPECTIVE_COLUMNS


# What the emailed issue shows: no email carries text people typed (§10.5.5: a subject or a
# name may hold an MPAN), so the short description and the assignee stay in the portal page
# and its CSV, which the email links to.
TYPED_COLUMNS = ("assigned_to", "short_description")


def email_columns_for(report: str) -> tuple[tuple[str, str], ...]:
    return tuple(column for column in columns_for(report) if column[0] not in TYPED_COLUMNS)


# Spreadsheet formula injection (OWASP "CSV Injection"): a cell starting with one of these is
# run as a formula by Excel and LibreOffice; a leading apostrophe makes it text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    """A cell value that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_response(*, filename: str, columns, rows: list[dict]) -> HttpResponse:
    """The rows as a CSV download, a header row of the column titles first."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Excel reads UTF-8 only with a byte-order mark.
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([title for _key, title in columns])
    for row in rows:
        writer.writerow([csv_safe(row.get(key, "")) for key, _title in columns])
    return response
