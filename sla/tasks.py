"""Celery entry points of the SLA sweeps (docs/conventions.md §5); beat runs them (settings).

Each calls one service and returns a small summary for the worker log. The auto-close of
resolved cases (§10.3) is a sweep of the same family and lives here with its siblings; its
rules are in `cases.auto_close`.
"""

from celery import shared_task
from django.db import OperationalError

from cases.auto_close import case_auto_close
from sla.sweeps import case_triage_check, sla_sweep

# A sweep that hit a lock timeout or a lost connection is simply run again; the next beat
# tick would do the same within a minute.
RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 3}


@shared_task(**RETRY)
def sla_sweep_task() -> dict:
    result = sla_sweep()
    return {"breached": result.breached, "at_risk": result.at_risk, "notified": result.notified}


@shared_task(**RETRY)
def case_triage_check_task() -> dict:
    result = case_triage_check()
    return {str(minutes): len(ids) for minutes, ids in result.alerted.items()}


@shared_task(**RETRY)
def case_auto_close_task() -> dict:
    result = case_auto_close()
    return {
        "closed": len(result.closed),
        "reminded": sum(len(ids) for ids in result.reminded.values()),
        "refused": len(result.refused),
    }
