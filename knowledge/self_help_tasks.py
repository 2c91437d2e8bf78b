"""Celery entry point of the self-help housekeeping (docs/conventions.md §5): beat runs it
(settings) once a day, so suggestion impressions never outlive their retention period."""

from celery import shared_task
from django.db import OperationalError

from .self_help import suggestion_impressions_prune


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def suggestion_impressions_prune_task() -> dict:
    return {"pruned": suggestion_impressions_prune()}
