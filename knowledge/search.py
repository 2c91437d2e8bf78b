"""Knowledge search (§11.1, §11.2.2): ranked matches among the articles a user may read.

`article_search` is the one entry point for the portal, the console, the raise-case
suggestions and the API. This version works on any database: a title match ranks above a
summary match, which ranks above a body match.
"""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Q, Value, When

from .models import Article
from .selectors import articles_readable_by

MAX_QUERY_CHARS = 200


@dataclass(frozen=True)
class ArticleHit:
    article: Article
    rank: float
    snippet: str


def _snippet(text: str, words: list[str], width: int = 160) -> str:
    lowered = text.lower()
    at = min((lowered.find(w) for w in words if w in lowered), default=-1)
    start = max(0, at - width // 3) if at >= 0 else 0
    piece = text[start : start + width].strip()
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def article_search(user, query: str, *, limit: int = 20) -> list[ArticleHit]:
    """Published articles readable by `user` matching every word of `query`, best first."""
    words = [w.lower() for w in (query or "")[:MAX_QUERY_CHARS].split() if w.strip()]
    if not words:
        return []
    matches = Q()
    title_rank = Q()
    for word in words:
        matches &= Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        title_rank &= Q(title__icontains=word)
    ranked = (
        articles_readable_by(user)
        .filter(matches)
        .annotate(
            rank=Case(
                When(title_rank, then=Value(3)),
                When(Q(summary__icontains=words[0]), then=Value(2)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("-rank", "-published_at", "-id")[:limit]
    )
    return [
        ArticleHit(article=a, rank=float(a.rank), snippet=_snippet(a.summary or a.body, words))
        for a in ranked
    ]
