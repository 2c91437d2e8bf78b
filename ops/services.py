"""Writes of the ops app: the record of periodic task runs and the worker heartbeat."""

from datetime import datetime, timedelta

from django.utils import timezone

from .models import PeriodicTaskRun

HEARTBEAT_TASK = "ops.tasks.worker_heartbeat_task"


def _upsert(task: str, **fields) -> None:
    # One INSERT … ON CONFLICT (task) DO UPDATE of only these fields: a start and an end of the
    # same task from two workers never read-modify-write each other's columns.
    PeriodicTaskRun.objects.bulk_create(
        [PeriodicTaskRun(task=task, **fields)],
        update_conflicts=True,
        unique_fields=["task"],
        update_fields=list(fields),
    )


def periodic_run_started(*, task: str, worker: str, at: datetime | None = None) -> None:
    """Note that a worker began a periodic task (the status page shows a run in progress)."""
    _upsert(task, last_started_at=at or timezone.now(), worker=worker[:200])


def periodic_run_finished(
    *, task: str, worker: str, duration: timedelta, error: str = "", at: datetime | None = None
) -> None:
    """Note how a periodic task ended; readiness reads `last_succeeded_at` of the sweeps."""
    at = at or timezone.now()
    if error:
        _upsert(
            task, last_failed_at=at, last_error=error[:300], last_duration=duration, worker=worker
        )
    else:
        _upsert(task, last_succeeded_at=at, last_duration=duration, worker=worker[:200])


def worker_heartbeat_record(*, worker: str, at: datetime | None = None) -> None:
    """A worker took a task from the broker and reached the database: both work end to end."""
    at = at or timezone.now()
    _upsert(HEARTBEAT_TASK, last_started_at=at, last_succeeded_at=at, worker=worker[:200])
