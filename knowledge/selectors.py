"""Who may read which article (§11): readers see published articles of their audience only."""

from django.db.models import QuerySet

from .models import Article


def readable_audiences(user) -> list[str]:
    """Public for everyone; signed-in articles for any signed-in user; staff-only articles for
    staff who hold `knowledge.view_internal_article`."""
    audiences = [Article.Audience.PUBLIC]
    if user is not None and user.is_authenticated and user.is_active:
        audiences.append(Article.Audience.SIGNED_IN)
        if user.is_staff and user.has_perm("knowledge.view_internal_article"):
            audiences.append(Article.Audience.STAFF)
    return audiences


def articles_readable_by(user) -> QuerySet[Article]:
    """Published articles this user may read, newest first."""
    return Article.objects.filter(
        state=Article.State.PUBLISHED, audience__in=readable_audiences(user)
    )


def article_readable_get(user, number: str) -> Article:
    """The published article `number` if this user may read it, with its category and
    services loaded; `Article.DoesNotExist` otherwise — the same answer whether the article
    does not exist or is not for this reader, so a staff-only title is never revealed."""
    return (
        articles_readable_by(user)
        .select_related("category")
        .prefetch_related("services")
        .get(number=str(number or "").strip().upper())
    )
