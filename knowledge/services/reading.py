"""What readers do with articles (§11.2): say whether one helped, and be counted as a reader.

Counters on `Article` are moved with F() so two readers at once never lose a count.
"""

from django.db import transaction
from django.db.models import F

from core.errors import ValidationFailed

from ..models import Article, ArticleFeedback

FEEDBACK_COMMENT_MAX_CHARS = 2000
# The articles a session has been counted as reading, newest last; older ones drop off.
VIEWED_SESSION_KEY = "knowledge:viewed"
VIEWED_REMEMBERED = 200
# The articles a session has already given feedback on: one answer per reader per article.
FEEDBACK_SESSION_KEY = "knowledge:feedback"
ALREADY_ANSWERED = "You have already told us whether this article helped. Thank you."


@transaction.atomic
def article_feedback_record(
    *, article: Article, user, helpful: bool, comment: str = "", session=None
) -> ArticleFeedback:
    """Record "Was this helpful?" for the published version the reader saw, with an optional
    comment; the article's helpful / not helpful count goes up by one. With the reader's
    `session`, one answer per article per session (a second is refused)."""
    if article.state != Article.State.PUBLISHED:
        raise ValidationFailed("Feedback can only be given on a published article.")
    answered = _remembered(session, FEEDBACK_SESSION_KEY) if session is not None else []
    if article.pk in answered:
        raise ValidationFailed(ALREADY_ANSWERED)
    if not isinstance(helpful, bool):
        raise ValidationFailed(
            "Say whether the article was helpful.", field_errors={"helpful": ["Choose yes or no."]}
        )
    comment = (comment or "").replace("\x00", "").strip()
    if len(comment) > FEEDBACK_COMMENT_MAX_CHARS:
        message = f"Keep the comment to {FEEDBACK_COMMENT_MAX_CHARS:,} characters or fewer."
        raise ValidationFailed(message, field_errors={"comment": [message]})
    feedback = ArticleFeedback.objects.create(
        article=article,
        version_label=article.version_label,
        user=user if user is not None and user.is_authenticated else None,
        helpful=helpful,
        comment=comment,
    )
    counter = "helpful_count" if helpful else "not_helpful_count"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    if session is not None:
        session[FEEDBACK_SESSION_KEY] = [*answered, article.pk][-VIEWED_REMEMBERED:]
    return feedback


def feedback_given(*, article: Article, session) -> bool:
    """Whether this session has already answered "Was this helpful?" for `article`."""
    return article.pk in _remembered(session, FEEDBACK_SESSION_KEY)


def _remembered(session, key: str) -> list[int]:
    ids = session.get(key)
    return [v for v in ids if isinstance(v, int)] if isinstance(ids, list) else []


def article_view_record(*, article: Article, session) -> bool:
    """Count one read of `article` per session (a reader reloading the page is one reader);
    True when this read was counted. The caller counts page loads only, never a HEAD."""
    viewed = _remembered(session, VIEWED_SESSION_KEY)
    if article.pk in viewed:
        return False
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    session[VIEWED_SESSION_KEY] = [*viewed, article.pk][-VIEWED_REMEMBERED:]
    return True


# §11.2: a reader who finds an article lacking, or no article at all, raises a case for the
# knowledge team; these are the subject and description that case is opened with.
def missing_content_request(*, article: Article, article_url: str) -> dict[str, str]:
    """The raise-case form's pre-fill for "Is something missing from this article?"."""
    return {
        "subject": f"Missing from {article.number}: {article.title}"[:160],
        "description": (
            f"Article: {article.number} {article.title} (version {article.version_label})\n"
            f"{article_url}\n\n"
            "What is missing or wrong:\n\n"
            "What you were trying to do:\n"
        ),
    }


def new_article_request(*, topic: str, search_url: str = "") -> dict[str, str]:
    """The raise-case form's pre-fill for "Request a new article" (after a search that found
    nothing, `topic` being what was searched for)."""
    topic = " ".join((topic or "").split())[:100]
    searched = f"I searched the knowledge base for “{topic}”.\n{search_url}\n\n" if topic else ""
    return {
        "subject": f"Knowledge article request: {topic}" if topic else "Knowledge article request",
        "description": (
            f"{searched}The article I would like (what it should explain):\n\nWhy it would help:\n"
        ),
    }
