"""Celery signal receivers (connected in `OpsConfig.ready`).

- A task published while a request is served carries the request's id, user id and
  organisation id in its message headers; the worker puts them back in context for the
  task's log lines (docs/architecture.md, "Operations").
- Every task's runs, failures and durations are counted for /metrics.
- Each periodic task of the beat schedule records when it last started and ended, which
  the readiness probe and the system status page read.
"""

import logging
import time
from datetime import timedelta

from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun

from . import metrics
from .context import current_identity, organisation_id_var, request_id_var, user_id_var
from .log import redact
from .selectors import periodic_task_names
from .services import HEARTBEAT_TASK, periodic_run_finished, periodic_run_started

logger = logging.getLogger(__name__)

HEADER_KEYS = ("request_id", "user_id", "organisation_id")
_VARS = {
    "request_id": request_id_var,
    "user_id": user_id_var,
    "organisation_id": organisation_id_var,
}
# task id → (start, context tokens, failed?) for the run the worker is in.
_running: dict[str, dict] = {}


@before_task_publish.connect(dispatch_uid="ops.request_id_into_task_headers")
def _add_request_headers(sender=None, headers=None, **kwargs) -> None:
    if headers is None:
        return
    for key, value in zip(HEADER_KEYS, current_identity(), strict=True):
        if value is not None:
            headers.setdefault(key, value)


def _header(task, key: str):
    value = getattr(task.request, key, None)
    if value is None:
        value = (getattr(task.request, "headers", None) or {}).get(key)
    return value


@task_prerun.connect(dispatch_uid="ops.task_prerun")
def _task_started(sender=None, task_id=None, task=None, **kwargs) -> None:
    tokens = {}
    for key in HEADER_KEYS:
        value = _header(task, key)
        # An eager task runs inside the request and already has its context.
        if value is not None:
            tokens[key] = _VARS[key].set(value)
    _running[task_id] = {"start": time.monotonic(), "tokens": tokens, "failed": False}
    if _records_periodic_run(task):
        periodic_run_started(task=task.name, worker=task.request.hostname or "")


@task_failure.connect(dispatch_uid="ops.task_failure")
def _task_failed(sender=None, task_id=None, exception=None, **kwargs) -> None:
    run = _running.get(task_id)
    if run is not None:
        run["failed"] = True
        run["error"] = redact(f"{type(exception).__name__}: {exception}")
    metrics.CELERY_TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


@task_postrun.connect(dispatch_uid="ops.task_postrun")
def _task_finished(sender=None, task_id=None, task=None, state=None, **kwargs) -> None:
    run = _running.pop(task_id, None)
    if run is None:
        return
    elapsed = time.monotonic() - run["start"]
    metrics.CELERY_TASK_RUNS.labels(task=task.name, state=state or "unknown").inc()
    metrics.CELERY_TASK_DURATION.labels(task=task.name).observe(elapsed)
    try:
        if _records_periodic_run(task):
            periodic_run_finished(
                task=task.name,
                worker=task.request.hostname or "",
                duration=timedelta(seconds=elapsed),
                error=run.get("error", "") if run["failed"] else "",
            )
    except Exception:
        # The record is for people watching; a database hiccup must not fail the task.
        logger.exception("could not record the run of %s", task.name)
    finally:
        for key, token in run["tokens"].items():
            _VARS[key].reset(token)


def _records_periodic_run(task) -> bool:
    """A worker's run of a beat task. Runs in-process (eager, as in tests and `manage.py`
    calls) are not the schedule working, and would add a write to every caller."""
    return (
        not task.request.is_eager
        and task.name != HEARTBEAT_TASK
        and task.name in periodic_task_names()
    )
