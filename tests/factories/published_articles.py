"""Published knowledge articles for the reading side's tests (search, portal pages, API).

Written as publishing leaves them: the article with its published content and version 1.0,
and that version's row marked published. (Authoring and approval have their own services and
tests; these only need something to read.)
"""

import itertools
from datetime import timedelta

from django.utils import timezone

from accounts import roles
from knowledge.models import Article, ArticleVersion
from tests.factories.accounts import UserFactory

_numbers = itertools.count(1)


def article_owner():
    user = UserFactory(is_staff=True, roles=[roles.KNOWLEDGE_MANAGER])
    return user


def published_article(
    *,
    title: str = "How to read a settlement report",
    body: str = "Open the report and check each period.",
    summary: str = "",
    audience: str = Article.Audience.SIGNED_IN,
    owner=None,
    category=None,
    services=(),
    published_at=None,
    state: str = Article.State.PUBLISHED,
) -> Article:
    owner = owner or article_owner()
    published_at = published_at or timezone.now()
    article = Article.objects.create(
        number=f"KB{next(_numbers):07d}",
        title=title,
        body=body,
        summary=summary,
        audience=audience,
        owner=owner,
        category=category,
        state=state,
        version_major=1,
        version_minor=0,
        published_at=published_at,
        next_review_on=(published_at + timedelta(days=91)).date(),
    )
    if services:
        article.services.set(services)
    ArticleVersion.objects.create(
        article=article,
        major=1,
        minor=0,
        title=title,
        body=body,
        summary=summary,
        change_summary="First version",
        state=ArticleVersion.State.PUBLISHED,
        author=owner,
        published_at=published_at,
    )
    return article
