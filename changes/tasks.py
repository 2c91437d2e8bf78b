"""Celery entry points of the changes app: the weekly CAB created ahead (§8.9.8)."""

from celery import shared_task
from django.db import OperationalError

from .services import cab_meeting_schedule_next


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def cab_meeting_schedule_next_task() -> int:
    """Make sure next Tuesday's 12:00 CAB exists (§8.9.8); idempotent, so a missed or repeated
    run does no harm. Returns the meeting's id."""
    return cab_meeting_schedule_next().pk
