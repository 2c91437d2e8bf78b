"""Publishing a known error (§6.4, §11): a problem with a workaround becomes a knowledge article
holding its symptoms and workaround, linked both ways; publishing again makes a new version.
A knowledge manager's version is published at once, a problem manager's goes for review."""

import pytest

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from knowledge.models import Article, ArticleVersion
from knowledge.services import article_approve
from problems.known_errors import problem_known_error_publish
from problems.services import problem_update
from tickets.selectors import journal_for


def _with_workaround(problem, actor, workaround="Resend the message after 02:00."):
    problem_update(problem=problem, actor=actor, workaround=workaround)
    problem.refresh_from_db()
    return problem


def test_a_known_error_needs_a_workaround(problem, problem_manager):
    with pytest.raises(ValidationFailed, match="workaround"):
        problem_known_error_publish(actor=problem_manager, problem=problem)


def test_only_problem_and_knowledge_managers_publish_known_errors(problem, agent, problem_manager):
    _with_workaround(problem, problem_manager)
    with pytest.raises(ActionNotPermitted):
        problem_known_error_publish(actor=agent, problem=problem)


def test_a_problem_managers_known_error_goes_for_review_and_links_both_ways(
    problem, problem_manager, knowledge_manager
):
    _with_workaround(problem, problem_manager)
    article = problem_known_error_publish(actor=problem_manager, problem=problem)
    problem.refresh_from_db()
    assert problem.known_error_article == article
    assert list(article.known_error_problems.all()) == [problem]
    assert article.state == Article.State.IN_REVIEW
    version = article.versions.get()
    assert version.state == ArticleVersion.State.IN_REVIEW
    assert problem.description in version.body
    assert "Resend the message after 02:00." in version.body
    assert version.title == f"Known error: {problem.short_description}"
    article_approve(actor=knowledge_manager, version=version)
    article.refresh_from_db()
    assert article.state == Article.State.PUBLISHED
    assert list(article.services.values_list("code", flat=True)) == ["dip"]
    journal = [entry.body for entry in journal_for(problem, include_work_notes=True)]
    assert any(article.number in body and "sent for review" in body for body in journal)


def test_a_knowledge_manager_publishes_at_once_and_again_as_a_new_version(
    problem, problem_manager, knowledge_manager
):
    _with_workaround(problem, problem_manager)
    article = problem_known_error_publish(actor=knowledge_manager, problem=problem)
    assert (article.state, article.version_label) == (Article.State.PUBLISHED, "1.0")
    _with_workaround(problem, problem_manager, "Switch to the backup gateway.")
    article = problem_known_error_publish(actor=knowledge_manager, problem=problem)
    assert article.version_label == "2.0"
    assert "Switch to the backup gateway." in article.body
    assert Article.objects.count() == 1


def test_a_version_already_in_review_is_decided_first(problem, problem_manager):
    _with_workaround(problem, problem_manager)
    problem_known_error_publish(actor=problem_manager, problem=problem)
    with pytest.raises(TransitionNotAllowed, match="already waiting for review"):
        problem_known_error_publish(actor=problem_manager, problem=problem)
