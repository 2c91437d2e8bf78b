"""Knowledge authoring in the console (§11, §12): the list and its review filter, the editor
with its preview and errors next to the fields, approval from the article page, the ".x"
review, retire, the approvers of a controlled document, the comparison page, the approval
queue, and a known error published from a problem's page. Refusals are messages or form
errors, never a 500."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts import roles
from knowledge.models import Article, ArticleVersion
from knowledge.services import (
    article_approve,
    article_create,
    article_submit,
    article_version_draft,
)
from problems.services import problem_create, problem_update
from tests.conftest import _staff, mfa_client
from tests.factories.cases import category

UK = ZoneInfo("Europe/London")
CHANGELIST = "admin:knowledge_article_changelist"


@pytest.fixture
def km_client(knowledge_manager):
    return mfa_client(knowledge_manager)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _url(name, *args) -> str:
    return reverse(f"admin:knowledge_article_{name}", args=args)


def _published(author, manager, title="Raising a case with the service desk") -> Article:
    article = article_create(
        actor=author,
        title=title,
        body="Use the portal's **Raise a case** page.",
        change_summary="First version.",
    )
    version = article.versions.get()
    article_submit(actor=author, version=version)
    article_approve(actor=manager, version=version)
    article.refresh_from_db()
    return article


def _editor_post(**fields) -> dict:
    return {
        "title": "Handling MPAN data",
        "summary": "What to do with MPANs.",
        "body": "Never email an MPAN.\n\n<script>alert(1)</script>",
        "audience": "signed_in",
        "change_summary": "First version.",
        "save": "Save draft",
        **fields,
    }


def test_an_agent_writes_a_draft_from_the_add_page(agent_client):
    response = agent_client.post(_url("add"), _editor_post())
    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("change", article.pk)
    assert article.state == Article.State.DRAFT


def test_the_editor_shows_errors_next_to_the_fields(agent_client):
    response = agent_client.post(_url("add"), _editor_post(title="", change_summary=""))
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"title", "change_summary"}
    assert not Article.objects.exists()


def test_the_preview_is_rendered_safely_and_nothing_is_saved(agent_client):
    response = agent_client.post(_url("add"), _editor_post(preview="Preview"))
    assert response.status_code == 200
    preview = str(response.context["preview"])
    assert "<script>" not in preview
    assert "&lt;script&gt;" in preview
    assert not Article.objects.exists()


def test_the_article_page_renders_markdown_and_lists_versions_and_audit(
    agent, knowledge_manager, km_client
):
    article = _published(agent, knowledge_manager)
    response = km_client.get(_url("change", article.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Raise a case</strong>" in html
    assert "Compare 1.0 with previous" in html
    assert "Audit trail" in html and "First version." in html
    assert "Record review with no change" in html
    assert "Retire" in html


def test_an_author_sees_no_manager_actions(agent, knowledge_manager, resolver):
    article = _published(agent, knowledge_manager)
    html = mfa_client(resolver).get(_url("change", article.pk)).content.decode()
    assert "Retire" not in html
    assert "Record review with no change" not in html
    assert "Edit (new version)" in html


def test_a_knowledge_manager_edits_sends_approves_and_publishes_2_0(
    agent, knowledge_manager, km_client
):
    article = _published(agent, knowledge_manager)
    response = km_client.post(
        _url("edit", article.pk),
        {
            "title": article.title,
            "summary": "",
            "body": article.body + "\n\nAttach screenshots if you can.",
            "audience": "signed_in",
            "change_summary": "Ask for screenshots.",
            "submit": "Save and send for review",
        },
    )
    assert response.status_code == 302
    version = article.versions.get(major=2)
    assert version.state == ArticleVersion.State.IN_REVIEW
    response = km_client.post(_url("decide", article.pk, version.pk), {"approve": "1"}, follow=True)
    assert "Version 2.0 of " + article.number + " approved and published." in _messages(response)
    article.refresh_from_db()
    assert article.version_label == "2.0"
    compare = km_client.get(_url("compare", article.pk, version.pk))
    assert compare.status_code == 200
    assert "Added: " in compare.content.decode()
    assert "Attach screenshots if you can." in compare.content.decode()


def test_returning_without_a_comment_is_refused_with_a_message(agent, knowledge_manager, km_client):
    article = article_create(actor=agent, title="T", body="B", change_summary="C")
    version = article_submit(actor=agent, version=article.versions.get())
    response = km_client.post(
        _url("decide", article.pk, version.pk), {"reject": "1", "comment": ""}, follow=True
    )
    assert "Tell the author what to change." in _messages(response)
    version.refresh_from_db()
    assert version.state == ArticleVersion.State.IN_REVIEW


def test_an_author_cannot_approve_through_the_url(agent, agent_client):
    article = article_create(actor=agent, title="T", body="B", change_summary="C")
    version = article_submit(actor=agent, version=article.versions.get())
    response = agent_client.post(
        _url("decide", article.pk, version.pk), {"approve": "1"}, follow=True
    )
    assert "Only a knowledge manager can approve or return a version." in _messages(response)


def test_review_with_no_change_from_the_page(agent, knowledge_manager, km_client):
    article = _published(agent, knowledge_manager)
    response = km_client.post(_url("review", article.pk), {"comment": ""}, follow=True)
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.version_label == "1.1"


def test_retire_needs_a_reason_shown_next_to_the_field(agent, knowledge_manager, km_client):
    article = _published(agent, knowledge_manager)
    response = km_client.post(_url("retire", article.pk), {"reason": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["A reason is required."]
    response = km_client.post(_url("retire", article.pk), {"reason": "Replaced."})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.state == Article.State.RETIRED


def test_an_agent_may_not_open_the_retire_page(agent, knowledge_manager, agent_client):
    article = _published(agent, knowledge_manager)
    assert agent_client.get(_url("retire", article.pk)).status_code == 403


def test_naming_approvers_and_the_queue_shows_the_version_to_them(
    agent, knowledge_manager, km_client, service_manager
):
    article = article_create(actor=agent, title="Operations manual", body="B", change_summary="C")
    response = km_client.post(
        _url("governance", article.pk),
        {"is_controlled_document": "on", "approvers": [service_manager.pk]},
        follow=True,
    )
    assert f"Approvers of {article.number} saved." in _messages(response)
    article_submit(actor=agent, version=article.versions.get())
    manager_queue = km_client.get(_url("queue")).content.decode()
    assert article.number not in manager_queue
    approver_client = mfa_client(service_manager)
    assert article.number in approver_client.get(_url("queue")).content.decode()
    page = approver_client.get(_url("change", article.pk)).content.decode()
    assert "not yet approved" in page and 'value="Approve"' in page


def test_controlled_document_without_approvers_is_refused_next_to_the_field(
    agent, knowledge_manager, km_client
):
    article = article_create(actor=agent, title="Operations manual", body="B", change_summary="C")
    response = km_client.post(_url("governance", article.pk), {"is_controlled_document": "on"})
    assert response.status_code == 200
    assert "at least one named approver" in str(response.context["form"].errors["approvers"])


def test_the_list_filters_overdue_reviews_and_tells_the_manager(
    agent, knowledge_manager, km_client
):
    with time_machine.travel(datetime(2026, 1, 15, 10, tzinfo=UK), tick=False):
        old = _published(agent, knowledge_manager, title="Old article")
    with time_machine.travel(datetime(2026, 4, 10, 10, tzinfo=UK), tick=False):
        fresh = _published(agent, knowledge_manager, title="Fresh article")
    with time_machine.travel(datetime(2026, 4, 20, 10, tzinfo=UK), tick=False):
        response = km_client.get(reverse(CHANGELIST), {"review": "overdue"})
        html = response.content.decode()
    assert old.number in html and fresh.number not in html
    assert "1 article overdue for review" in html
    assert old.next_review_on == date(2026, 4, 15)


def test_the_list_searches_by_number_and_title(agent, knowledge_manager, km_client):
    first = _published(agent, knowledge_manager, title="DIP onboarding")
    second = _published(agent, knowledge_manager, title="Password help")
    html = km_client.get(reverse(CHANGELIST), {"q": "onboarding"}).content.decode()
    assert first.number in html and second.number not in html
    html = km_client.get(reverse(CHANGELIST), {"q": second.number}).content.decode()
    assert second.number in html and first.number not in html


def test_unknown_article_or_version_is_a_404_not_a_500(agent, knowledge_manager, km_client):
    article = _published(agent, knowledge_manager)
    assert km_client.get(_url("compare", article.pk, 999999)).status_code == 404
    assert km_client.get(_url("edit", 999999)).status_code == 404


def test_editing_while_a_version_is_in_review_says_so(agent, knowledge_manager, km_client):
    article = _published(agent, knowledge_manager)
    version = article_version_draft(
        actor=agent, article=article, title="T", body="New", change_summary="Why"
    )
    article_submit(actor=agent, version=version)
    response = km_client.get(_url("edit", article.pk), follow=True)
    assert any("waiting for review" in message for message in _messages(response))


def test_the_problem_page_publishes_a_known_error(knowledge_manager, agent, resolver_group):
    problem_manager = _staff("pam.problem@mhhs.example", roles.PROBLEM_MANAGER)
    problem = problem_create(
        actor=agent,
        short_description="Nightly DIP rejections",
        description="Messages are rejected each night.",
        category=category("Market Systems"),
        assignment_group=resolver_group,
        impact=2,
        urgency=2,
    )
    client = mfa_client(knowledge_manager)
    page = client.get(reverse("admin:problems_problem_change", args=[problem.pk]))
    assert "Publish known error" in page.content.decode()
    url = reverse("admin:problems_problem_known_error", args=[problem.pk])
    response = client.post(url, follow=True)
    assert any("Record a workaround" in message for message in _messages(response))
    problem_update(problem=problem, actor=problem_manager, workaround="Resend after 02:00.")
    response = client.post(url, follow=True)
    problem.refresh_from_db()
    article = problem.known_error_article
    assert f"Known error published as {article.number}, version 1.0." in _messages(response)
    assert article.number in response.content.decode()
    article_page = client.get(_url("change", article.pk)).content.decode()
    assert problem.number in article_page


@pytest.mark.parametrize("size", [2, 12])
def test_article_list_query_count_does_not_grow_with_the_articles(
    agent, knowledge_manager, km_client, size, django_assert_num_queries
):
    for n in range(size):
        _published(agent, knowledge_manager, title=f"Article {n}")
    km_client.get(reverse(CHANGELIST))  # warm the access cache
    # The same number of queries for 2 or 12 articles: owners are joined, counts capped.
    with django_assert_num_queries(8):
        response = km_client.get(reverse(CHANGELIST))
    assert response.status_code == 200


@pytest.mark.parametrize("edits", [1, 6])
def test_article_page_query_count_does_not_grow_with_the_versions(
    agent, knowledge_manager, km_client, edits, django_assert_num_queries
):
    article = _published(agent, knowledge_manager)
    for n in range(edits):
        version = article_version_draft(
            actor=agent, article=article, title=article.title, body=f"Text {n}", change_summary="x"
        )
        article_submit(actor=agent, version=version)
        article_approve(actor=knowledge_manager, version=version)
    km_client.get(_url("change", article.pk))  # warm the access cache
    # The same number of queries for 2 or 7 versions: authors and deciders are joined, the
    # audit trail is one capped page.
    with django_assert_num_queries(10):
        response = km_client.get(_url("change", article.pk))
    assert response.status_code == 200
