"""Knowledge authoring (§11, §12): the article lifecycle Draft → In review → Published →
Retired, approval by a knowledge manager, version numbering (a content change is a new major
version, a review without change a ".x" version), the comparison with the previous version,
controlled documents with named approvers, and the audit trail."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts import roles
from comms.models import Notification, OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from knowledge.compare import version_compare
from knowledge.models import (
    REVIEWED_NO_CHANGE_COMMENT,
    Article,
    ArticleApproval,
    ArticleAuditEntry,
    ArticleVersion,
)
from knowledge.selectors import articles_readable_by
from knowledge.services import (
    article_approve,
    article_create,
    article_draft_update,
    article_governance_set,
    article_reinstate,
    article_reject,
    article_retire,
    article_review_no_change,
    article_submit,
    article_version_draft,
    months_after,
)
from tests.conftest import _staff

UK = ZoneInfo("Europe/London")


def _draft(actor, **fields) -> Article:
    values = {
        "title": "Connecting to the DIP",
        "body": "1. Request a certificate.\n2. Install it.\n3. Send a test message.",
        "summary": "How a new participant connects to the DIP.",
        "change_summary": "First version.",
        "audience": Article.Audience.SIGNED_IN,
        **fields,
    }
    return article_create(actor=actor, **values)


def _published(author, manager, **fields) -> Article:
    article = _draft(author, **fields)
    version = article.versions.get()
    article_submit(actor=author, version=version)
    article_approve(actor=manager, version=version)
    article.refresh_from_db()
    return article


def _edit(actor, article, **fields) -> ArticleVersion:
    values = {
        "title": article.title,
        "body": article.body + "\n4. Check the acknowledgement.",
        "summary": article.summary,
        "change_summary": "Added the acknowledgement step.",
        **fields,
    }
    return article_version_draft(actor=actor, article=article, **values)


def test_a_new_article_is_a_draft_numbered_kb_and_unpublished(agent):
    article = _draft(agent)
    assert article.number.startswith("KB")
    assert article.state == Article.State.DRAFT
    assert article.version_label == "0.0"
    version = article.versions.get()
    assert (version.label, version.state) == ("1.0", ArticleVersion.State.DRAFT)
    assert not articles_readable_by(agent).filter(pk=article.pk).exists()


def test_an_article_needs_title_text_and_a_change_summary(agent):
    with pytest.raises(ValidationFailed) as refused:
        _draft(agent, title=" ", body="", change_summary="", audience="everyone")
    assert set(refused.value.field_errors) == {"title", "body", "change_summary", "audience"}


def test_service_users_cannot_write_articles(org_user):
    with pytest.raises(ActionNotPermitted):
        _draft(org_user)


def test_approval_publishes_version_1_0_with_a_review_three_months_ahead(agent, knowledge_manager):
    """§12: approved by a knowledge manager, published, reviewed every three months."""
    with time_machine.travel(datetime(2026, 11, 30, 23, 30, tzinfo=UK), tick=False):
        article = _published(agent, knowledge_manager)
    assert article.state == Article.State.PUBLISHED
    assert article.version_label == "1.0"
    # 23:30 UK time on 30 November is still the 30th: the review falls on 28 February.
    assert article.next_review_on == date(2027, 2, 28)
    assert articles_readable_by(agent).filter(pk=article.pk).exists()
    version = article.versions.get()
    assert version.state == ArticleVersion.State.PUBLISHED
    assert version.decided_by == knowledge_manager


def test_months_after_keeps_the_day_or_takes_the_months_last():
    assert months_after(date(2026, 1, 15), 3) == date(2026, 4, 15)
    assert months_after(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert months_after(date(2027, 11, 30), 3) == date(2028, 2, 29)


def test_submitting_puts_a_new_article_in_review(agent):
    article = _draft(agent)
    version = article_submit(actor=agent, version=article.versions.get())
    article.refresh_from_db()
    assert version.state == ArticleVersion.State.IN_REVIEW
    assert article.state == Article.State.IN_REVIEW


def test_only_a_knowledge_manager_approves(agent, resolver):
    article = _draft(agent)
    version = article_submit(actor=agent, version=article.versions.get())
    with pytest.raises(ActionNotPermitted):
        article_approve(actor=resolver, version=version)
    with pytest.raises(ActionNotPermitted):
        article_approve(actor=agent, version=version)


def test_a_draft_cannot_be_approved_before_it_is_submitted(agent, knowledge_manager):
    article = _draft(agent)
    with pytest.raises(TransitionNotAllowed, match="not waiting for review"):
        article_approve(actor=knowledge_manager, version=article.versions.get())


def test_editing_a_published_article_makes_the_next_major_version_while_1_0_stays_live(
    agent, knowledge_manager
):
    article = _published(agent, knowledge_manager)
    draft = _edit(agent, article)
    article.refresh_from_db()
    assert draft.label == "2.0"
    assert article.state == Article.State.PUBLISHED
    assert article.version_label == "1.0"
    assert "acknowledgement" not in article.body
    article_submit(actor=agent, version=draft)
    article_approve(actor=knowledge_manager, version=draft)
    article.refresh_from_db()
    assert article.version_label == "2.0"
    assert "acknowledgement" in article.body
    states = dict(article.versions.values_list("major", "state"))
    assert states == {1: ArticleVersion.State.SUPERSEDED, 2: ArticleVersion.State.PUBLISHED}


def test_only_one_open_version_at_a_time(agent, knowledge_manager):
    article = _published(agent, knowledge_manager)
    _edit(agent, article)
    with pytest.raises(TransitionNotAllowed, match="already has version 2.0"):
        _edit(agent, article)


def test_review_without_change_issues_a_dot_x_version_with_the_manual_comment(
    agent, knowledge_manager
):
    """§12: "a .x version is issued but with the comment Document Reviewed – no further
    changes required"; the next review moves three months on."""
    with time_machine.travel(datetime(2026, 1, 10, 9, 0, tzinfo=UK), tick=False):
        article = _published(agent, knowledge_manager)
    with time_machine.travel(datetime(2026, 4, 1, 9, 0, tzinfo=UK), tick=False):
        version = article_review_no_change(actor=agent, article=article)
    article.refresh_from_db()
    assert version.label == "1.1"
    assert version.change_summary == REVIEWED_NO_CHANGE_COMMENT
    assert version.body == article.body
    assert article.version_label == "1.1"
    assert article.next_review_on == date(2026, 7, 1)
    second = article_review_no_change(actor=knowledge_manager, article=article)
    assert second.label == "1.2"
    assert article.versions.filter(state=ArticleVersion.State.PUBLISHED).count() == 1


