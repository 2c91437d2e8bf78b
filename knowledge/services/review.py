"""Review, approval and publishing (§12): sending a version for review, a knowledge manager's or
every named approver's approval, returning it to its author, and the ".x" review."""

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from comms import notifications
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed

from ..models import (
    REVIEWED_NO_CHANGE_COMMENT,
    Article,
    ArticleApproval,
    ArticleAuditEntry,
    ArticleVersion,
    ArticleVersionMetadata,
)
from .rules import (
    COMMENT_MAX_CHARS,
    EDITABLE_VERSION_STATES,
    _is_staff,
    _lock,
    _lock_version,
    _require_manager,
    _set_metadata,
    audit,
    is_named_approver,
    knowledge_managers,
    may_edit_version,
    may_review,
    next_review_date,
)

# --- review and approval ---------------------------------------------------------------------


def article_submit(*, actor, version: ArticleVersion) -> ArticleVersion:
    """Send a draft for review: to the knowledge managers, or for a controlled document to
    its named approvers (§12)."""
    with transaction.atomic():
        version = _lock_version(version)
        article = version.article
        if not may_edit_version(actor, version):
            raise ActionNotPermitted(
                "Only the version's author or a knowledge manager can send it for review."
            )
        if version.state not in EDITABLE_VERSION_STATES:
            raise TransitionNotAllowed(
                f"Version {version.label} is {version.get_state_display().lower()}; only a "
                "draft is sent for review."
            )
        if article.state == Article.State.RETIRED:
            raise TransitionNotAllowed(f"{article.number} is retired; reinstate it first.")
        if not version.change_summary.strip():
            raise ValidationFailed(
                "Say what changed and why before sending it for review.",
                field_errors={"change_summary": ["A change summary is required."]},
            )
        if article.is_controlled_document and not article.approvers.exists():
            raise TransitionNotAllowed(
                f"{article.number} is a controlled document with no named approvers; a "
                "knowledge manager names them first."
            )
        version.state = ArticleVersion.State.IN_REVIEW
        version.submitted_at = timezone.now()
        version.save(update_fields=["state", "submitted_at"])
        # A resubmitted version is decided afresh.
        version.approvals.all().delete()
        if article.state == Article.State.DRAFT:
            article.state = Article.State.IN_REVIEW
            article.save(update_fields=["state", "updated_at"])
        audit(
            article=article,
            action=ArticleAuditEntry.Action.SUBMITTED,
            actor=actor,
            version=version,
            detail=version.change_summary,
        )
        if article.is_controlled_document:
            deciders = [approver.user for approver in article.approvers.select_related("user")]
        else:
            deciders = list(knowledge_managers())
        notifications.knowledge_approval_requested(
            number=article.number,
            version=version.label,
            recipients=[user for user in deciders if user.pk != actor.pk],
            link=article_console_link(article),
        )
    return version


def _require_in_review(version: ArticleVersion) -> None:
    if version.state != ArticleVersion.State.IN_REVIEW:
        raise TransitionNotAllowed(
            f"Version {version.label} of {version.article.number} is "
            f"{version.get_state_display().lower()}, not waiting for review."
        )


def _require_decider(actor, version: ArticleVersion) -> None:
    article = version.article
    if article.is_controlled_document:
        if not (_is_staff(actor) and is_named_approver(actor, article)):
            raise ActionNotPermitted(
                f"{article.number} is a controlled document: only its named approvers decide "
                "on a version."
            )
        if version.approvals.filter(approver=actor).exists():
            raise TransitionNotAllowed(f"You have already decided on version {version.label}.")
    else:
        _require_manager(actor, "approve or return a version")


def pending_approvers(version: ArticleVersion) -> list:
    """The named approvers of a controlled document who have not yet approved `version`."""
    approved = set(
        version.approvals.filter(decision=ArticleApproval.Decision.APPROVED).values_list(
            "approver_id", flat=True
        )
    )
    return [
        approver.user
        for approver in version.article.approvers.select_related("user")
        if approver.user_id not in approved
    ]


def article_approve(*, actor, version: ArticleVersion, comment: str = "") -> ArticleVersion:
    """Approve a version in review. A knowledge manager's approval publishes it; for a
    controlled document each named approver's approval is recorded, and the version is
    published when the last of them approves (§12)."""
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_CHARS:
        raise ValidationFailed(
            f"Keep the comment to {COMMENT_MAX_CHARS:,} characters.",
            field_errors={"comment": [f"Keep it to {COMMENT_MAX_CHARS:,} characters."]},
        )
    with transaction.atomic():
        version = _lock_version(version)
        article = version.article
        _require_in_review(version)
        _require_decider(actor, version)
        if article.state == Article.State.RETIRED:
            raise TransitionNotAllowed(f"{article.number} is retired; reinstate it first.")
        if article.is_controlled_document:
            ArticleApproval.objects.create(
                version=version,
                approver=actor,
                decision=ArticleApproval.Decision.APPROVED,
                comment=comment,
            )
            audit(
                article=article,
                action=ArticleAuditEntry.Action.APPROVED,
                actor=actor,
                version=version,
                detail=comment,
            )
            if pending_approvers(version):
                return version
        else:
            audit(
                article=article,
                action=ArticleAuditEntry.Action.APPROVED,
                actor=actor,
                version=version,
                detail=comment,
            )
        version.decided_by, version.decided_at = actor, timezone.now()
        version.decision_comment = comment
        _publish(version, actor=actor)
    return version


