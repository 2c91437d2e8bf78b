"""Celery entry point of the post-incident review reminders (§5.23): beat runs it every five
minutes (settings); each milestone is claimed by a conditional UPDATE, so overlapping runs
send each reminder once."""

from celery import shared_task
from django.db import OperationalError

from .reviews import review_milestone_remind_due


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def review_milestone_remind_due_task() -> dict:
    return {"reminded": review_milestone_remind_due()}
