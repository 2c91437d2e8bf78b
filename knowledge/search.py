"""Knowledge search (§11.1, §11.2.2): ranked matches among the articles a user may read.

`article_search` is the one entry point for the portal, the console, the raise-case
suggestions and the API; `article_search_queryset` and `article_hits` are its two halves, for
a list that pages through the matches (the portal's search page, the API).

On PostgreSQL: full-text search over the stored, weighted `search_vector` (title A, summary B,
body C; migration 0004) with `websearch_to_tsquery('english', …)`, read through its GIN index;
a title match ranks above a summary match above a match in the body alone, each ordered by
`ts_rank_cd` over the title and summary (`lead_vector`, migration 0005), body-only matches
newest first; `ts_headline` snippets. A short query that finds nothing is tried again against titles: each word put
right by the nearest word of any title (`knowledge_title_word`, migration 0011), or else by
trigram word similarity of whole titles (pg_trgm), so "setlement" still finds "Settlement".
The matches come back as `SearchResults`: ranked in one query, each page read in one more.

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
from django.db.models import BooleanField, Case, FloatField, Q, QuerySet, TextField, Value, When
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
# On PostgreSQL at most this many matches are ranked: title-or-summary matches first, and only
# when there are fewer of them, matches anywhere up to the same total. A query matching tens of
# thousands of articles costs the same as one matching a few hundred (issue 12: under 50 ms at
# p95 over 100,000 articles); a search matching more lists at most this many, and more words
# narrow it. Below the cap every match is ranked. Matches in the body alone rank below every
# title or summary match, so when the titles and summaries fill the cap the bodies' vectors,
# read out of TOAST, are not read at all.
CANDIDATES_EACH = 200
# A phrase ("settlement run", or a hyphenated word such as "two-factor") needs word positions,
# which only the stored vectors hold: each candidate's vector is read and rechecked. So a query
# that may hold a phrase takes, through each index, at most this many articles holding all its
# words (the index answers that exactly), and rechecks the phrase among those only: title and
# summary vectors are small and kept in the table's own pages, a whole article's vector is read
# out of TOAST. A phrase in only a few bodies among tens of thousands holding both words is
# then found when it is in those first few thousand (and always when it is in a title or
# summary among the first LEAD_PHRASE_CANDIDATES), where the full recheck read every one of
# them (issue 12: 350 ms for "settlement run" under load).
LEAD_PHRASE_CANDIDATES = 2500
BODY_PHRASE_CANDIDATES = 500
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
# The query with every phrase operator (<->, <N>) made a plain AND: a superset of the phrase's
# matches that a GIN index answers without reading the vectors. A negated phrase is left as it
# is (loosening under NOT would narrow, not widen). PostgreSQL folds it to a constant.
_LOOSE_QUERY = (
    f"(CASE WHEN strpos(({_QUERY})::text, '!(') > 0 THEN {_QUERY}"
    f" ELSE regexp_replace(({_QUERY})::text, '<[0-9]*->|<[0-9]+>', '&', 'g')::tsquery END)"
)
# What websearch_to_tsquery may turn into a phrase: a quoted run of words, or a word joined by
# punctuation ("two-factor", "e-mail"). A query without any of these has no phrase operator.
# The snippet: the summary when the words are in it, otherwise the body, private-use marks
# removed first; parameters: the query twice, then _HEADLINE_OPTIONS.
_HEADLINE = f"""ts_headline(
    'english'::regconfig,
    regexp_replace(
        CASE WHEN to_tsvector('english'::regconfig, knowledge_article.summary) @@ {_QUERY}
             THEN knowledge_article.summary ELSE knowledge_article.body END,
        '[{_START}{_STOP}]', '', 'g'),
    {_QUERY}, %s)"""
_MAY_HOLD_PHRASE = re.compile(r'"|\w[^\w\s"]+\w')
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


def _candidates(
    articles: QuerySet[Article], query: str, *, vector: str, matches: str, cap: int | None
):
    """SQL and parameters for the ids of (at most `cap`, unless None) articles among `articles`
    whose `vector` (a column of knowledge_article) matches `query`, read through its GIN index
    without sorting; for a query that may hold a phrase, rechecked among the first
    LEAD_/BODY_PHRASE_CANDIDATES articles holding all its words only."""
    if not _MAY_HOLD_PHRASE.search(query):
        # Constant SQL around the bound query (S611: nothing of the reader's is formatted in).
        found = articles.filter(RawSQL(matches, [query], output_field=BooleanField()))  # noqa: S611
        found = found.order_by().values("pk")
        return (found[:cap] if cap is not None else found).query.sql_with_params()
    loose = RawSQL(f"{vector} @@ {_LOOSE_QUERY}", [query] * 3, output_field=BooleanField())  # noqa: S611
    window = LEAD_PHRASE_CANDIDATES if vector == _LEAD else BODY_PHRASE_CANDIDATES
    inner_sql, inner_params = (
        articles.filter(loose)
        .order_by()
        .annotate(candidate_vector=RawSQL(vector, [], output_field=TextField()))  # noqa: S611
        .values("pk", "candidate_vector")[:window]
        .query.sql_with_params()
    )
    sql = (
        f"SELECT loose.pk FROM ({inner_sql}) loose"  # noqa: S608 — the ORM's SQL, values bound
        f" WHERE loose.candidate_vector @@ {_QUERY}"
    )
    if cap is None:
        return sql, (*inner_params, query)
    return f"{sql} LIMIT %s", (*inner_params, query, cap)


def article_search_queryset(
    user, query: str, *, category=None, service=None
) -> tuple["SearchResults | QuerySet[Article]", bool]:
    """The readable articles matching `query`, best first, each with a `rank`; and whether
    they were found by typo tolerance (trigram similarity of titles) rather than by their
    words. `category` and `service` narrow the search (a model instance or a key).

    On PostgreSQL the matches are `SearchResults`: the ranked ids, read in one query, as a
    list a paginator counts without another query, each page's articles (and their
    highlighted snippets) read in one more. Elsewhere a queryset."""
    query = normalise_query(query)
    articles = _filtered(user, category=category, service=service)
    if not query:
        return articles.none().annotate(rank=Value(0.0, output_field=FloatField())), False
    if not _is_postgresql(articles):
        return _portable(articles, query), False
    rank = RawSQL(_RANK, [query] * 4, output_field=FloatField())  # noqa: S611
    # The candidates, each half read through its own GIN index and stopping at its cap: title
    # and summary matches, and matches anywhere; ranked and ordered in the same query.
    lead_sql, lead_params = _candidates(
        articles, query, vector=_LEAD, matches=_LEAD_MATCHES, cap=CANDIDATES_EACH
    )
    all_sql, all_params = _candidates(
        articles,
        query,
        vector="knowledge_article.search_vector",
        matches=_MATCHES,
        cap=None,
    )
    # Matches anywhere (other than those) only fill what the title-and-summary matches leave of
    # the cap: the LIMIT is 0 when those fill it, and PostgreSQL then never reads a body's
    # vector. The
    # ORM's own SQL with the values bound (S611).
    candidates = RawSQL(  # noqa: S611
        f"WITH lead AS MATERIALIZED ({lead_sql})"  # noqa: S608
        f" SELECT lead.pk FROM lead UNION ALL (SELECT anywhere.pk FROM ({all_sql}) anywhere"
        " WHERE anywhere.pk NOT IN (SELECT lead.pk FROM lead)"
        " LIMIT GREATEST(0, %s - (SELECT count(*) FROM lead)))",
        (*lead_params, *all_params, CANDIDATES_EACH),
    )
    ranked = list(
        articles.filter(pk__in=candidates)
        .annotate(rank=rank)
        .order_by("-rank", "-published_at", "-id")
        .values_list("pk", "rank")
    )
    if ranked or not _is_short(query):
        return SearchResults(articles, ranked, query=query, fuzzy=False), False
    # Typing mistakes: each word put right by the nearest word of any title (a small table
    # with a trigram index, migration 0011), then at most CANDIDATES_EACH titles holding all
    # of those words (the title-and-summary index, title weight only) are ranked by how close
    # each title comes to what was typed. Without such words, or when they find nothing, at
    # most CANDIDATES_EACH close titles read through the titles' own trigram index.
    corrected = _title_words_corrected(query)
    if corrected:
        # Constant SQL, the corrected words bound (S611).
        in_titles = RawSQL(  # noqa: S611
            f"{_LEAD} @@ to_tsquery('english'::regconfig, %s)",
            [corrected],
            output_field=BooleanField(),
        )
        near = _close_titles(articles.filter(in_titles), articles, query)
        if near:
            return SearchResults(articles, near, query=query, fuzzy=True), True
    close = RawSQL("%s <%% knowledge_article.title", [query], output_field=BooleanField())
    similar = _close_titles(articles.filter(close), articles, query)
    return SearchResults(articles, similar, query=query, fuzzy=True), True


# For each word typed (in order): the nearest word of any title, by trigram similarity above
# pg_trgm's threshold; words that are stop words for the English configuration are skipped.
_NEAREST_TITLE_WORDS = """
    SELECT (SELECT known.word FROM knowledge_title_word known
            WHERE known.word %% typed.word
            ORDER BY known.word <-> typed.word, known.word LIMIT 1)
    FROM unnest(%s::text[]) WITH ORDINALITY AS typed(word, n)
    WHERE length(to_tsvector('english'::regconfig, typed.word)) > 0
    ORDER BY typed.n