def test_after_a_dot_x_review_the_next_content_change_is_the_next_major(agent, knowledge_manager):
    article = _published(agent, knowledge_manager)
    article_review_no_change(actor=agent, article=article)
    article.refresh_from_db()
    assert _edit(agent, article).label == "2.0"


def test_only_the_owner_or_a_knowledge_manager_records_a_review(agent, resolver, knowledge_manager):
    article = _published(agent, knowledge_manager)
    with pytest.raises(ActionNotPermitted):
        article_review_no_change(actor=resolver, article=article)


def test_a_draft_is_not_reviewed(agent):
    with pytest.raises(TransitionNotAllowed, match="only a published article"):
        article_review_no_change(actor=agent, article=_draft(agent))


def test_rejecting_returns_the_version_to_its_author_with_the_comment(agent, knowledge_manager):
    article = _draft(agent)
    version = article_submit(actor=agent, version=article.versions.get())
    with pytest.raises(ValidationFailed):
        article_reject(actor=knowledge_manager, version=version, comment=" ")
    article_reject(actor=knowledge_manager, version=version, comment="Add the test step.")
    version.refresh_from_db()
    article.refresh_from_db()
    assert version.state == ArticleVersion.State.REJECTED
    assert version.decision_comment == "Add the test step."
    assert article.state == Article.State.DRAFT
    assert Notification.objects.filter(user=agent, event="knowledge_version_returned").exists()
    # The author edits and resubmits; it is then approved.
    article_draft_update(
        actor=agent,
        version=version,
        title=version.title,
        body=version.body + "\n4. Send a test message.",
        summary=version.summary,
        change_summary="Added the test step.",
        audience=Article.Audience.SIGNED_IN,
    )
    article_submit(actor=agent, version=version)
    article_approve(actor=knowledge_manager, version=version)
    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED


