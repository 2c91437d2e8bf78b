"""The console case page's Knowledge panel (§11.1, issue 12 point 8): agents search the
articles they may read and attach one to the reply to the caller in one click; the case
records the articles sent in replies. With no search, the panel costs the page no query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import CaseArticleLink
from knowledge.models import Article
from tests.factories.cases import CaseFactory
from tests.factories.glossary import published_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


@pytest.fixture
def articles(db):
    return {
        "guide": published_article(title="DIP certificate renewal"),
        "runbook": published_article(
            title="DIP certificate runbook", audience=Article.Audience.STAFF
        ),
    }


def _page_url(case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def test_the_panel_sits_beside_the_reply_and_asks_nothing_without_a_search(agent_client, case):
    agent_client.get(_page_url(case))  # warm caches
    with CaptureQueriesContext(connection) as queries:
        page = agent_client.get(_page_url(case)).content.decode()
    assert page.index('id="reply-to-caller"') < page.index('id="knowledge-panel"')
    assert 'name="kb_q"' in page
    assert not [q for q in queries.captured_queries if "knowledge_article" in q["sql"]]


def test_search_lists_articles_the_agent_may_read_with_attach_buttons(agent_client, case, articles):
    page = agent_client.get(_page_url(case), {"kb_q": "DIP certificate"}).content.decode()
    for article in articles.values():
        assert f"{article.number} {article.title}" in page
        assert f'name="kb_attach" value="{article.pk}"' in page
    assert f'data-kb-reply-text="{articles["guide"].number} DIP certificate renewal: http' in page


def test_a_search_with_no_match_says_so(agent_client, case, articles):
    page = agent_client.get(_page_url(case), {"kb_q": "zebra crossing"}).content.decode()
    assert "No article you can read matches" in page


def test_attach_without_the_script_offers_a_pre_filled_reply(agent_client, case, articles):
    guide = articles["guide"]
    page = agent_client.get(
        _page_url(case), {"kb_q": "DIP", "kb_attach": str(guide.pk)}
    ).content.decode()
    assert 'id="knowledge-reply"' in page
    assert f'name="knowledge_article" value="{guide.pk}"' in page
    assert (
        f"{guide.number} DIP certificate renewal: http://testserver/knowledge/{guide.number}/"
        in page
    )


@pytest.mark.parametrize("value", ["abc", "-1", "999999", "1" * 30])
def test_attaching_garbage_is_ignored_not_an_error(agent_client, case, value):
    response = agent_client.get(_page_url(case), {"kb_attach": value})
    assert response.status_code == 200
    assert 'id="knowledge-reply"' not in response.content.decode()


def test_sending_the_reply_records_the_attached_articles(agent_client, agent, case, articles):
    guide = articles["guide"]
    url = reverse("admin:cases_case_comment", args=[case.pk])
    agent_client.post(
        url,
        {
            "kind": "comment",
            "body": f"This should help: {guide.number}",
            "knowledge_article": [str(guide.pk), "junk"],
        },
    )
    link = CaseArticleLink.objects.get()
    assert (link.case, link.article, link.kind, link.added_by) == (
        case,
        guide,
        CaseArticleLink.Kind.ATTACHED,
        agent,
    )


def test_a_work_note_or_a_refused_reply_records_no_article(agent_client, case, articles):
    url = reverse("admin:cases_case_comment", args=[case.pk])
    pk = str(articles["guide"].pk)
    agent_client.post(url, {"kind": "work_note", "body": "note", "knowledge_article": pk})
    agent_client.post(url, {"kind": "comment", "body": "", "knowledge_article": pk})
    assert not CaseArticleLink.objects.exists()
