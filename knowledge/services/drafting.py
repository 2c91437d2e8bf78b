"""Writing articles and their drafts (§11, §12): a new article, the next major version of a
published one, and editing a draft."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.services import ticket_number_allocate

from ..models import (
    Article,
    ArticleAuditEntry,
    ArticleVersion,
)
from .rules import (
    EDITABLE_VERSION_STATES,
    NUMBER_PREFIX,
    _clean_content,
    _lock,
    _lock_version,
    _require_author,
    _set_metadata,
    audit,
    may_edit_version,
    open_version,
)

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
