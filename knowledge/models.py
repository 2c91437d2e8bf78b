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
            ("publish_known_error", "Can publish a problem's known error as an article"),
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


def glossary_letter(term: str) -> str:
    """The A–Z bar's letter for a term: its first letter, or "#" for a digit or symbol."""
    first = (term or "").strip()[:1].upper()
    return first if "A" <= first <= "Z" else "#"


class GlossaryEntry(models.Model):
    """A term of the glossary (§11.2.1, Appendix A), browsed A–Z with letter filtering.

    `letter` and `slug` are derived from the term when saved; the definition is Markdown,
    shown through `knowledge.markdown.render_markdown` like an article body."""

    term = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True, editable=False)
    letter = models.CharField(max_length=1, editable=False, db_index=True)
    definition = models.TextField(
        help_text="Markdown. Plain words first; raw HTML is not allowed and is shown as text."
    )
    related_article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="glossary_entries",
        help_text="An article that says more; shown only to readers who may read it.",
    )
    services = models.ManyToManyField(Service, blank=True, related_name="glossary_entries")
    active = models.BooleanField(default=True, help_text="Only active entries are shown.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["term"]
        verbose_name = "glossary entry"
        verbose_name_plural = "glossary entries"
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("term"),
                name="glossary_term_unique_ci",
                violation_error_message="The glossary already has this term.",
            )
        ]
        indexes = [models.Index(fields=["active", "letter", "term"], name="glossary_active_letter")]

    def __str__(self) -> str:
        return self.term

    def save(self, *args, **kwargs):
        self.term = " ".join((self.term or "").split())
        self.letter = glossary_letter(self.term)
        if not self.slug:
            self.slug = _unique_glossary_slug(self.term, exclude_pk=self.pk)
        super().save(*args, **kwargs)


def _unique_glossary_slug(term: str, *, exclude_pk=None) -> str:
    from django.utils.text import slugify

    base = (slugify(term) or "term")[:130]
    slug, n = base, 1
    taken = GlossaryEntry.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


class SuggestionImpression(models.Model):
    """An article suggested to a signed-in user while they raised a case (§11.2.2 self-help):
    one row per user, article and day however often it was shown, so the table grows at most
    by `SUGGESTION_IMPRESSIONS_PER_USER_DAY` rows per user a day and is pruned after
    `SUGGESTION_IMPRESSION_RETENTION_DAYS`. `opened` records that the user followed it.
    Together with the suggestions a raised case records (`cases.CaseArticleLink`) this is
    the self-help deflection report."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="impressions")
    day = models.DateField()
    opened = models.BooleanField(default=False)

    class Meta:
        verbose_name = "self-help deflection"
        verbose_name_plural = "self-help deflection"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "article", "day"], name="suggestion_impression_once_a_day"
            )
        ]
        indexes = [models.Index(fields=["article", "day"], name="suggestion_impression_day")]
        permissions = [
            ("view_selfhelp_report", "Can see the self-help deflection report"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} shown to {self.user_id} on {self.day}"


# At most this many distinct articles a day are recorded as shown to one user.
SUGGESTION_IMPRESSIONS_PER_USER_DAY = 50
# Impressions older than this are deleted by `knowledge.tasks.suggestion_impressions_prune_task`.
SUGGESTION_IMPRESSION_RETENTION_DAYS = 400


class ArticleVersionMetadata(models.Model):
    """What a version proposes besides its text: the article's category, services and
    audience, copied onto the article when the version is published (so a change of audience
    is approved like a change of words)."""

    version = models.OneToOneField(ArticleVersion, on_delete=models.CASCADE, related_name="meta")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    audience = models.CharField(max_length=10, choices=Article.Audience.choices)

    def __str__(self) -> str:
        return f"{self.version} metadata"


class ArticleReviewState(models.Model):
    """The review cycle's bookkeeping for one article (§12): for which review date the owner
    was reminded and the knowledge managers told it was overdue, so each is sent once per
    cycle, and why the article was retired."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="review_state")
    reminded_for = models.DateField(null=True, blank=True)
    overdue_notified_for = models.DateField(null=True, blank=True)
    retired_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.article.number} review state"


class ArticleApprover(models.Model):
    """A named approver of a controlled document (§12): every one of them approves a version
    before it is published."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="approvers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["article", "user"], name="article_approver_unique")
        ]

    def __str__(self) -> str:
        return f"{self.article.number} approver {self.user}"


class ArticleApproval(models.Model):
    """One approver's decision on one version of a controlled document, with its comment."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Returned to the author"

    version = models.ForeignKey(ArticleVersion, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["version", "decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "approver"], name="article_approval_once_per_approver"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.decision} by {self.approver}"


class ArticleAuditEntry(models.Model):
    """The audit trail of an article (§12): who did what to which version, why and when."""

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Draft edited"
        SUBMITTED = "submitted", "Sent for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Returned to the author"
        PUBLISHED = "published", "Published"
        REVIEWED = "reviewed", "Reviewed, no change"
        RETIRED = "retired", "Retired"
        REINSTATED = "reinstated", "Reinstated"
        APPROVERS = "approvers", "Approvers changed"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="audit_entries")
    version = models.ForeignKey(
        ArticleVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    detail = models.TextField(blank=True, help_text="Why: the change summary, comment or reason.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["article", "-at"], name="article_audit_recent")]

    def __str__(self) -> str:
        return f"{self.article.number} {self.action}"


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
