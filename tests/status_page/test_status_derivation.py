"""What the status page says about each service (§5.22, Appendix G "BSC Website Update"):
the worst impact of the active major incidents affecting it, and 90 UK days of history."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from status_page.selectors import history_cells, status_board
from tests.status_page.conftest import resolve

UK = ZoneInfo("Europe/London")


def _row(board, code):
    return next(row for row in board.services if row.code == code)


def test_a_service_without_active_major_incidents_is_operational(db):
    board = status_board()
    assert len(board.services) == 11
    assert {row.status for row in board.services} == {"operational"}
    assert board.overall == "operational"


def test_a_service_shows_the_worst_impact_of_its_active_major_incidents(make_major):
    make_major(services={"dip": "degraded", "lss": "partial_outage"})
    make_major(services={"dip": "major_outage"}, public_title="Second")
    board = status_board()
    assert _row(board, "dip").status == "major_outage"
    assert _row(board, "lss").status == "partial_outage"
    assert _row(board, "isd").status == "operational"
    assert board.overall == "major_outage"
    assert [row.public_title for row in board.active] == ["Second", "DIP messages delayed"]


def test_a_resolved_major_incident_no_longer_counts(make_major):
    resolve(make_major(services={"dip": "major_outage"}))
    board = status_board()
    assert _row(board, "dip").status == "operational"
    assert board.active == []
    assert [row.public_title for row in board.past] == ["DIP messages delayed"]


def test_a_history_cell_is_the_worst_impact_on_that_uk_day():
    """A day is a UK day: 23:30 UTC on 1 July is 00:30 on 2 July in London."""
    start = datetime(2026, 7, 1, 23, 30, tzinfo=ZoneInfo("UTC"))
    end = datetime(2026, 7, 3, 9, 0, tzinfo=UK)
    cells = history_cells(
        impacts=[
            (1, "degraded", start, end),
            (1, "major_outage", datetime(2026, 7, 3, 8, tzinfo=UK), end),
            (2, "operational", start, end),
        ],
        first_day=date(2026, 6, 1),
        last_day=date(2026, 7, 10),
    )
    assert cells[1] == {
        date(2026, 7, 2): "degraded",
        date(2026, 7, 3): "major_outage",
    }
    assert 2 not in cells


def test_an_active_major_incident_colours_every_day_up_to_today(make_major):
    make_major(services={"dip": "partial_outage"}, started_at=timezone.now() - timedelta(days=2))
    row = _row(status_board(), "dip")
    assert len(row.days) == 90
    assert [cell.status for cell in row.days[-3:]] == ["partial_outage"] * 3
    assert row.days[-4].status == "operational"
    assert row.days[-1].day == timezone.localtime(timezone.now(), UK).date()


def test_history_keeps_a_resolved_incident_and_drops_it_after_90_days(make_major):
    now = timezone.now()
    recent = make_major(services={"dip": "degraded"}, started_at=now - timedelta(days=10))
    resolve(recent, at=now - timedelta(days=9))
    old = make_major(services={"lss": "major_outage"}, started_at=now - timedelta(days=200))
    resolve(old, at=now - timedelta(days=100))
    board = status_board()
    assert [cell.status for cell in _row(board, "dip").disrupted_days] == ["degraded"] * 2
    assert _row(board, "lss").disrupted_days == []
    assert [row.pk for row in board.past] == [recent.pk]


def test_the_history_in_words_joins_consecutive_days(make_major):
    """Not colour alone: the strip's days with disruption are told in words, a spell of
    days as one range."""
    from status_page.templatetags.status_tags import history_strip

    now = timezone.now()
    resolve(
        make_major(services={"dip": "partial_outage"}, started_at=now - timedelta(days=12)),
        at=now - timedelta(days=10),
    )
    html = history_strip(_row(status_board(), "dip"))
    assert "3 of the last 90 days with disruption: Partial outage from " in html
    assert html.count("history__day--partial_outage") == 3
    assert 'aria-hidden="true"' in html
