"""Knowledge search (§11.1, §11.2.2): ranked matches among the articles a user may read.

`article_search` is the one entry point for the portal, the console, the raise-case
suggestions and the API; `article_search_queryset` and `article_hits` are its two halves, for
a list that pages through the matches (the portal's search page, the API).

On PostgreSQL: full-text search over the stored, weighted `search_vector` (title A, summary B,
body C; migration 0004) with `websearch_to_tsquery('english', …)`, read through its GIN index;
a title match ranks above a summary match above a match in the body alone, each ordered by
`ts_rank_cd` over the title and summary (`lead_vector`, migration 0005), body-only matches
newest first; `ts_headline` snippets. A short query that finds nothing is tried again against titles by trigram word
similarity (pg_trgm), so "setlement" still finds "Settlement".

On any other database (SQLite in development and tests): every word must appear in the title,
summary or body; a title match ranks above a summary match, which ranks above a body match.

Either way only published articles of the reader's audience are searched
(`selectors.articles_readable_by`), and a snippet is HTML-escaped text in which only the
search's own `<mark>` tags are markup.
"""

import html as html_lib
import re
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Case, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from markupsafe import Markup

from .models import Article
from .selectors import articles_readable_by

MAX_QUERY_CHARS = 200
MAX_LIMIT = 100
# A query of at most this many words and characters is retried by trigram similarity on
# titles when full-text search finds nothing (typo tolerance for short queries).
FUZZY_MAX_WORDS = 3
FUZZY_MAX_CHARS = 40
SNIPPET_CHARS = 200
# On PostgreSQL at most this many title-or-summary matches and this many matches anywhere are
# ranked, so a query matching tens of thousands of articles costs the same as one matching a
# few hundred (issue 12: under 50 ms at p95 over 100,000 articles); a search matching more
# lists at most 400 of them, and more words narrow it. Below the cap every match is ranked.
CANDIDATES_EACH = 200
# Typo tolerance is for words, not for one or two letters ("a", "to").
FUZZY_MIN_CHARS = 4

# ts_headline marks matches with these private-use characters; the text is then escaped and
# only they become <mark> tags. Any already in an article are removed before ts_headline runs.
_START, _STOP = "\ue000", "\ue001"
_HEADLINE_OPTIONS = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, ShortWord=3, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)
# Markdown punctuation that reads as noise in a one-line snippet.
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_NOISE = re.compile(r"(^|\s)(?:#{1,6}|>)(?=\s)|\*{1,3}|`+|\|")

_QUERY = "websearch_to_tsquery('english'::regconfig, %s)"
_MATCHES = f"knowledge_article.search_vector @@ {_QUERY}"
_LEAD_MATCHES = f"knowledge_article.lead_vector @@ {_QUERY}"
# Rank in bands: a title match (2 + …) above a summary match (1 + …) above a body-only match
# (0, newest first), each band ordered by ts_rank_cd over the small title-and-summary vector
# (migration 0005): ranking over the whole vector would read every matching body's vector.
_LEAD = "knowledge_article.lead_vector"
_RANK = (
    f"(CASE WHEN ts_filter({_LEAD}, '{{a}}') @@ {_QUERY} THEN 2.0"
    f" WHEN {_LEAD} @@ {_QUERY} THEN 1.0 ELSE 0.0 END"
    f" + ts_rank_cd({_LEAD}, {_QUERY}) / (1 + ts_rank_cd({_LEAD}, {_QUERY})))"
)


@dataclass(frozen=True)
class ArticleHit:
    """One match: the article, its rank (higher is better), a plain-text snippet and the same
    snippet as safe HTML with the matched words in `<mark>`."""

    article: Article
    rank: float
    snippet: str
    snippet_html: Markup = field(default_factory=Markup)
    fuzzy: bool = False


