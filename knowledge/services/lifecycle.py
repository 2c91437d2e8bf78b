"""Retiring and reinstating an article, and the named approvers of a controlled document (§12)."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from core.errors import TransitionNotAllowed, ValidationFailed

from ..models import (
    Article,
    ArticleApprover,
    ArticleAuditEntry,
    ArticleVersion,
)
from .rules import (
    COMMENT_MAX_CHARS,
    _lock,
    _require_manager,
    _review_state,
    audit,
    next_review_date,
)

# --- retiring, reinstating, approvers ---------------------------------------------------------


def article_retire(*, actor, article: Article, reason: str) -> Article:
    """Take an article out of the knowledge base (§11): readers no longer find it; its
    versions are kept. The reason is mandatory and goes in the audit trail."""
    _require_manager(actor, "retire an article")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the article is retired.",
            field_errors={"reason": ["A reason is required."]},
        )
    if len(reason) > COMMENT_MAX_CHARS:
        raise ValidationFailed(
            f"Keep the reason to {COMMENT_MAX_CHARS:,} characters.",
            field_errors={"reason": [f"Keep it to {COMMENT_MAX_CHARS:,} characters."]},
        )
    with transaction.atomic():
        article = _lock(article)
        if article.state == Article.State.RETIRED:
            raise TransitionNotAllowed(f"{article.number} is already retired.")
        article.state = Article.State.RETIRED
        article.retired_at = timezone.now()
        article.save(update_fields=["state", "retired_at", "updated_at"])
        review_state = _review_state(article)
        review_state.retired_reason = reason
        review_state.save(update_fields=["retired_reason"])
        audit(article=article, action=ArticleAuditEntry.Action.RETIRED, actor=actor, detail=reason)
    return article


def article_reinstate(*, actor, article: Article, reason: str) -> Article:
    """Bring a retired article back: published again if it had a published version (with a
    fresh three-month review date), otherwise back to draft."""
    _require_manager(actor, "reinstate an article")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the article is reinstated.",
            field_errors={"reason": ["A reason is required."]},
        )
    with transaction.atomic():
        article = _lock(article)
        if article.state != Article.State.RETIRED:
            raise TransitionNotAllowed(f"{article.number} is not retired.")
        published = article.versions.filter(state=ArticleVersion.State.PUBLISHED).exists()
        article.state = Article.State.PUBLISHED if published else Article.State.DRAFT
        article.retired_at = None
        if published:
            article.next_review_on = next_review_date()
        article.save(update_fields=["state", "retired_at", "next_review_on", "updated_at"])
        audit(
            article=article, action=ArticleAuditEntry.Action.REINSTATED, actor=actor, detail=reason
        )
    return article


def article_governance_set(
    *, actor, article: Article, is_controlled_document: bool, approvers: Iterable
) -> Article:
    """Mark an article as a controlled document (§12) and name its approvers; every named
    approver then approves each version before it is published."""
    _require_manager(actor, "change who approves an article")
    approvers = list(approvers or ())
    errors = []
    for user in approvers:
        if not (user.is_active and user.is_staff):
            errors.append(f"{user} is not active staff and cannot approve articles.")
    if is_controlled_document and not approvers:
        errors.append("A controlled document needs at least one named approver.")
    if errors:
        raise ValidationFailed(" ".join(errors), field_errors={"approvers": errors})
    with transaction.atomic():
        article = _lock(article)
        in_review = article.versions.filter(state=ArticleVersion.State.IN_REVIEW).first()
        if in_review is not None:
            raise TransitionNotAllowed(
                f"Version {in_review.label} is being reviewed; change the approvers after it "
                "is decided."
            )
        article.is_controlled_document = is_controlled_document
        article.save(update_fields=["is_controlled_document", "updated_at"])
        wanted = {user.pk for user in approvers} if is_controlled_document else set()
        article.approvers.exclude(user_id__in=wanted).delete()
        existing = set(article.approvers.values_list("user_id", flat=True))
        ArticleApprover.objects.bulk_create(
            [ArticleApprover(article=article, user_id=pk) for pk in wanted - existing]
        )
        names = ", ".join(sorted(str(user) for user in approvers if user.pk in wanted))
        detail = (
            f"Controlled document; approvers: {names}."
            if is_controlled_document
            else "Not a controlled document; no named approvers."
        )
        audit(
            article=article, action=ArticleAuditEntry.Action.APPROVERS, actor=actor, detail=detail
        )
    return article
