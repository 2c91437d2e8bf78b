"""Shared by the knowledge services: limits, UK dates of the review cycle (§12), who may do what, and
the audit trail's writer."""

import calendar
from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts import roles
from core.errors import ActionNotPermitted

from ..models import (
    REVIEW_CYCLE_MONTHS,
    Article,
    ArticleAuditEntry,
    ArticleReviewState,
    ArticleVersion,
    ArticleVersionMetadata,
)

NUMBER_PREFIX = "KB"
TITLE_MAX_CHARS = 200
SUMMARY_MAX_CHARS = 300
CHANGE_SUMMARY_MAX_CHARS = 500
BODY_MAX_CHARS = 100_000
COMMENT_MAX_CHARS = 4_000

# A version still being worked on: at most one per article.
OPEN_VERSION_STATES = (
    ArticleVersion.State.DRAFT,
    ArticleVersion.State.REJECTED,
    ArticleVersion.State.IN_REVIEW,
)
EDITABLE_VERSION_STATES = (ArticleVersion.State.DRAFT, ArticleVersion.State.REJECTED)


# --- dates -----------------------------------------------------------------------------------


def uk_today() -> date:
    """Today's date in the UK (the review cycle counts UK calendar days)."""
    return timezone.localdate()


def months_after(start: date, months: int) -> date:
    """The same day `months` calendar months later, or the month's last day if it has none
    (31 Nov → 30 Nov)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def next_review_date(today: date | None = None) -> date:
    """§12: every published article is reviewed every three months."""
    return months_after(today or uk_today(), REVIEW_CYCLE_MONTHS)


# --- permissions -----------------------------------------------------------------------------


def _is_staff(actor) -> bool:
    return bool(actor and actor.is_authenticated and actor.is_active and actor.is_staff)


def may_author(actor) -> bool:
    return _is_staff(actor) and actor.has_perm("knowledge.add_articleversion")


def may_approve(actor) -> bool:
    """A knowledge manager: approves and publishes, retires, reinstates, names approvers."""
    return _is_staff(actor) and actor.has_perm("knowledge.approve_article")


def may_edit_version(actor, version: ArticleVersion) -> bool:
    """The version's author, or a knowledge manager (`knowledge.change_articleversion`)."""
    if not may_author(actor):
        return False
    return version.author_id == actor.pk or actor.has_perm("knowledge.change_articleversion")


def may_review(actor, article: Article) -> bool:
    """The owner reviews their article (§12); a knowledge manager may too."""
    return may_author(actor) and (article.owner_id == actor.pk or may_approve(actor))


def is_named_approver(actor, article: Article) -> bool:
    return bool(actor and actor.is_authenticated and article.approvers.filter(user=actor).exists())


def _require_author(actor) -> None:
    if not may_author(actor):
        raise ActionNotPermitted("Only service desk staff can write knowledge articles.")


def _require_manager(actor, action: str) -> None:
    if not may_approve(actor):
        raise ActionNotPermitted(f"Only a knowledge manager can {action}.")


def knowledge_managers():
    """Active staff holding the Knowledge manager role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=roles.KNOWLEDGE_MANAGER)
        .distinct()
        .order_by("email")
    )


# --- shared steps ----------------------------------------------------------------------------


def audit(*, article: Article, action: str, actor, version=None, detail: str = ""):
    return ArticleAuditEntry.objects.create(
        article=article, version=version, actor=actor, action=action, detail=detail
    )


def _clean_content(
    *, title: str, body: str, summary: str, change_summary: str, audience: str
) -> tuple[dict, dict[str, list[str]]]:
    cleaned = {
        "title": (title or "").strip(),
        "body": (body or "").strip(),
        "summary": (summary or "").strip(),
        "change_summary": (change_summary or "").strip(),
    }
    errors: dict[str, list[str]] = {}
    if not cleaned["title"]:
        errors["title"] = ["Give the article a title."]
    elif len(cleaned["title"]) > TITLE_MAX_CHARS:
        errors["title"] = [f"Keep the title to {TITLE_MAX_CHARS} characters."]
    if not cleaned["body"]:
        errors["body"] = ["Write the article's text."]
    elif len(cleaned["body"]) > BODY_MAX_CHARS:
        errors["body"] = [f"Keep the text to {BODY_MAX_CHARS:,} characters."]
    if len(cleaned["summary"]) > SUMMARY_MAX_CHARS:
        errors["summary"] = [f"Keep the summary to {SUMMARY_MAX_CHARS} characters."]
    if not cleaned["change_summary"]:
        errors["change_summary"] = ["Say what changed and why; it goes in the audit trail."]
    elif len(cleaned["change_summary"]) > CHANGE_SUMMARY_MAX_CHARS:
        errors["change_summary"] = [
            f"Keep the change summary to {CHANGE_SUMMARY_MAX_CHARS} characters."
        ]
    if audience not in Article.Audience.values:
        errors["audience"] = ["Choose who may read the article."]
    return cleaned, errors


def _set_metadata(version: ArticleVersion, *, category, services, audience: str) -> None:
    meta, _ = ArticleVersionMetadata.objects.update_or_create(
        version=version, defaults={"category": category, "audience": audience}
    )
    meta.services.set(list(services or ()))


def open_version(article: Article) -> ArticleVersion | None:
    """The article's draft, returned or in-review version, if it has one."""
    return article.versions.filter(state__in=OPEN_VERSION_STATES).first()


def _lock(article: Article) -> Article:
    return Article.objects.select_for_update().get(pk=article.pk)


def _lock_version(version: ArticleVersion) -> ArticleVersion:
    return ArticleVersion.objects.select_for_update().select_related("article").get(pk=version.pk)


def _review_state(article: Article) -> ArticleReviewState:
    state, _ = ArticleReviewState.objects.get_or_create(article=article)
    return state