def article_reject(*, actor, version: ArticleVersion, comment: str) -> ArticleVersion:
    """Return a version in review to its author with a comment; they edit and resubmit it."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(
            "Tell the author what to change.",
            field_errors={"comment": ["A comment is required to return a version."]},
        )
    if len(comment) > COMMENT_MAX_CHARS:
        raise ValidationFailed(
            f"Keep the comment to {COMMENT_MAX_CHARS:,} characters.",
            field_errors={"comment": [f"Keep it to {COMMENT_MAX_CHARS:,} characters."]},
        )
    with transaction.atomic():
        version = _lock_version(version)
        article = version.article
        _require_in_review(version)
        _require_decider(actor, version)
        if article.is_controlled_document:
            ArticleApproval.objects.create(
                version=version,
                approver=actor,
                decision=ArticleApproval.Decision.REJECTED,
                comment=comment,
            )
        version.state = ArticleVersion.State.REJECTED
        version.decided_by, version.decided_at = actor, timezone.now()
        version.decision_comment = comment
        version.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
        if article.state == Article.State.IN_REVIEW:
            article.state = Article.State.DRAFT
            article.save(update_fields=["state", "updated_at"])
        audit(
            article=article,
            action=ArticleAuditEntry.Action.REJECTED,
            actor=actor,
            version=version,
            detail=comment,
        )
        notifications.knowledge_version_returned(
            number=article.number,
            version=version.label,
            author=version.author,
            link=article_console_link(article),
        )
    return version


def article_console_link(article: Article) -> str:
    return reverse("admin:knowledge_article_change", args=[article.pk])


def _publish(version: ArticleVersion, *, actor) -> None:
    """Make `version` the article's published content (inside the caller's transaction)."""
    article = version.article
    now = timezone.now()
    article.versions.filter(state=ArticleVersion.State.PUBLISHED).exclude(pk=version.pk).update(
        state=ArticleVersion.State.SUPERSEDED
    )
    version.state = ArticleVersion.State.PUBLISHED
    version.published_at = now
    version.save()
    article.title, article.body, article.summary = version.title, version.body, version.summary
    meta = ArticleVersionMetadata.objects.filter(version=version).first()
    if meta is not None:
        article.category_id, article.audience = meta.category_id, meta.audience
        article.services.set(list(meta.services.all()))
    article.version_major, article.version_minor = version.major, version.minor
    article.state = Article.State.PUBLISHED
    article.published_at = now
    article.next_review_on = next_review_date()
    article.retired_at = None
    article.save()
    audit(
        article=article,
        action=ArticleAuditEntry.Action.PUBLISHED,
        actor=actor,
        version=version,
        detail=version.change_summary,
    )
    if article.is_controlled_document:
        stakeholders = [article.owner, version.author]
        stakeholders += [approver.user for approver in article.approvers.select_related("user")]
        notifications.knowledge_controlled_document_published(
            number=article.number,
            version=version.label,
            recipients=stakeholders,
            link=article_console_link(article),
        )


def article_review_no_change(*, actor, article: Article, comment: str = "") -> ArticleVersion:
    """§12: the owner reviewed the article and nothing needs changing — a ".x" version
    (1.0 → 1.1) with the same content and the comment "Document Reviewed – no further changes
    required" is published, and the next review moves three months on."""
    comment = (comment or "").strip()
    with transaction.atomic():
        article = _lock(article)
        if not may_review(actor, article):
            raise ActionNotPermitted(
                "Only the article's owner or a knowledge manager records its review."
            )
        if article.state != Article.State.PUBLISHED:
            raise TransitionNotAllowed(
                f"{article.number} is {article.get_state_display().lower()}; only a published "
                "article is reviewed."
            )
        current = article.versions.filter(state=ArticleVersion.State.PUBLISHED).first()
        if current is None:
            raise TransitionNotAllowed(f"{article.number} has no published version to review.")
        minor = (
            article.versions.filter(major=current.major).aggregate(top=Max("minor"))["top"] or 0
        ) + 1
        version = ArticleVersion.objects.create(
            article=article,
            major=current.major,
            minor=minor,
            title=current.title,
            body=current.body,
            summary=current.summary,
            change_summary=REVIEWED_NO_CHANGE_COMMENT,
            state=ArticleVersion.State.IN_REVIEW,
            author=actor,
            submitted_at=timezone.now(),
            decided_by=actor,
            decided_at=timezone.now(),
            decision_comment=comment,
        )
        _set_metadata(
            version,
            category=article.category,
            services=list(article.services.all()),
            audience=article.audience,
        )
        audit(
            article=article,
            action=ArticleAuditEntry.Action.REVIEWED,
            actor=actor,
            version=version,
            detail=REVIEWED_NO_CHANGE_COMMENT + (f". {comment}" if comment else ""),
        )
        version.article = article
        _publish(version, actor=actor)
    return version
