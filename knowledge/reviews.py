"""The three-monthly review cycle (§12): owners are reminded before a review falls due, and
the knowledge managers are told when one is overdue — each once per review date."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from comms import notifications

from .models import Article, ArticleReviewState
from .services import article_console_link, knowledge_managers, uk_today


def review_due_soon(today: date | None = None) -> QuerySet[Article]:
    """Published articles whose review falls due within the reminder window, not yet past."""
    today = today or uk_today()
    horizon = today + timedelta(days=settings.KNOWLEDGE_REVIEW_REMINDER_DAYS)
    return Article.objects.filter(
        state=Article.State.PUBLISHED, next_review_on__gte=today, next_review_on__lte=horizon
    )


def review_overdue(today: date | None = None) -> QuerySet[Article]:
    """Published articles whose review date has passed."""
    today = today or uk_today()
    return Article.objects.filter(state=Article.State.PUBLISHED, next_review_on__lt=today)


@dataclass(frozen=True)
class ReviewSweep:
    reminded: list[str]
    overdue: list[str]


def article_review_reminders_send(*, today: date | None = None) -> ReviewSweep:
    """Remind each owner `KNOWLEDGE_REVIEW_REMINDER_DAYS` before the review date, and tell the
    knowledge managers of newly overdue reviews; neither is repeated for the same date."""
    today = today or uk_today()
    reminded: list[str] = []
    overdue: list[str] = []
    for article in review_due_soon(today).select_related("owner").order_by("next_review_on", "id"):
        with transaction.atomic():
            state, _ = ArticleReviewState.objects.select_for_update().get_or_create(article=article)
            if state.reminded_for == article.next_review_on:
                continue
            state.reminded_for = article.next_review_on
            state.save(update_fields=["reminded_for"])
            notifications.knowledge_review_due(
                number=article.number,
                due_on=article.next_review_on,
                owner=article.owner,
                link=article_console_link(article),
            )
            reminded.append(article.number)
    managers = list(knowledge_managers())
    for article in review_overdue(today).select_related("owner").order_by("next_review_on", "id"):
        with transaction.atomic():
            state, _ = ArticleReviewState.objects.select_for_update().get_or_create(article=article)
            if state.overdue_notified_for == article.next_review_on:
                continue
            state.overdue_notified_for = article.next_review_on
            state.save(update_fields=["overdue_notified_for"])
            notifications.knowledge_review_overdue(
                number=article.number,
                due_on=article.next_review_on,
                recipients=managers,
                link=article_console_link(article),
            )
            overdue.append(article.number)
    return ReviewSweep(reminded=reminded, overdue=overdue)
