"""Writes on knowledge articles (§11, §12): drafting, review and approval, publishing, the
".x" review without change, retiring and reinstating, and the named approvers of controlled
documents (the operations manual).

The rules:
- A new article starts as a draft of version 1.0. Editing a published article makes a new
  draft of the next major version (1.0 → 2.0) while the published one stays live; only one
  version of an article is open (draft, returned or in review) at a time.
- A version is sent for review with a change summary (what changed and why, §12), and is
  published when a knowledge manager approves it — or, for a controlled document, when every
  named approver has approved it. Publishing copies the version onto the article, supersedes
  the version published before it and sets the next review three calendar months ahead (§12).
- A review without changes issues a ".x" version (1.0 → 1.1) with the §12 comment
  `REVIEWED_NO_CHANGE_COMMENT`, and moves the next review on.
- Every step is written to the article's audit trail: who, what, which version, why, when.

Every service takes the `actor`, checks their permission and raises a `core.errors` domain
error in plain words when the step is not allowed.
"""

import calendar
from collections.abc import Iterable
from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from comms import notifications
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.services import ticket_number_allocate

from .models import (
    REVIEW_CYCLE_MONTHS,
    REVIEWED_NO_CHANGE_COMMENT,
    Article,
    ArticleApproval,
    ArticleApprover,
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


# --- drafting --------------------------------------------------------------------------------


def article_create(
    *,
    actor,
    title: str,
    body: str,
    change_summary: str,
    summary: str = "",
    category=None,
    services: Iterable = (),
    audience: str = Article.Audience.SIGNED_IN,
    owner=None,
) -> Article:
    """A new article (KB…) with its first draft, version 1.0 once published (§12)."""
    _require_author(actor)
    cleaned, errors = _clean_content(
        title=title,
        body=body,
        summary=summary,
        change_summary=change_summary,
        audience=audience,
    )
    if owner is not None and not (owner.is_active and owner.is_staff):
        errors["owner"] = ["The owner must be an active member of staff."]
    if errors:
        raise ValidationFailed(
            "The article could not be created; check the highlighted fields.", field_errors=errors
        )
    services = list(services or ())
    with transaction.atomic():
        article = Article.objects.create(
            number=ticket_number_allocate(prefix=NUMBER_PREFIX),
            title=cleaned["title"],
            body=cleaned["body"],
            summary=cleaned["summary"],
            category=category,
            owner=owner or actor,
            audience=audience,
            state=Article.State.DRAFT,
        )
        article.services.set(services)
        version = ArticleVersion.objects.create(
            article=article, major=1, minor=0, author=actor, **cleaned
        )
        _set_metadata(version, category=category, services=services, audience=audience)
        audit(
            article=article,
            action=ArticleAuditEntry.Action.CREATED,
            actor=actor,
            version=version,
            detail=cleaned["change_summary"],
        )
    return article


def article_version_draft(
    *,
    actor,
    article: Article,
    title: str,
    body: str,
    change_summary: str,
    summary: str = "",
    category=None,
    services: Iterable = (),
    audience: str | None = None,
) -> ArticleVersion:
    """Edit a published article (§12): a new draft of the next major version (1.0 → 2.0);
    the published version stays live until the new one is approved. An article has one open
    version at a time, so an existing draft is edited instead (`article_draft_update`)."""
    _require_author(actor)
    audience = audience or article.audience
    cleaned, errors = _clean_content(
        title=title,
        body=body,
        summary=summary,
        change_summary=change_summary,
        audience=audience,
    )
    if errors:
        raise ValidationFailed(
            "The new version could not be saved; check the highlighted fields.",
            field_errors=errors,
        )
    services = list(services or ())
    with transaction.atomic():
        article = _lock(article)
        if article.state == Article.State.RETIRED:
            raise TransitionNotAllowed(
                f"{article.number} is retired; a knowledge manager reinstates it before it is "
                "edited."
            )
        current = open_version(article)
        if current is not None:
            raise TransitionNotAllowed(
                f"{article.number} already has version {current.label} "
                f"({current.get_state_display().lower()}); work on that one instead."
            )
        top = article.versions.aggregate(top=Max("major"))["top"] or 0
        version = ArticleVersion.objects.create(
            article=article, major=top + 1, minor=0, author=actor, **cleaned
        )
        _set_metadata(version, category=category, services=services, audience=audience)
        audit(
            article=article,
            action=ArticleAuditEntry.Action.EDITED,
            actor=actor,
            version=version,
            detail=cleaned["change_summary"],
        )
    return version


def article_draft_update(
    *,
    actor,
    version: ArticleVersion,
    title: str,
    body: str,
    change_summary: str,
    summary: str = "",
    category=None,
    services: Iterable = (),
    audience: str,
) -> ArticleVersion:
    """Edit a draft, or a version returned to its author; a returned version becomes a draft
    again. A version in review or already published is not edited: that is a new version."""
    cleaned, errors = _clean_content(
        title=title,
        body=body,
        summary=summary,
        change_summary=change_summary,
        audience=audience,
    )
    with transaction.atomic():
        version = _lock_version(version)
        article = version.article
        if not may_edit_version(actor, version):
            raise ActionNotPermitted(
                "Only the version's author or a knowledge manager can edit it."
            )
        if version.state not in EDITABLE_VERSION_STATES:
            raise TransitionNotAllowed(
                f"Version {version.label} of {article.number} is "
                f"{version.get_state_display().lower()}; only a draft can be edited."
            )
        if article.state == Article.State.RETIRED:
            raise TransitionNotAllowed(f"{article.number} is retired; reinstate it first.")
        if errors:
            raise ValidationFailed(
                "The draft could not be saved; check the highlighted fields.",
                field_errors=errors,
            )
        for field, value in cleaned.items():
            setattr(version, field, value)
        version.state = ArticleVersion.State.DRAFT
        version.save()
        _set_metadata(version, category=category, services=services, audience=audience)
        if article.state == Article.State.DRAFT:
            # Never published: the list shows the draft's title and text.
            article.title, article.summary, article.body = (
                version.title,
                version.summary,
                version.body,
            )
            article.category, article.audience = category, audience
            article.save(
                update_fields=["title", "summary", "body", "category", "audience", "updated_at"]
            )
            article.services.set(list(services or ()))
        audit(
            article=article,
            action=ArticleAuditEntry.Action.EDITED,
            actor=actor,
            version=version,
            detail=cleaned["change_summary"],
        )
    return version


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
            detail=f"{REVIEWED_NO_CHANGE_COMMENT}. {comment}".strip()
            if comment
            else REVIEWED_NO_CHANGE_COMMENT,
        )
        version.article = article
        _publish(version, actor=actor)
    return version


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
