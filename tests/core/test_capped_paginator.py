"""`core.pagination.CappedPaginator` (issue 9): a list never counts more rows than the page
asked for needs, and says "1,000+" when it stopped counting."""

import pytest

from core.pagination import CappedPaginator, capped_count


def test_a_short_list_is_counted_exactly_and_numbered_to_its_last_page():
    paginator = CappedPaginator(list(range(60)), 25, cap=100)
    page = paginator.get_page(1)
    assert paginator.count == 60 and not paginator.capped
    assert paginator.count_display == "60"
    assert paginator.num_pages == 3 and page.has_next()
    assert list(paginator.get_elided_page_range(1, on_each_side=1, on_ends=1)) == [1, 2, 3]


def test_a_long_list_stops_counting_at_the_cap_and_reads_cap_plus():
    paginator = CappedPaginator(list(range(5000)), 25, cap=1000)
    page = paginator.get_page(1)
    assert paginator.capped and paginator.count == 1000
    assert paginator.count_display == "1,000+"
    assert page.has_next()
    # No last page is offered (it would be a guess): the pages around this one, then "…".
    assert paginator.get_elided_page_range(1, on_each_side=2, on_ends=1) == [
        1,
        2,
        3,
        paginator.ELLIPSIS,
    ]


def test_paging_past_the_cap_counts_one_page_further_and_keeps_a_next_page():
    rows = list(range(5000))
    paginator = CappedPaginator(rows, 25, cap=100)
    page = paginator.get_page(10)
    assert page.number == 10
    assert list(page.object_list) == rows[225:250]
    assert page.has_next() and paginator.capped
    assert paginator.count == 11 * 25
    assert paginator.get_elided_page_range(10, on_each_side=1, on_ends=1) == [
        1,
        paginator.ELLIPSIS,
        9,
        10,
        11,
        paginator.ELLIPSIS,
    ]


def test_the_last_page_of_a_list_longer_than_the_cap_has_no_next():
    rows = list(range(130))
    paginator = CappedPaginator(rows, 25, cap=50)
    page = paginator.get_page(6)
    assert page.number == 6 and list(page.object_list) == rows[125:]
    assert not page.has_next() and not paginator.capped
    assert paginator.count_display == "130"


@pytest.mark.parametrize("number", ["abc", "", None, "-3", "99999999999999999999"])
def test_a_page_number_that_is_not_one_falls_back_like_djangos(number):
    paginator = CappedPaginator(list(range(40)), 25, cap=100)
    page = paginator.get_page(number)
    assert page.number in (1, 2)


@pytest.mark.django_db
def test_a_queryset_is_counted_without_its_order_and_no_further_than_the_cap(
    django_assert_num_queries,
):
    from django.contrib.auth.models import Permission

    total = Permission.objects.count()
    assert total > 20
    paginator = CappedPaginator(Permission.objects.order_by("codename"), 5, cap=10)
    with django_assert_num_queries(2) as captured:
        page = paginator.get_page(1)
        assert len(page.object_list) == 5
    count_sql = captured.captured_queries[0]["sql"]
    assert "LIMIT 11" in count_sql
    # Only the key is selected, in the list's own order (plain columns: an index serves it).
    assert "codename" not in count_sql.split("FROM")[1].split("ORDER BY")[0].split("SELECT")[1]
    assert 'ORDER BY "auth_permission"."codename"' in count_sql
    assert paginator.capped and paginator.count_display == "10+"
    assert capped_count(Permission.objects.all(), cap=10) == (10, True)
    assert capped_count(Permission.objects.all(), cap=total) == (total, False)


@pytest.mark.django_db
def test_a_page_of_values_rows_is_counted_by_its_key_alone(django_assert_num_queries):
    from django.contrib.auth.models import Permission

    rows = Permission.objects.order_by("codename").values("codename", "content_type__app_label")
    paginator = CappedPaginator(rows, 5, cap=10)
    with django_assert_num_queries(2) as captured:
        page = paginator.get_page(1)
        assert set(page.object_list[0]) == {"codename", "content_type__app_label"}
    count_sql = captured.captured_queries[0]["sql"]
    assert '"auth_permission"."id"' in count_sql.split("FROM")[1]
    assert "app_label" not in count_sql
    # Counting the model queryset instead leaves the values' join out altogether.
    paginator = CappedPaginator(rows, 5, cap=10, counting=Permission.objects.order_by("codename"))
    with django_assert_num_queries(1) as captured:
        assert paginator.count == 10 and paginator.capped
    assert "django_content_type" not in captured.captured_queries[0]["sql"]


@pytest.mark.django_db
def test_an_order_by_an_annotation_is_not_computed_for_the_count(django_assert_num_queries):
    from django.contrib.auth.models import Permission
    from django.db.models import Count

    rows = Permission.objects.annotate(holders=Count("group")).order_by("-holders", "pk")
    paginator = CappedPaginator(rows, 5, cap=10)
    with django_assert_num_queries(2) as captured:
        assert len(paginator.get_page(1).object_list) == 5
    count_sql = captured.captured_queries[0]["sql"]
    assert "ORDER BY" not in count_sql and "COUNT(" in count_sql
    assert "ORDER BY" in captured.captured_queries[1]["sql"]  # the page keeps its order


@pytest.mark.django_db
def test_disjoint_parts_are_counted_together_in_one_query_up_to_the_cap(
    django_assert_num_queries,
):
    """`counting=` a list of disjoint querysets (`tickets.selectors.visible_ticket_parts`):
    one `COUNT(*)` over their `UNION ALL`, stopping at the cap; a part that can hold nothing
    is left out."""
    from django.contrib.auth.models import Permission

    adds = Permission.objects.filter(codename__startswith="add_")
    changes = Permission.objects.filter(codename__startswith="change_")
    total = adds.count() + changes.count()
    assert total > 20
    parts = [adds, Permission.objects.none(), changes]
    paginator = CappedPaginator(Permission.objects.order_by("codename"), 5, cap=10, counting=parts)
    with django_assert_num_queries(1) as captured:
        assert paginator.count == 10 and paginator.capped
    count_sql = captured.captured_queries[0]["sql"]
    assert "UNION ALL" in count_sql and "ORDER BY" not in count_sql
    assert capped_count(parts, cap=total) == (total, False)
    assert capped_count(parts, cap=total - 1) == (total - 1, True)
    assert capped_count([adds], cap=1000) == (adds.count(), False)
    with django_assert_num_queries(0):
        assert capped_count([Permission.objects.none(), Permission.objects.none()]) == (0, False)