def normalise_query(query) -> str:
    """The query as searched: at most MAX_QUERY_CHARS characters, spaces collapsed, no
    control characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(query or "")[:MAX_QUERY_CHARS])
    return " ".join(text.split())


def _is_postgresql(queryset: QuerySet) -> bool:
    return connection.vendor == "postgresql" and queryset.db == "default"


def _is_short(query: str) -> bool:
    return (
        FUZZY_MIN_CHARS <= len(query) <= FUZZY_MAX_CHARS and len(query.split()) <= FUZZY_MAX_WORDS
    )


def _filtered(user, *, category=None, service=None) -> QuerySet[Article]:
    articles = articles_readable_by(user)
    if category is not None:
        articles = articles.filter(category=category)
    if service is not None:
        articles = articles.filter(services=service)
    return articles


def article_search_queryset(
    user, query: str, *, category=None, service=None
) -> tuple[QuerySet[Article], bool]:
    """The readable articles matching `query`, best first, with a `rank` annotation; and
    whether they were found by typo tolerance (trigram similarity of titles) rather than by
    their words. `category` and `service` narrow the search (a model instance or a key)."""
    query = normalise_query(query)
    articles = _filtered(user, category=category, service=service)
    if not query:
        return articles.none().annotate(rank=Value(0.0, output_field=FloatField())), False
    if not _is_postgresql(articles):
        return _portable(articles, query), False
    # Constant SQL around the bound query (S611: nothing of the reader's is formatted in).
    matches = RawSQL(_MATCHES, [query], output_field=BooleanField())  # noqa: S611
    in_lead = RawSQL(_LEAD_MATCHES, [query], output_field=BooleanField())  # noqa: S611
    rank = RawSQL(_RANK, [query] * 4, output_field=FloatField())  # noqa: S611
    # The candidates, each half read through its own GIN index and stopping at its cap: title
    # and summary matches, and matches anywhere.
    lead_sql, lead_params = (
        articles.filter(in_lead).order_by().values("pk")[:CANDIDATES_EACH].query.sql_with_params()
    )
    all_sql, all_params = (
        articles.filter(matches).order_by().values("pk")[:CANDIDATES_EACH].query.sql_with_params()
    )
    # Read once here, so the page and its count rank the same few ids without reading the
    # indexes again.
    with connection.cursor() as cursor:
        cursor.execute(
            f"({lead_sql}) UNION ({all_sql})",  # noqa: S608 — the ORM's own SQL, values bound
            (*lead_params, *all_params),
        )
        ids = [row[0] for row in cursor.fetchall()]
    found = (
        articles.filter(pk__in=ids).annotate(rank=rank).order_by("-rank", "-published_at", "-id")
    )
    if ids or not _is_short(query):
        return found, False
    # As above, at most CANDIDATES_EACH close titles (read through the trigram index) are ranked.
    close = RawSQL("%s <%% knowledge_article.title", [query], output_field=BooleanField())
    close_sql, close_params = (
        articles.filter(close).order_by().values("pk")[:CANDIDATES_EACH].query.sql_with_params()
    )
    similar = (
        articles.filter(
            pk__in=RawSQL(f"SELECT pk FROM ({close_sql}) candidates", close_params)  # noqa: S608, S611
        )
        .annotate(
            rank=RawSQL(
                "word_similarity(%s, knowledge_article.title)", [query], output_field=FloatField()
            )
        )
        .order_by("-rank", "-published_at", "-id")
    )
    return similar, True


def _portable(articles: QuerySet[Article], query: str) -> QuerySet[Article]:
    words = [w.lower() for w in query.split()]
    matches = Q()
    title_rank = Q()
    summary_rank = Q()
    for word in words:
        matches &= Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        title_rank &= Q(title__icontains=word)
        summary_rank |= Q(summary__icontains=word)
    return (
        articles.filter(matches)
        .annotate(
            rank=Case(
                When(title_rank, then=Value(3.0)),
                When(summary_rank, then=Value(2.0)),
                default=Value(1.0),
                output_field=FloatField(),
            )
        )
        .order_by("-rank", "-published_at", "-id")
    )


def article_hits(articles, query: str, *, fuzzy: bool = False) -> list[ArticleHit]:
    """`ArticleHit`s for `articles` (a page of `article_search_queryset`, in order), each with
    its highlighted snippet: on PostgreSQL one `ts_headline` query for the page."""
    articles = list(articles)
    query = normalise_query(query)
    headlines = {}
    if articles and not fuzzy and connection.vendor == "postgresql":
        headlines = _headlines([a.pk for a in articles], query)
    hits = []
    for article in articles:
        if article.pk in headlines:
            html = _marked_html(headlines[article.pk])
        else:
            html = _highlight(_snippet_source(article, query), [] if fuzzy else query.split())
        hits.append(
            ArticleHit(
                article=article,
                rank=float(getattr(article, "rank", 0.0) or 0.0),
                snippet=_plain(html),
                snippet_html=html,
                fuzzy=fuzzy,
            )
        )
    return hits


def article_search(
    user, query: str, *, limit: int = 20, category=None, service=None
) -> list[ArticleHit]:
    """Published articles readable by `user` matching `query`, best first, at most `limit`."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    found, fuzzy = article_search_queryset(user, query, category=category, service=service)
    return article_hits(found[:limit], query, fuzzy=fuzzy)


