"""Schedule conflicts (§8.9.4 "reviewed for … timing", §8.9.6 scheduled changes): changes
whose planned windows overlap on a shared service are flagged on both; windows that only
touch, or sit on different services, do not conflict; cancelled changes (§8.8) never do. The
bulk selector answers for any number of changes in one query."""

from datetime import timedelta

import pytest

from changes.conflicts import change_conflicts_for, conflicts_by_change
from changes.services import change_cancel
from tests.changes.conftest import london, raise_change
from tickets.models import Service

START = london(2027, 3, 1, 22, 0)


def _on(owner, code: str, start, hours: float = 2, **fields):
    return raise_change(
        owner,
        planned_start=start,
        planned_end=start + timedelta(hours=hours),
        services=Service.objects.filter(code=code),
        **fields,
    )


@pytest.mark.django_db
def test_overlapping_windows_on_the_same_service_conflict_both_ways_s8_9_4(service_owner):
    """§8.9.4: two changes to the DIP overlapping by an hour are flagged on each other."""
    first = _on(service_owner, "dip", START)
    second = _on(service_owner, "dip", START + timedelta(hours=1))
    [conflict] = change_conflicts_for(first)
    assert (conflict.number, conflict.services) == (second.number, ["Data Integration Platform"])
    assert conflict.planned_start == second.planned_start
    assert [c.number for c in change_conflicts_for(second)] == [first.number]


@pytest.mark.django_db
def test_adjacent_windows_do_not_conflict_s8_9_4(service_owner):
    """§8.9.4: a change starting when the other ends follows it; no overlap, no conflict."""
    first = _on(service_owner, "dip", START)
    second = _on(service_owner, "dip", START + timedelta(hours=2))
    assert conflicts_by_change([first, second]) == {first.pk: [], second.pk: []}


@pytest.mark.django_db
def test_overlapping_windows_on_different_services_do_not_conflict_s8_9_4(service_owner):
    """§8.9.4: the same hours on different services are no scheduling clash."""
    first = _on(service_owner, "dip", START)
    second = _on(service_owner, "isd", START)
    assert change_conflicts_for(first) == []
    assert change_conflicts_for(second) == []


@pytest.mark.django_db
def test_a_window_inside_another_conflicts_s8_9_4(service_owner):
    """§8.9.4: a short change wholly inside a longer one's window on the same service."""
    long = _on(service_owner, "dip", START, hours=6)
    short = _on(service_owner, "dip", START + timedelta(hours=2), hours=1)
    assert [c.number for c in change_conflicts_for(long)] == [short.number]


@pytest.mark.django_db
def test_cancelled_changes_conflict_with_nothing_s8_8(service_owner):
    """§8.8 Cancelled: the change did not happen, so its window takes up nothing, and a
    cancelled change itself shows no conflicts."""
    kept = _on(service_owner, "dip", START)
    cancelled = _on(service_owner, "dip", START)
    change_cancel(change=cancelled, actor=service_owner, notes="Vendor withdrew the patch.")
    assert change_conflicts_for(kept) == []
    assert change_conflicts_for(cancelled) == []


@pytest.mark.django_db
def test_shared_services_are_listed_once_per_conflicting_change_s8_9_4(service_owner):
    """§8.9.4: two changes on the DIP and the ISD conflict once, naming both services."""
    both = Service.objects.filter(code__in=["dip", "isd"])
    first = raise_change(service_owner, planned_start=START, services=both)
    second = raise_change(service_owner, planned_start=START, services=both)
    [conflict] = change_conflicts_for(first)
    assert conflict.number == second.number
    assert sorted(conflict.services) == sorted(service.name for service in both)


@pytest.mark.django_db
def test_bulk_conflicts_take_one_query_at_any_size_s8_9_6(service_owner, django_assert_num_queries):
    """§8.9.6: the CAB workbench flags every scheduled change; 2 or 20 changes, one query
    (the self-join through the change↔service table)."""
    changes = [_on(service_owner, "dip", START + timedelta(hours=i)) for i in range(20)]
    with django_assert_num_queries(1):
        small = conflicts_by_change(changes[:2])
    with django_assert_num_queries(1):
        large = conflicts_by_change(changes)
    assert [c.number for c in small[changes[0].pk]] == [changes[1].number]
    # Two-hour windows an hour apart: each overlaps its neighbours only.
    assert [c.number for c in large[changes[10].pk]] == [changes[9].number, changes[11].number]
    assert conflicts_by_change([]) == {}
