"""A real Celery worker on Redis runs the SLA sweep (docs/architecture.md §3, §10): the task goes through
the broker, the worker flags the clock and queues the alerts in the outbox, and the same worker
delivers them."""

import importlib
import time
from datetime import datetime, timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.apps import apps
from django.conf import settings
from django.core import mail

from comms.models import OutboundMessage
from incidents.services import incident_create
from mhhs_portal.celery import app as celery_app
from sla.calendar import LONDON
from sla.models import SLADefinition, TicketSLA
from sla.tasks import sla_sweep_task
from tests.factories.cases import category
from tickets.priority import Impact, Urgency

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not settings.CELERY_BROKER_URL.startswith("redis://"),
        reason="needs a real Celery worker on Redis: set CELERY_BROKER_URL=redis://... (CI does)",
    ),
]

RAISED = datetime(2026, 12, 3, 10, 0, tzinfo=LONDON)
AT_RISK = datetime(2026, 12, 3, 14, 30, tzinfo=LONDON)  # 75% of a P1's 6 hours (§3.10)


def _ensure_sla_definitions() -> None:
    """Transactional tests start from a flushed database: put the seeded service levels back."""
    if not SLADefinition.objects.exists():
        importlib.import_module("sla.migrations.0002_seed_definitions").seed(apps, None)
        importlib.import_module("sla.migrations.0005_plain_words").plain_descriptions(apps, None)


def _wait_for(condition, timeout: float = 30.0) -> bool:
    """Poll the database while the worker thread does its work (nothing to move in time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_sla_sweep_and_delivers_the_alerts(agent, resolver_group):
    """A P1 raised at 10:00 is at risk from 14:30; one sweep published to Redis and run by the
    worker flags it and the group's mailbox and the desk lead receive the alert."""
    _ensure_sla_definitions()
    with time_machine.travel(RAISED, tick=False):
        incident = incident_create(
            actor=agent,
            short_description="DIP rejecting every message",
            description="Every DIP message is rejected with E500.",
            category=category(),
            assignment_group=resolver_group,
            impact=Impact.HIGH,
            urgency=Urgency.HIGH,
        )
    clock = TicketSLA.objects.get(ticket_id=incident.pk, target_type="resolution")
    mail.outbox.clear()

    # tests/conftest.py runs tasks inline by default; this test publishes to the real broker.
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    alerts = OutboundMessage.objects.filter(template="sla_at_risk", ticket_id=incident.pk)
    # Time moves on from 14:31 (ticking, so the worker's own timers behave).
    with (
        time_machine.travel(AT_RISK + timedelta(minutes=1), tick=True),
        start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30),
    ):
        sla_sweep_task.delay()
        delivered = _wait_for(
            lambda: (
                alerts.count() == 2
                and not alerts.exclude(status=OutboundMessage.Status.SENT).exists()
            )
        )

    assert delivered, list(alerts.values_list("to_email", "status"))
    clock.refresh_from_db()
    assert clock.at_risk and not clock.breached
    assert sorted(alerts.values_list("to_email", flat=True)) == sorted(
        [resolver_group.email, settings.SERVICE_MANAGEMENT_EMAIL]
    )
    sent = [m for m in mail.outbox if incident.number in m.subject and "SLA at risk" in m.subject]
    assert sorted(m.to[0] for m in sent) == sorted(
        [resolver_group.email, settings.SERVICE_MANAGEMENT_EMAIL]
    )