def test_another_author_cannot_edit_my_draft_but_a_knowledge_manager_can(
    agent, resolver, knowledge_manager
):
    version = _draft(agent).versions.get()
    fields = {
        "title": "Connecting to the DIP",
        "body": "Changed.",
        "change_summary": "Tidied.",
        "audience": Article.Audience.PUBLIC,
    }
    with pytest.raises(ActionNotPermitted):
        article_draft_update(actor=resolver, version=version, **fields)
    article_draft_update(actor=knowledge_manager, version=version, **fields)
    version.refresh_from_db()
    assert version.body == "Changed."


def test_a_version_in_review_or_published_is_not_edited(agent, knowledge_manager):
    article = _published(agent, knowledge_manager)
    with pytest.raises(TransitionNotAllowed, match="only a draft can be edited"):
        article_draft_update(
            actor=agent,
            version=article.versions.get(),
            title="x",
            body="y",
            change_summary="z",
            audience=Article.Audience.PUBLIC,
        )


def test_audience_change_takes_effect_only_when_the_version_is_published(
    agent, knowledge_manager, org_user
):
    article = _published(agent, knowledge_manager, audience=Article.Audience.SIGNED_IN)
    draft = _edit(agent, article, audience=Article.Audience.STAFF)
    assert articles_readable_by(org_user).filter(pk=article.pk).exists()
    article_submit(actor=agent, version=draft)
    article_approve(actor=knowledge_manager, version=draft)
    assert not articles_readable_by(org_user).filter(pk=article.pk).exists()


def test_retire_needs_a_reason_and_hides_the_article_and_reinstate_brings_it_back(
    agent, knowledge_manager
):
    article = _published(agent, knowledge_manager)
    with pytest.raises(ActionNotPermitted):
        article_retire(actor=agent, article=article, reason="Out of date")
    with pytest.raises(ValidationFailed):
        article_retire(actor=knowledge_manager, article=article, reason="")
    article_retire(actor=knowledge_manager, article=article, reason="Replaced by KB0000009")
    article.refresh_from_db()
    assert article.state == Article.State.RETIRED
    assert not articles_readable_by(agent).filter(pk=article.pk).exists()
    with pytest.raises(TransitionNotAllowed, match="retired"):
        _edit(agent, article)
    with pytest.raises(TransitionNotAllowed, match="already retired"):
        article_retire(actor=knowledge_manager, article=article, reason="Again")
    article_reinstate(actor=knowledge_manager, article=article, reason="Still needed")
    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED
    assert article.versions.count() == 1


def test_compare_shows_the_lines_changed_since_the_previous_version(agent, knowledge_manager):
    article = _published(agent, knowledge_manager)
    draft = _edit(agent, article)
    before, fields = version_compare(draft)
    assert before.label == "1.0"
    text = next(field for field in fields if field.label == "Text")
    assert text.changed
    added = [row.new_text for row in text.rows if row.kind == "added"]
    assert added == ["4. Check the acknowledgement."]
    title = next(field for field in fields if field.label == "Title")
    assert not title.changed
    first_before, _ = version_compare(article.versions.get(major=1))
    assert first_before is None


def test_every_step_is_in_the_audit_trail_with_who_why_and_which_version(agent, knowledge_manager):
    """§12: an audit trail of who changed what, why and when."""
    article = _published(agent, knowledge_manager)
    _edit(agent, article)
    trail = list(
        article.audit_entries.order_by("at", "id").values_list(
            "action", "actor__email", "version__major", "detail"
        )
    )
    assert trail == [
        ("created", agent.email, 1, "First version."),
        ("submitted", agent.email, 1, "First version."),
        ("approved", knowledge_manager.email, 1, ""),
        ("published", knowledge_manager.email, 1, "First version."),
        ("edited", agent.email, 2, "Added the acknowledgement step."),
    ]


# --- controlled documents (§12) -----------------------------------------------------------------


@pytest.fixture
def approvers(db):
    return [
        _staff("dee.desklead@mhhs.example", roles.SERVICE_MANAGER),
        _staff("ivy.incident@mhhs.example", roles.INCIDENT_MANAGER),
    ]


