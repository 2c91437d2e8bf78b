"""Celery entry point of the Monday change reports (§8.10): beat runs it at 06:00 UK time on
Mondays (settings); `change_reports_issue` keeps one run per report and Monday, so a retry or
a second beat sends nothing twice."""

from datetime import date

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from core.dates import UK_TIME

from .services import change_reports_issue


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def change_reports_issue_task(week_of: str | None = None) -> dict:
    """Issue both reports for the Monday of `week_of` (ISO date), by default this UK week."""
    day = (
        date.fromisoformat(week_of)
        if week_of
        else timezone.localtime(timezone.now(), UK_TIME).date()
    )
    runs = change_reports_issue(week_of=day)
    return {"issued": [run.report for run in runs]}
