"""Celery entry points of the case sweeps (docs/conventions.md §5); beat runs them (settings):
the §4.1 triage check every minute (`cases.triage_check`) and the §10.3 auto-close of resolved
cases every 15 minutes (`cases.auto_close`), and the §14.4 report-request update reminders every
15 minutes (`cases.report_updates`). Each calls one service and returns a small summary
for the worker log; like the SLA sweep, one that hit a lock timeout or a lost connection is run
again (`sla.tasks.RETRY`).
"""

from celery import shared_task

from sla.tasks import RETRY

from .auto_close import case_auto_close
from .report_updates import report_update_check
from .triage_check import case_triage_check


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


@shared_task(**RETRY)
def report_update_check_task() -> dict:
    result = report_update_check()
    return {"reminded": len(result.reminded), "skipped": result.skipped}
