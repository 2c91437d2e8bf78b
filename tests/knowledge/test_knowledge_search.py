"""Knowledge search (§11.1, §11.2.2): ranking, audience, typo tolerance and safe snippets."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from knowledge.models import Article
from knowledge.search import article_search, article_search_queryset
from tests.factories.published_articles import published_article
from tickets.models import Category, Service

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text and trigram search are PostgreSQL's"
)


def test_a_title_match_ranks_above_a_body_match(org_user):
    in_body = published_article(
        title="Reading your monthly report",
        body="The settlement figures appear here. Settlement runs nightly; settlement again.",
    )
    in_title = published_article(title="Settlement run timetable", body="Runs are listed.")
    hits = article_search(org_user, "settlement")
    assert [h.article for h in hits] == [in_title, in_body]
    assert hits[0].rank > hits[1].rank


def test_a_staff_only_article_never_appears_to_a_service_user(org_user, agent):
    published_article(title="Settlement fix for agents", audience=Article.Audience.STAFF)
    public = published_article(title="Settlement guide", audience=Article.Audience.PUBLIC)
    assert [h.article for h in article_search(org_user, "settlement")] == [public]
    assert len(article_search(agent, "settlement")) == 2


def test_signed_out_readers_find_public_articles_only():
    published_article(title="Settlement for members", audience=Article.Audience.SIGNED_IN)
    public = published_article(title="Settlement explained", audience=Article.Audience.PUBLIC)
    assert [h.article for h in article_search(AnonymousUser(), "settlement")] == [public]


def test_drafts_and_retired_articles_are_not_found(org_user):
    published_article(title="Settlement draft", state=Article.State.DRAFT)
    published_article(title="Settlement retired", state=Article.State.RETIRED)
    assert article_search(org_user, "settlement") == []


def test_snippet_highlighting_cannot_inject_html(org_user):
    published_article(
        title="Report help",
        body='Before <script>alert("x")</script> the settlement <img src=x onerror=alert(1)> '
        "figures \ue000mark\ue001 end.",
    )
    [hit] = article_search(org_user, "settlement")
    html = str(hit.snippet_html)
    assert "<script" not in html and "<img" not in html
    assert "&lt;img" in html  # escaped text, not an element
    assert "<mark>settlement</mark>" in html.lower() or "<mark>Settlement</mark>" in html
    # Only our own marks are tags: every "<" left belongs to <mark> or </mark>.
    assert html.count("<") == html.count("<mark>") + html.count("</mark>")
    # The plain snippet is text (templates and the API escape it), not markup.
    assert "<img src=x" in hit.snippet


def test_search_narrows_by_category_and_service(org_user):
    dip = Service.objects.get(code="dip")
    category = Category.objects.filter(active=True).first()
    tagged = published_article(title="Settlement on DIP", category=category, services=[dip])
    published_article(title="Settlement elsewhere")
    found, _ = article_search_queryset(org_user, "settlement", category=category, service=dip)
    assert list(found) == [tagged]


def test_an_empty_or_blank_query_finds_nothing(org_user):
    published_article(title="Settlement")
    assert article_search(org_user, "   ") == []
    assert article_search(org_user, "\x00") == []


@postgres_only
def test_a_misspelt_short_query_finds_the_title_on_postgresql(org_user):
    wanted = published_article(title="Settlement run failed", body="What to do.")
    hits = article_search(org_user, "setlement")
    assert [h.article for h in hits] == [wanted]
    assert hits[0].fuzzy


@postgres_only
def test_full_text_matches_word_forms_on_postgresql(org_user):
    wanted = published_article(title="Rejected dataflows", body="When a flow is rejected.")
    assert [h.article for h in article_search(org_user, "rejecting dataflow")] == [wanted]


@postgres_only
def test_websearch_syntax_excludes_a_word_on_postgresql(org_user):
    keep = published_article(title="Settlement timetable")
    published_article(title="Settlement certificate renewal")
    assert [h.article for h in article_search(org_user, "settlement -certificate")] == [keep]
