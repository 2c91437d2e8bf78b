"""Issue 9: a participant's lists are served by indexes at scale — no sequential scan of the
case table for My Cases, its capped count or an API cursor page, at 100,000 cases.

The rows are seeded with one INSERT … SELECT generate_series (the ORM would take minutes),
then ANALYZEd, so PostgreSQL plans as it would on a desk of that size.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.services import organisation_create
from cases.models import Case
from cases.selectors import case_count_parts_for, case_list_for
from core.bulk_seed import insert_select_sql
from core.pagination import capped_count
from tests.factories.accounts import UserFactory
from tickets.api_common import TicketPagination

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="query plans are PostgreSQL's, at scale"
    ),
]

CASES = 100_000
ORGANISATIONS = 10


def _seed_cases(organisation_ids: list[int], caller_id: int) -> None:
    """CASES cases spread evenly over the organisations, opened over the last year."""
    explicit = {
        "number": "'PL' || lpad(s.i::text, 10, '0')",
        "short_description": "'Plan check ' || s.i",
        "description": "'Seeded for a query plan.'",
        "organisation_id": f"(ARRAY{organisation_ids})[1 + s.i %% {len(organisation_ids)}]",
        "caller_id": str(caller_id),
        "state": "(CASE WHEN s.i %% 200 = 0 THEN 'new' ELSE 'closed' END)",
        "opened_at": "%(now)s - make_interval(secs => s.i * 300)",
        "updated_at": "%(now)s",
        "no_party_id": "TRUE",
    }
    sql, params = insert_select_sql(
        Case, explicit, source=f"FROM generate_series(1, {CASES}) AS s(i)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "now": timezone.now()})
        cursor.execute(f"ANALYZE {Case._meta.db_table}")


def _scans(node: dict) -> list[tuple[str, str]]:
    found = [(node.get("Node Type", ""), node.get("Relation Name", ""))]
    for child in node.get("Plans", []):
        found.extend(_scans(child))
    return found


def _plan(sql: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        raw = cursor.fetchone()[0]
    plan = raw if isinstance(raw, list) else json.loads(raw)
    return _scans(plan[0]["Plan"])


def _sql_of(run) -> str:
    with CaptureQueriesContext(connection) as captured:
        run()
    [query] = [q["sql"] for q in captured.captured_queries if Case._meta.db_table in q["sql"]]
    return query


@pytest.fixture
def participant_at_scale():
    root = organisation_create(name="Plan root")
    organisations = [root] + [
        organisation_create(name=f"Plan org {n}", parent=root if n < 3 else None)
        for n in range(ORGANISATIONS - 1)
    ]
    somebody = UserFactory(organisation=organisations[-1])
    _seed_cases([o.pk for o in organisations], somebody.pk)
    # The participant's tree: the root and its two children, 3 of 10 organisations.
    participant = UserFactory(organisation=root)
    return participant


def _no_seq_scan_of_cases(sql: str) -> None:
    scans = _plan(sql)
    assert ("Seq Scan", Case._meta.db_table) not in scans, scans


def test_my_cases_page_is_read_through_an_index(participant_at_scale):
    page = case_list_for(participant_at_scale)
    sql = _sql_of(lambda: list(page[:25]))
    assert '"organisation_id" IN' in sql and "LIKE" not in sql
    _no_seq_scan_of_cases(sql)


def test_my_cases_count_is_capped_and_read_through_an_index(participant_at_scale):
    tree = participant_at_scale.organisation.path
    open_in_tree = Case.objects.filter(
        organisation__path__startswith=tree, state__in=Case.OPEN_STATES
    ).count()
    assert 0 < open_in_tree < 1000
    cases = case_list_for(participant_at_scale, state="open")
    assert capped_count(cases.order_by()) == (open_in_tree, False)
    _no_seq_scan_of_cases(_sql_of(lambda: capped_count(case_list_for(participant_at_scale))))
    assert capped_count(case_list_for(participant_at_scale)) == (1000, True)


def test_my_cases_count_by_parts_is_read_through_indexes(participant_at_scale):
    """The page counts the organisation tree and the user's own cases outside it as parts
    (`case_count_parts_for`): the same capped figures, each part through an index."""
    parts = case_count_parts_for(participant_at_scale)
    assert capped_count(parts) == capped_count(case_list_for(participant_at_scale)) == (1000, True)
    sql = _sql_of(lambda: capped_count(parts))
    assert "UNION ALL" in sql
    _no_seq_scan_of_cases(sql)
    open_cases = case_count_parts_for(participant_at_scale, state="open")
    assert capped_count(open_cases) == capped_count(
        case_list_for(participant_at_scale, state="open")
    )


def test_an_api_cursor_page_is_read_through_an_index(participant_at_scale, rf):
    from rest_framework.request import Request

    cases = case_list_for(participant_at_scale)
    middle = cases[5000]
    token = TicketPagination._encode(middle.opened_at, middle.pk, backwards=False)
    request = Request(rf.get("/api/v1/cases/", {"cursor": token, "page_size": 50}))
    paginator = TicketPagination()
    sql = _sql_of(lambda: paginator.paginate_queryset(cases, request))
    assert len(paginator.page) == 50 and paginator.page[0].opened_at <= middle.opened_at
    _no_seq_scan_of_cases(sql)


@pytest.mark.parametrize(
    "sort", ["-opened", "opened", "-updated", "updated", "priority", "-priority"]
)
def test_a_sorted_my_cases_page_is_read_through_an_index_without_sorting(
    participant_at_scale, sort
):
    """Issue 10: each My Cases order, both ways, is read in order through an index holding the
    visibility columns (`case_visible_newest`, `_updated`, `_priority`): no sequential scan and
    no sort of every visible case to show 25."""
    from cases.selectors import case_rows_for

    rows = case_rows_for(participant_at_scale, sort=sort)
    sql = _sql_of(lambda: list(rows[:25]))
    scans = _plan(sql)
    assert ("Seq Scan", Case._meta.db_table) not in scans, scans
    # An incremental sort (ties within an index order, bounded by the page) may remain.
    assert not any(node == "Sort" for node, _ in scans), scans
    index_scans = {relation for node, relation in scans if node.startswith("Index")}
    assert Case._meta.db_table in index_scans, scans
