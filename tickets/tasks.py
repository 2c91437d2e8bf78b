"""Celery entry point of the kernel's own sweep (docs/conventions.md §5): beat runs it
(settings) every hour."""

from celery import shared_task
from django.db import OperationalError

from .services import pending_upload_purge


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def pending_upload_purge_task() -> dict:
    return {"purged": pending_upload_purge()}
