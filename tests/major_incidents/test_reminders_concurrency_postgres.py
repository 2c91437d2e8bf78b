"""The comms reminder sweep run by several workers at the same instant on PostgreSQL
(§5.19.1, docs/conventions.md §5): the conditional UPDATE is the claim, so each reminder and
each lateness alert goes out once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from comms.models import Notification
from major_incidents.reminders import comms_reminders_sweep

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locking is exercised on PostgreSQL"
    ),
]


def _run_together(workers: int, work) -> list:
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


def test_sweeps_running_at_once_send_each_reminder_and_alert_once(
    major, incident_manager, service_manager
):
    now = major.next_comms_due_at + timedelta(minutes=3)
    results = _run_together(4, lambda i: comms_reminders_sweep(now=now))
    assert not any(isinstance(result, Exception) for result in results), results
    assert sum(len(result.reminded) for result in results) == 1
    assert sum(len(result.late_alerted) for result in results) == 1
    assert Notification.objects.filter(event="major_incident_comms_due").count() == 1
    assert Notification.objects.filter(event="major_incident_comms_late").count() == 1
