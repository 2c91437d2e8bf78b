"""The knowledge base (§11) and the operations manual's governance (§12).

An `Article` is what readers find: its title and body are the *published* content, read by the
portal, the console and the API. Every version an author writes is an `ArticleVersion`: a draft,
sent for review, approved by a knowledge manager and published — at which point its content is
copied onto the article. A content change makes a new major version (2.0); a review with no
change issues a ".x" version (1.1) with the comment of §12. Published articles are reviewed every
three months (§12), tracked by `next_review_on`.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from tickets.models import Category, Service

# §12: "if there are no changes a .x version is issued but with the comment …".
REVIEWED_NO_CHANGE_COMMENT = "Document Reviewed – no further changes required"
# §12: "a review cycle of every 3 months".
REVIEW_CYCLE_MONTHS = 3


class Article(models.Model):
    """A knowledge article (KB…), read by its audience once published (§11)."""

    class Audience(models.TextChoices):
        PUBLIC = "public", "Everyone, signed in or not"
        SIGNED_IN = "signed_in", "Signed-in users"
        STAFF = "staff", "Service desk staff only"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    number = models.CharField(max_length=16, unique=True, editable=False)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown. Raw HTML is not allowed and is shown as text.")
    summary = models.CharField(
        max_length=300, blank=True, help_text="One or two sentences shown in search results."
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="articles"
    )
    services = models.ManyToManyField(Service, blank=True, related_name="articles")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_articles"
    )
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.SIGNED_IN)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    is_controlled_document = models.BooleanField(
        default=False,
        help_text="A section of the operations manual: named approvers sign off each version (§12).",
    )
    # The published version's number; 0.0 until first published.
    version_major = models.PositiveIntegerField(default=0)
    version_minor = models.PositiveIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    view_count = models.PositiveIntegerField(default=0)
    helpful_count = models.PositiveIntegerField(default=0)
    not_helpful_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["state", "audience"], name="article_state_audience"),
            models.Index(fields=["state", "next_review_on"], name="article_review_due"),
        ]
        permissions = [
            ("approve_article", "Can approve and publish knowledge articles"),
            ("view_internal_article", "Can read staff-only knowledge articles"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def version_label(self) -> str:
        return f"{self.version_major}.{self.version_minor}"


class ArticleVersion(models.Model):
    """One version of an article's content, kept for ever (§12 version history)."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Returned to the author"
        SUPERSEDED = "superseded", "Superseded"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    major = models.PositiveIntegerField()
    minor = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    body = models.TextField()
    summary = models.CharField(max_length=300, blank=True)
    change_summary = models.CharField(
        max_length=500, help_text="What changed and why (§12 audit trail)."
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["article", "-major", "-minor", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article", "major", "minor"], name="article_version_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.article.number} v{self.label}"

    @property
    def label(self) -> str:
        return f"{self.major}.{self.minor}"


class ArticleFeedback(models.Model):
    """A reader's "Was this helpful?" answer (§11.2): which version they read, whether it
    helped, and what they add. Signed-out readers of public articles answer too (`user` null).
    The article's `helpful_count` and `not_helpful_count` count these rows."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    version_label = models.CharField(max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="article_feedback",
    )
    helpful = models.BooleanField()
    comment = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["article", "-created_at"], name="article_feedback_recent")]

    def __str__(self) -> str:
        return f"{self.article_id} {'helpful' if self.helpful else 'not helpful'}"
