"""Knowledge articles that meet a case (§11.2.2): those suggested while the raiser wrote its
subject (self-help), and those an agent attaches to a reply to the caller. Both are recorded as
`CaseArticleLink` rows for the deflection and knowledge usage reports.

Article ids come from a hidden field or a button: anything that is not the id of an article
the person may read is dropped (`knowledge.self_help.readable_article_ids`), never an error.
"""

from datetime import date

from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from knowledge.models import Article, SuggestionImpression
from knowledge.self_help import readable_article_ids

from .models import Case, CaseArticleLink


def case_suggestions_record(*, case: Case, actor, shown, opened=()) -> list[CaseArticleLink]:
    """The articles suggested to `actor` while raising `case` (`shown`), and which of them
    they opened (`opened`, counted only among those shown)."""
    shown_ids = readable_article_ids(actor, shown)
    if not shown_ids:
        return []
    opened_ids = set(readable_article_ids(actor, opened)) & set(shown_ids)
    links = [
        CaseArticleLink(
            case=case,
            article_id=pk,
            kind=CaseArticleLink.Kind.SUGGESTED,
            opened=pk in opened_ids,
            added_by=actor,
        )
        for pk in shown_ids
    ]
    with transaction.atomic():
        CaseArticleLink.objects.bulk_create(links, ignore_conflicts=True)
    return links


def case_reply_articles_record(*, case: Case, actor, article_ids) -> list[CaseArticleLink]:
    """Articles an agent attached to a reply sent to the caller (knowledge usage)."""
    ids = readable_article_ids(actor, article_ids)
    if not ids:
        return []
    links = [
        CaseArticleLink(
            case=case, article_id=pk, kind=CaseArticleLink.Kind.ATTACHED, added_by=actor
        )
        for pk in ids
    ]
    with transaction.atomic():
        CaseArticleLink.objects.bulk_create(links, ignore_conflicts=True)
    return links


def _count_per_article(queryset):
    """How many rows of `queryset` (filtered on `article_id=OuterRef("pk")`) an article has."""
    return Coalesce(
        Subquery(
            queryset.order_by().values("article_id").annotate(n=Count("id")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def deflection_articles(
    *, since: date | None = None, until: date | None = None, query: str = ""
) -> QuerySet[Article]:
    """Articles suggested while raising a case in the period (both dates included), most
    suggested first, annotated with `suggested` (the user-days it was shown), `opened` (of
    those, how many were followed) and `cases_raised` (cases raised anyway after it was
    suggested). Each count is a subquery by article, so no join multiplies another."""
    impressions = SuggestionImpression.objects.filter(article_id=OuterRef("pk"))
    links = CaseArticleLink.objects.filter(
        article_id=OuterRef("pk"), kind=CaseArticleLink.Kind.SUGGESTED
    )
    if since:
        impressions = impressions.filter(day__gte=since)
        links = links.filter(recorded_at__date__gte=since)
    if until:
        impressions = impressions.filter(day__lte=until)
        links = links.filter(recorded_at__date__lte=until)
    articles = Article.objects.all()
    for word in (query or "").split()[:10]:
        articles = articles.filter(Q(number__icontains=word) | Q(title__icontains=word))
    return (
        articles.annotate(
            suggested=_count_per_article(impressions),
            opened=_count_per_article(impressions.filter(opened=True)),
            cases_raised=_count_per_article(links),
        )
        .filter(Q(suggested__gt=0) | Q(cases_raised__gt=0))
        .order_by("-suggested", "-cases_raised", "number")
    )
