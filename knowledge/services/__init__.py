"""Writes on knowledge articles (§11, §12): drafting, review and approval, publishing, the
".x" review without change, retiring and reinstating, and the named approvers of controlled
documents (the operations manual).

The rules:
- A new article starts as a draft of version 1.0. Editing a published article makes a new
  draft of the next major version (1.0 → 2.0) while the published one stays live; only one
  version of an article is open (draft, returned or in review) at a time.
- A version is sent for review with a change summary (what changed and why, §12), and is
  published when a knowledge manager approves it — or, for a controlled document, when every
  named approver has approved it. Publishing copies the version onto the article, supersedes
  the version published before it and sets the next review three calendar months ahead (§12).
- A review without changes issues a ".x" version (1.0 → 1.1) with the §12 comment
  `REVIEWED_NO_CHANGE_COMMENT`, and moves the next review on.
- Every step is written to the article's audit trail: who, what, which version, why, when.

What readers do with published articles — feedback, read counts, the raise-case pre-fill of
§11.2 — is in `reading`.

Every service takes the `actor`, checks their permission and raises a `core.errors` domain
error in plain words when the step is not allowed.
"""

from .drafting import article_create, article_draft_update, article_version_draft
from .lifecycle import article_governance_set, article_reinstate, article_retire
from .reading import (
    ALREADY_ANSWERED,
    FEEDBACK_COMMENT_MAX_CHARS,
    article_feedback_record,
    article_view_record,
    feedback_given,
    missing_content_request,
    new_article_request,
)
from .review import (
    article_approve,
    article_console_link,
    article_reject,
    article_review_no_change,
    article_submit,
    pending_approvers,
)
from .rules import (
    BODY_MAX_CHARS,
    CHANGE_SUMMARY_MAX_CHARS,
    COMMENT_MAX_CHARS,
    EDITABLE_VERSION_STATES,
    NUMBER_PREFIX,
    OPEN_VERSION_STATES,
    SUMMARY_MAX_CHARS,
    TITLE_MAX_CHARS,
    audit,
    is_named_approver,
    knowledge_managers,
    may_approve,
    may_author,
    may_edit_version,
    may_review,
    months_after,
    next_review_date,
    open_version,
    uk_today,
)

__all__ = [
    "ALREADY_ANSWERED",
    "FEEDBACK_COMMENT_MAX_CHARS",
    "article_feedback_record",
    "article_view_record",
    "feedback_given",
    "missing_content_request",
    "new_article_request",
    "BODY_MAX_CHARS",
    "CHANGE_SUMMARY_MAX_CHARS",
    "COMMENT_MAX_CHARS",
    "EDITABLE_VERSION_STATES",
    "NUMBER_PREFIX",
    "OPEN_VERSION_STATES",
    "SUMMARY_MAX_CHARS",
    "TITLE_MAX_CHARS",
    "article_approve",
    "article_console_link",
    "article_create",
    "article_draft_update",
    "article_governance_set",
    "article_reinstate",
    "article_reject",
    "article_retire",
    "article_review_no_change",
    "article_submit",
    "article_version_draft",
    "audit",
    "is_named_approver",
    "knowledge_managers",
    "may_approve",
    "may_author",
    "may_edit_version",
    "may_review",
    "months_after",
    "next_review_date",
    "open_version",
    "pending_approvers",
    "uk_today",
]