"""
_WORD = re.compile(r"[^\W_]+")


def _title_words_corrected(query: str) -> str | None:
    """A `to_tsquery` text requiring, in a title, the nearest title word to each word typed
    (three letters or more, as the table holds them); None when a word has none near it."""
    words = [word for word in _WORD.findall(query.lower()) if len(word) >= 3]
    if not words:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_NEAREST_TITLE_WORDS, [words])
        nearest = [row[0] for row in cursor.fetchall()]
    if not nearest or None in nearest:
        return None
    # Words of the table are letters and digits only (split on anything else).
    return " & ".join(f"{word}:A" for word in nearest)


def _close_titles(candidates: QuerySet[Article], articles: QuerySet[Article], query: str):
    """(id, rank) of at most CANDIDATES_EACH of `candidates`, taken as an index finds them,
    ranked by the word similarity of their titles to `query`, best first."""
    sql, params = candidates.order_by().values("pk")[:CANDIDATES_EACH].query.sql_with_params()
    return list(
        articles.filter(
            pk__in=RawSQL(f"SELECT pk FROM ({sql}) candidates", params)  # noqa: S608, S611
        )
        .annotate(
            rank=RawSQL(
                "word_similarity(%s, knowledge_article.title)", [query], output_field=FloatField()
            )
        )
        .order_by("-rank", "-published_at", "-id")
        .values_list("pk", "rank")
    )


class SearchResults:
    """Ranked matches as a list for a paginator: its length is known without a query, a slice
    is another `SearchResults` (nothing read), and iterating reads that slice's articles in one
    query, with their category and, for full-text matches, their highlighted snippets
    (`ts_headline`), through the same readable-articles queryset the search used, so the
    audience is checked again on the rows shown. Slice before iterating: iterating the whole
    list reads every match (at most 2 × CANDIDATES_EACH) with its snippet."""

    ordered = True

    def __init__(self, articles: QuerySet[Article], ranked, *, query: str, fuzzy: bool):
        self._articles = articles
        self._ranked = list(ranked)
        self._query = query
        self._fuzzy = fuzzy
        self._rows: list[Article] | None = None

    def __len__(self) -> int:
        return len(self._ranked)

    def count(self) -> int:
        return len(self._ranked)

    def __getitem__(self, key):
        if isinstance(key, slice):
            return SearchResults(
                self._articles, self._ranked[key], query=self._query, fuzzy=self._fuzzy
            )
        # One article: read alone, not the whole list (IndexError past the end, as a list).
        item = self._ranked[key]
        alone = SearchResults(self._articles, [item], query=self._query, fuzzy=self._fuzzy)
        return alone._read()[0]

    def __iter__(self):
        return iter(self._read())

    def __bool__(self) -> bool:
        return bool(self._ranked)

    def _read(self) -> list[Article]:
        if self._rows is None:
            ranks = dict(self._ranked)
            rows = self._articles.filter(pk__in=list(ranks)).select_related("category").order_by()
            if not self._fuzzy:
                # Constant SQL, the query and options bound (S611).
                headline = RawSQL(  # noqa: S611
                    _HEADLINE,
                    [self._query, self._query, _HEADLINE_OPTIONS],
                    output_field=TextField(),
                )
                rows = rows.annotate(search_headline=headline)
            by_pk = {article.pk: article for article in rows}
            self._rows = []
            for pk, rank in self._ranked:
                if pk in by_pk:
                    by_pk[pk].rank = rank
                    self._rows.append(by_pk[pk])
        return self._rows


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
        .select_related("category")
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
    its highlighted snippet: on PostgreSQL the `ts_headline` read with the page
    (`SearchResults`), or one query for the page's articles that came without it."""
    articles = list(articles)
    query = normalise_query(query)
    headlines = {
        article.pk: article.search_headline
        for article in articles
        if getattr(article, "search_headline", None) is not None
    }
    unread = [article.pk for article in articles if article.pk not in headlines]
    if unread and not fuzzy and connection.vendor == "postgresql":
        headlines.update(_headlines(unread, query))
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
    sql = f"SELECT id, {_HEADLINE} FROM knowledge_article WHERE id = ANY(%s)"  # noqa: S608 — constants only; the query and ids are bound
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
