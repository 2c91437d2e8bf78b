"""Circular numbers under real concurrency (§5.20): publishing together never shares or
skips a number (PostgreSQL row locks on the year's sequence)."""

import threading

import pytest
from django.db import connection, connections

from major_incidents.circulars import circular_draft, circular_publish
from major_incidents.models import IndustryCircular
from tickets.models import Service

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locking is exercised on PostgreSQL"
    ),
]


def test_circulars_published_at_once_get_consecutive_distinct_numbers(incident_manager):
    dip = Service.objects.get(code="dip")
    drafts = [
        circular_draft(actor=incident_manager, title=f"C{i}", body="Body", services=[dip])
        for i in range(6)
    ]
    barrier = threading.Barrier(len(drafts))
    results: list = [None] * len(drafts)

    def publish(i: int) -> None:
        try:
            barrier.wait()
            results[i] = circular_publish(circular=drafts[i], actor=incident_manager).number
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(len(drafts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(number, str) for number in results), results
    assert sorted(int(number.rsplit("-", 1)[1]) for number in results) == list(range(1, 7))
    assert IndustryCircular.objects.filter(state="published").count() == 6