def _headlines(ids: list[int], query: str) -> dict[int, str]:
    # The summary when the words are in it, otherwise the body; private-use marks removed first.
    sql = f"""
        SELECT id, ts_headline(
            'english'::regconfig,
            regexp_replace(
                CASE WHEN to_tsvector('english'::regconfig, summary) @@ {_QUERY}
                     THEN summary ELSE body END,
                '[{_START}{_STOP}]', '', 'g'),
            {_QUERY}, %s)
        FROM knowledge_article WHERE id = ANY(%s)
    """  # noqa: S608 — constants only; the query and ids are bound
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, query, _HEADLINE_OPTIONS, ids])
        return dict(cursor.fetchall())


def _tidy(text: str) -> str:
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _MARKDOWN_NOISE.sub(lambda m: m.group(1) or "", text)
    return " ".join(text.split())


def _marked_html(headline: str) -> Markup:
    """ts_headline's text, escaped, with its own marks (and only those) as <mark> tags."""
    html = str(escape(_tidy(headline))).replace(_START, "<mark>").replace(_STOP, "</mark>")
    # Balanced by construction; an unclosed mark (a cut fragment) is closed.
    if html.count("<mark>") > html.count("</mark>"):
        html += "</mark>"
    return Markup(html)  # noqa: S704 — escaped above; the only tags are our own marks


def _snippet_source(article: Article, query: str) -> str:
    words = [w.lower() for w in query.split()]
    summary = article.summary or ""
    if summary and (not words or any(w in summary.lower() for w in words)):
        return summary
    text = _tidy(article.body or "") or summary
    lowered = text.lower()
    at = min((lowered.find(w) for w in words if w in lowered), default=-1)
    start = max(0, at - SNIPPET_CHARS // 3) if at >= 0 else 0
    piece = text[start : start + SNIPPET_CHARS].strip()
    return ("… " if start else "") + piece + (" …" if start + SNIPPET_CHARS < len(text) else "")


def _highlight(text: str, words: list[str]) -> Markup:
    """`text` escaped, with each occurrence of any of `words` (case-insensitive) in <mark>."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not words:
        return Markup(escape(_tidy(text)))  # noqa: S704 — escaped
    text = _tidy(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(escape(text[last:]))
    return Markup("".join(pieces))  # noqa: S704 — every piece escaped; the marks are ours


def _plain(html: Markup) -> str:
    return html_lib.unescape(str(html).replace("<mark>", "").replace("</mark>", ""))
