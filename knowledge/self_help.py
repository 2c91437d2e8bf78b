"""Self-help while raising a case (§11.2.2: search before raising): the articles suggested as
a participant types a case's subject, and a lean record of what was shown to whom.

`suggestions_for` answers the raise-case form's suggestions through the one search entry point
(`knowledge.search.article_search`). `suggestion_impressions_record` keeps one row per user,
article and day (`SuggestionImpression`), at most `SUGGESTION_IMPRESSIONS_PER_USER_DAY` a
day per user, so a user typing cannot make the table grow without bound;
`suggestion_impressions_prune` drops rows past the retention period.
"""

from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .models import (
    SUGGESTION_IMPRESSION_RETENTION_DAYS,
    SUGGESTION_IMPRESSIONS_PER_USER_DAY,
    Article,
    SuggestionImpression,
)
from .search import ArticleHit, article_search
from .selectors import articles_readable_by

SUGGESTION_LIMIT = 5
# Fewer characters than this suggest nothing: two letters match half the knowledge base.
MIN_SUGGESTION_QUERY_CHARS = 3
MAX_SUGGESTION_QUERY_CHARS = 160
# The most article ids the raise-case form may send back as shown or opened.
MAX_SHOWN_IDS = 50
# Where the portal shows an article (the knowledge pages mounted at /knowledge/).
ARTICLE_PORTAL_PATH = "/knowledge/{number}/"


def article_portal_path(number: str) -> str:
    return ARTICLE_PORTAL_PATH.format(number=number)


def suggestions_for(user, query: str) -> list[ArticleHit]:
    """Up to five articles `user` may read that match the subject typed so far."""
    query = " ".join((query or "").split())[:MAX_SUGGESTION_QUERY_CHARS]
    if len(query) < MIN_SUGGESTION_QUERY_CHARS:
        return []
    return article_search(user, query, limit=SUGGESTION_LIMIT)


# A person typing asks about three times a second at most; a script asking faster is refused.
SUGGESTIONS_PER_MINUTE = 120


def suggestion_rate_allowed(user) -> bool:
    """Whether `user` may ask for suggestions now: at most `SUGGESTIONS_PER_MINUTE` a minute,
    counted in the cache per user and minute."""
    key = f"knowledge:suggest-rate:{user.pk}:{int(timezone.now().timestamp() // 60)}"
    if cache.add(key, 1, timeout=90):
        return True
    try:
        return cache.incr(key) <= SUGGESTIONS_PER_MINUTE
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=90)
        return True


def _day_budget_key(user_id: int, day) -> str:
    return f"knowledge:impressions:{user_id}:{day.isoformat()}"


def suggestion_impressions_record(*, user, articles: list[Article]) -> int:
    """Record that `articles` were suggested to `user` today; returns how many rows were new.

    Signed-out users are not recorded. A row already there for today is left as it is; past
    the day's budget nothing more is written (the budget is counted in the cache, so a user
    over it costs no query)."""
    if user is None or not user.is_authenticated or not articles:
        return 0
    today = timezone.localdate()
    key = _day_budget_key(user.pk, today)
    used = cache.get(key, 0)
    room = SUGGESTION_IMPRESSIONS_PER_USER_DAY - used
    if room <= 0:
        return 0
    ids = list(dict.fromkeys(a.pk for a in articles))
    with transaction.atomic():
        existing = set(
            SuggestionImpression.objects.filter(
                user=user, day=today, article_id__in=ids
            ).values_list("article_id", flat=True)
        )
        new = [pk for pk in ids if pk not in existing][:room]
        SuggestionImpression.objects.bulk_create(
            [SuggestionImpression(user=user, article_id=pk, day=today) for pk in new],
            ignore_conflicts=True,
        )
    if new:
        cache.set(key, used + len(new), timeout=60 * 60 * 26)
    return len(new)


def readable_article_ids(user, raw_ids) -> list[int]:
    """The ids among `raw_ids` (strings from a form or a query) of articles `user` may read,
    in the order given; anything else — not a number, not readable, past `MAX_SHOWN_IDS` —
    is dropped."""
    parts = (part.strip() for raw in (raw_ids or ()) for part in str(raw).split(","))
    wanted = list(dict.fromkeys(int(part) for part in parts if part.isdigit() and len(part) <= 12))[
        :MAX_SHOWN_IDS
    ]
    if not wanted:
        return []
    readable = set(articles_readable_by(user).filter(pk__in=wanted).values_list("pk", flat=True))
    return [pk for pk in wanted if pk in readable]


def suggestion_opened_record(*, user, article_id: int) -> bool:
    """The user followed a suggestion: today's impression of it is marked opened. Only an
    article suggested to them today and readable by them counts; returns whether one did."""
    if user is None or not user.is_authenticated:
        return False
    if not readable_article_ids(user, [article_id]):
        return False
    updated = SuggestionImpression.objects.filter(
        user=user, article_id=article_id, day=timezone.localdate()
    ).update(opened=True)
    return bool(updated)


def suggestion_impressions_prune(*, now=None) -> int:
    """Delete impressions older than the retention period; returns how many went."""
    cutoff = timezone.localdate(now) - timedelta(days=SUGGESTION_IMPRESSION_RETENTION_DAYS)
    deleted, _ = SuggestionImpression.objects.filter(day__lt=cutoff).delete()
    return deleted
