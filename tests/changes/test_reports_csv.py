"""The reports as CSV (§8.10): downloadable by staff, with every cell that a spreadsheet
would run as a formula (starting =, +, -, @, tab or carriage return) made text by a leading
apostrophe (OWASP CSV injection)."""

import csv
import io

import pytest
import time_machine
from django.urls import reverse

from changes.reports import csv_safe, issue_moment
from tests.changes.conftest import london
from tests.changes.schedule_support import scheduled
from tests.conftest import login_client, mfa_client


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example")', '\'=HYPERLINK("http://evil.example")'),
        ("+44 20 7380 4100", "'+44 20 7380 4100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tcmd", "'\tcmd"),
        ("Patch = fix", "Patch = fix"),
        ("", ""),
        (None, ""),
    ],
)
def test_formula_leading_cells_are_made_text(value, expected):
    assert csv_safe(value) == expected


def _rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))


@pytest.mark.django_db
def test_forward_schedule_csv_has_the_manuals_fields_and_escapes_formulas_s8_10_1(
    service_owner, change_manager, cab_member
):
    """§8.10.1: the CSV has the report's six fields in order; a short description written as
    a formula arrives as text."""
    change = scheduled(
        service_owner, change_manager, short_description='=HYPERLINK("http://evil.example")'
    )
    with time_machine.travel(issue_moment(london(2027, 3, 1).date()), tick=False):
        response = mfa_client(cab_member).get(
            reverse("change_schedule:forward_schedule"), {"days": "7", "format": "csv"}
        )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "forward-schedule-of-change-2027-03-01.csv" in response["Content-Disposition"]
    header, row = _rows(response)
    assert header == [
        "Number",
        "Category",
        "Assigned to",
        "Short Description",
        "Planned Start Date",
        "Planned End Date",
    ]
    assert row == [
        change.number,
        "Market Systems",
        "",
        '\'=HYPERLINK("http://evil.example")',
        "1 Mar 2027, 22:00",
        "2 Mar 2027, 00:00",
    ]


@pytest.mark.django_db
def test_retrospective_csv_adds_status_and_outcome_s8_10_2(
    service_owner, change_manager, cab_member
):
    """§8.10.2: the retrospective CSV carries each change's status."""
    change = scheduled(service_owner, change_manager, short_description="@SUM(A1)")
    with time_machine.travel(london(2027, 3, 8, 9, 0), tick=False):
        response = mfa_client(cab_member).get(
            reverse("change_schedule:retrospective"), {"week": "2027-03-08", "format": "csv"}
        )
    header, row = _rows(response)
    assert header[6:] == ["Status", "Outcome", "Actual Start", "Actual End"]
    assert row[0] == change.number and row[3] == "'@SUM(A1)" and row[6] == "Scheduled"


@pytest.mark.django_db
def test_csv_downloads_are_staff_only_s8_2(org_user):
    """§8.2: participants cannot download the change reports."""
    url = reverse("change_schedule:forward_schedule")
    assert login_client(org_user).get(url, {"format": "csv"}).status_code == 403
