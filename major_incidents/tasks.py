"""Celery entry points of the major-incident sweeps (docs/conventions.md §5): beat runs the
§5.19.1 comms reminders every minute (settings `CELERY_BEAT_SCHEDULE`)."""

from celery import shared_task

from sla.tasks import RETRY

from . import reminders


@shared_task(**RETRY)
def comms_reminders_sweep() -> dict:
    result = reminders.comms_reminders_sweep()
    return {"reminded": len(result.reminded), "late_alerted": len(result.late_alerted)}
