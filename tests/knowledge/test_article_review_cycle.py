"""The three-monthly review cycle (§12): owners are reminded a configurable number of days
before the review date, once per cycle; knowledge managers are told of newly overdue reviews
and find them with the list's review filter. Time is moved with time_machine."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from comms.models import Notification, OutboundMessage
from knowledge.reviews import article_review_reminders_send, review_due_soon, review_overdue
from knowledge.services import (
    article_approve,
    article_create,
    article_review_no_change,
    article_submit,
)
from knowledge.tasks import article_review_reminders_task

UK = ZoneInfo("Europe/London")


def _at(day: date, hour: int = 7):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=UK), tick=False)


def _published_on(day: date, author, manager):
    with _at(day, 10):
        article = article_create(
            actor=author,
            title="Resetting your two-factor authentication",
            body="Ask the service desk to reset it.",
            change_summary="First version.",
        )
        version = article.versions.get()
        article_submit(actor=author, version=version)
        article_approve(actor=manager, version=version)
    article.refresh_from_db()
    return article


def _reminders(user):
    return Notification.objects.filter(user=user, event="knowledge_review_due")


def test_the_owner_is_reminded_fourteen_days_before_the_review_once(agent, knowledge_manager):
    article = _published_on(date(2026, 1, 15), agent, knowledge_manager)
    assert article.next_review_on == date(2026, 4, 15)
    with _at(date(2026, 3, 31)):
        assert article_review_reminders_send().reminded == []
    with _at(date(2026, 4, 1)):
        assert article_review_reminders_send().reminded == [article.number]
    with _at(date(2026, 4, 2)):
        assert article_review_reminders_send().reminded == []
    assert _reminders(agent).count() == 1
    email = OutboundMessage.objects.get(template="knowledge_review_due")
    assert email.to_email == agent.email
    assert "15 Apr 2026" in email.subject


def test_the_reminder_window_is_a_setting(settings, agent, knowledge_manager):
    settings.KNOWLEDGE_REVIEW_REMINDER_DAYS = 3
    article = _published_on(date(2026, 1, 15), agent, knowledge_manager)
    with _at(date(2026, 4, 11)):
        assert article_review_reminders_send().reminded == []
    with _at(date(2026, 4, 12)):
        assert article_review_reminders_send().reminded == [article.number]


def test_knowledge_managers_are_told_once_when_a_review_becomes_overdue(agent, knowledge_manager):
    article = _published_on(date(2026, 1, 15), agent, knowledge_manager)
    with _at(date(2026, 4, 15)):
        assert article_review_reminders_send().overdue == []
        assert not review_overdue().exists()
        assert list(review_due_soon()) == [article]
    with _at(date(2026, 4, 16)):
        assert article_review_reminders_send().overdue == [article.number]
        assert list(review_overdue()) == [article]
    with _at(date(2026, 4, 20)):
        assert article_review_reminders_send().overdue == []
    told = Notification.objects.filter(event="knowledge_review_overdue")
    assert list(told.values_list("user__email", flat=True)) == [knowledge_manager.email]


def test_a_review_starts_a_new_cycle_with_its_own_reminder(agent, knowledge_manager):
    article = _published_on(date(2026, 1, 15), agent, knowledge_manager)
    with _at(date(2026, 4, 2)):
        article_review_reminders_send()
        article_review_no_change(actor=agent, article=article)
    article.refresh_from_db()
    assert article.next_review_on == date(2026, 7, 2)
    with _at(date(2026, 6, 18)):
        assert article_review_reminders_send().reminded == [article.number]
    assert _reminders(agent).count() == 2


def test_the_daily_task_runs_the_sweep(agent, knowledge_manager):
    _published_on(date(2026, 1, 15), agent, knowledge_manager)
    with _at(date(2026, 4, 20)):
        assert article_review_reminders_task() == {"reminded": 0, "overdue": 1}


def test_the_task_is_scheduled_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["knowledge-review-reminders"]
    assert entry["task"] == "knowledge.tasks.article_review_reminders_task"
    assert entry["schedule"].hour == {7}