def _controlled(author, manager, approvers) -> Article:
    article = _draft(author, title="Operations manual: Incident management")
    article_governance_set(
        actor=manager, article=article, is_controlled_document=True, approvers=approvers
    )
    return article


def test_a_controlled_document_is_published_only_when_every_named_approver_approves(
    agent, knowledge_manager, approvers
):
    article = _controlled(agent, knowledge_manager, approvers)
    version = article_submit(actor=agent, version=article.versions.get())
    with pytest.raises(ActionNotPermitted, match="named approvers"):
        article_approve(actor=knowledge_manager, version=version)
    article_approve(actor=approvers[0], version=version, comment="Agreed.")
    article.refresh_from_db()
    assert article.state == Article.State.IN_REVIEW
    with pytest.raises(TransitionNotAllowed, match="already decided"):
        article_approve(actor=approvers[0], version=version)
    article_approve(actor=approvers[1], version=version, comment="Fine by incident management.")
    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED
    decisions = list(
        ArticleApproval.objects.filter(version=version).values_list(
            "approver__email", "decision", "comment"
        )
    )
    assert decisions == [
        (approvers[0].email, "approved", "Agreed."),
        (approvers[1].email, "approved", "Fine by incident management."),
    ]


def test_publishing_a_controlled_document_sends_the_summary_of_changes_to_stakeholders(
    agent, knowledge_manager, approvers
):
    article = _controlled(agent, knowledge_manager, approvers)
    version = article_submit(actor=agent, version=article.versions.get())
    for approver in approvers:
        article_approve(actor=approver, version=version)
    told = set(
        Notification.objects.filter(event="knowledge_controlled_document_published").values_list(
            "user__email", flat=True
        )
    )
    assert told == {agent.email, *(approver.email for approver in approvers)}
    emails = OutboundMessage.objects.filter(template="knowledge_controlled_document_published")
    assert emails.count() == 3
    assert all(article.number in message.subject for message in emails)
    # The change summary is typed by people: read in the console, never emailed (§10.5.5).
    assert not any("First version." in message.body_text for message in emails)


def test_one_approver_returning_a_controlled_document_sends_it_back(
    agent, knowledge_manager, approvers
):
    article = _controlled(agent, knowledge_manager, approvers)
    version = article_submit(actor=agent, version=article.versions.get())
    article_approve(actor=approvers[0], version=version)
    article_reject(actor=approvers[1], version=version, comment="Escalation times are wrong.")
    version.refresh_from_db()
    assert version.state == ArticleVersion.State.REJECTED
    # Resubmitted, it is decided afresh by everyone.
    article_submit(actor=agent, version=version)
    assert not version.approvals.exists()


def test_a_controlled_document_needs_named_approvers(agent, knowledge_manager):
    article = _draft(agent)
    with pytest.raises(ValidationFailed, match="at least one named approver"):
        article_governance_set(
            actor=knowledge_manager, article=article, is_controlled_document=True, approvers=[]
        )
    with pytest.raises(ActionNotPermitted):
        article_governance_set(
            actor=agent, article=article, is_controlled_document=True, approvers=[agent]
        )


def test_naming_approvers_is_audited(agent, knowledge_manager, approvers):
    article = _controlled(agent, knowledge_manager, approvers)
    entry = article.audit_entries.get(action=ArticleAuditEntry.Action.APPROVERS)
    assert entry.actor == knowledge_manager
    assert approvers[0].email in entry.detail or str(approvers[0]) in entry.detail


def test_sending_for_review_tells_the_knowledge_managers(agent, knowledge_manager):
    article = _draft(agent)
    article_submit(actor=agent, version=article.versions.get())
    told = Notification.objects.filter(event="knowledge_approval_requested")
    assert list(told.values_list("user__email", flat=True)) == [knowledge_manager.email]


def test_sending_a_controlled_document_for_review_tells_its_named_approvers(
    agent, knowledge_manager, approvers
):
    article = _controlled(agent, knowledge_manager, approvers)
    article_submit(actor=agent, version=article.versions.get())
    told = set(
        Notification.objects.filter(event="knowledge_approval_requested").values_list(
            "user__email", flat=True
        )
    )
    assert told == {approver.email for approver in approvers}
