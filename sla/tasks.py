"""Celery entry point of the SLA sweep (docs/conventions.md §5); beat runs it every minute
(settings). It calls the service and returns a small summary for the worker log.

The ticket types' own sweeps (the case triage check and auto-close) are tasks of their apps
(`cases.tasks`); they share `RETRY`.
"""

from celery import shared_task
from django.db import OperationalError

from sla.sweeps import sla_sweep

# A sweep that hit a lock timeout or a lost connection is simply run again; the next beat
# tick would do the same within a minute.
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 3}


@shared_task(**RETRY)
def sla_sweep_task() -> dict:
    result = sla_sweep()
    return {"breached": result.breached, "at_risk": result.at_risk, "notified": result.notified}
