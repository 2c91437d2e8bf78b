"""Numbering and transitions under real concurrency on PostgreSQL (docs/architecture.md §2)."""

import threading

import pytest
from django.db import connection, connections

from cases.models import Case
from cases.services import case_transition
from core.errors import DomainError
from tests.factories.cases import CaseFactory
from tickets.services import ticket_number_allocate

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locking is exercised on PostgreSQL"
    ),
]


def _run_together(workers: int, work) -> list:
    """Start `workers` threads that call `work(i)` at the same instant; collect outcomes."""
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def runner(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_number_allocation_never_repeats():
    """Eight creators at once each get a different, consecutive number."""
    numbers = _run_together(8, lambda i: [ticket_number_allocate(prefix="CS") for _ in range(10)])
    flat = [n for batch in numbers for n in batch]
    assert len(flat) == 80
    assert len(set(flat)) == 80
    values = sorted(int(n[2:]) for n in flat)
    assert values == list(range(values[0], values[0] + 80))


def test_concurrent_case_creation_gives_unique_numbers(org_user):
    cases = _run_together(6, lambda i: CaseFactory(caller=org_user).number)
    assert all(isinstance(n, str) for n in cases), cases
    assert len(set(cases)) == 6


def test_two_agents_transitioning_at_once_cannot_both_win(org_user, agent):
    """One agent resolves while another puts the case on hold: exactly one succeeds, the other
    gets a plain-words refusal, and the case is in the winner's state."""
    case = CaseFactory(caller=org_user)
    case = case_transition(case=case, actor=agent, name="start")

    def act(i: int):
        stale = Case.objects.get(pk=case.pk)
        if i == 0:
            return case_transition(case=stale, actor=agent, name="resolve", notes="Fixed").state
        return case_transition(
            case=stale, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER
        ).state

    outcomes = _run_together(2, act)
    wins = [o for o in outcomes if isinstance(o, str)]
    refusals = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(wins) == 1 and len(refusals) == 1, outcomes
    assert "changed by someone else" in refusals[0].message or "You can't" in refusals[0].message
    case.refresh_from_db()
    assert case.state == wins[0]


def test_the_same_transition_twice_at_once_happens_once(org_user, agent):
    case = CaseFactory(caller=org_user)
    outcomes = _run_together(
        4,
        lambda i: (
            case_transition(case=Case.objects.get(pk=case.pk), actor=agent, name="start").state
        ),
    )
    assert sum(isinstance(o, str) for o in outcomes) == 1, outcomes
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS
    assert case.history.filter(state=Case.State.IN_PROGRESS).count() == 1
