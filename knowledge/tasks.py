"""Celery entry points for the knowledge base."""

from celery import shared_task

from sla.tasks import RETRY

from .reviews import article_review_reminders_send


@shared_task(**RETRY)
def article_review_reminders_task() -> dict:
    """Daily: review reminders to owners and overdue notices to knowledge managers (§12)."""
    sweep = article_review_reminders_send()
    return {"reminded": len(sweep.reminded), "overdue": len(sweep.overdue)}
