"""Celery entry points of the ops app."""

import socket

from celery import shared_task

from .services import worker_heartbeat_record


@shared_task(ignore_result=True)
def worker_heartbeat_task() -> None:
    """Beat sends it every 30 s; whichever worker takes it records the time (readiness)."""
    worker_heartbeat_record(worker=socket.gethostname())
