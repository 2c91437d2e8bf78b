"""Knowledge base portal pages (§11.1, §11.2): search, read by audience, feedback, view
counts and the "missing" / "request a new article" paths to the raise-case form."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from knowledge.forms import ArticleSearchForm
from knowledge.models import Article, ArticleFeedback
from tests.factories.published_articles import published_article
from tickets.models import Category

pytestmark = pytest.mark.django_db

SEARCH = "/knowledge/"


def _article_url(article):
    return reverse("knowledge:article", kwargs={"number": article.number})


def test_search_page_lists_matches_with_number_title_and_highlighted_snippet(org_client):
    article = published_article(
        title="Settlement run timetable", body="Each settlement run starts at 02:00."
    )
    response = org_client.get(SEARCH, {"q": "settlement"})
    assert response.status_code == 200
    page = response.content.decode()
    assert article.number in page and "Settlement run timetable" in page
    assert "<mark>" in page
    assert 'for="id_q"' in page


def test_a_staff_only_article_never_appears_to_a_service_user_in_the_portal(org_client):
    secret = published_article(
        title="Settlement override for agents", audience=Article.Audience.STAFF
    )
    page = org_client.get(SEARCH, {"q": "settlement"}).content.decode()
    assert secret.title not in page and secret.number not in page
    response = org_client.get(_article_url(secret))
    assert response.status_code == 404
    assert secret.title not in response.content.decode()


def test_staff_read_staff_only_articles(agent_client):
    secret = published_article(title="Settlement override", audience=Article.Audience.STAFF)
    assert agent_client.get(_article_url(secret)).status_code == 200
    assert secret.number in agent_client.get(SEARCH, {"q": "override"}).content.decode()


def test_signed_out_readers_see_public_articles_only():
    public = published_article(title="Public guide", audience=Article.Audience.PUBLIC)
    members = published_article(title="Members guide", audience=Article.Audience.SIGNED_IN)
    client = Client()
    assert client.get(_article_url(public)).status_code == 200
    assert client.get(_article_url(members)).status_code == 404
    page = client.get(SEARCH, {"q": "guide"}).content.decode()
    assert public.title in page and members.title not in page


def test_article_page_renders_markdown_safely_with_version_and_services(org_client):
    article = published_article(
        title="Certificates", body="# Renewing\n\n**Do** this.\n\n<script>alert(1)</script>\n"
    )
    page = org_client.get(_article_url(article)).content.decode()
    assert "<h2>Renewing</h2>" in page and "<strong>Do</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert "version 1.0" in page


def test_an_unknown_article_number_is_a_404(org_client):
    assert org_client.get("/knowledge/KB9999999/").status_code == 404


def test_views_are_counted_once_per_session_and_never_for_head(org_client, org_user):
    article = published_article()
    url = _article_url(article)
    org_client.get(url)
    org_client.get(url)
    org_client.head(url)
    article.refresh_from_db()
    assert article.view_count == 1
    Client().head(url)
    article.refresh_from_db()
    assert article.view_count == 1


def test_not_helpful_feedback_with_a_comment_is_recorded_once(org_client, org_user):
    article = published_article()
    url = reverse("knowledge:article_feedback", kwargs={"number": article.number})
    response = org_client.post(url, {"helpful": "no", "comment": "Missing the cut-off time."})
    assert response.status_code == 302
    feedback = ArticleFeedback.objects.get()
    assert (feedback.helpful, feedback.user, feedback.version_label) == (False, org_user, "1.0")
    article.refresh_from_db()
    assert (article.helpful_count, article.not_helpful_count) == (0, 1)
    again = org_client.post(url, {"helpful": "yes"})
    assert again.status_code == 400
    assert "already told us" in again.content.decode()
    assert ArticleFeedback.objects.count() == 1


def test_feedback_without_an_answer_is_a_400_with_the_error_by_the_field(org_client):
    article = published_article()
    url = reverse("knowledge:article_feedback", kwargs={"number": article.number})
    response = org_client.post(url, {"helpful": "maybe", "comment": "x" * 2001})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose yes or no." in page and "2,000 characters" in page
    assert not ArticleFeedback.objects.exists()


def test_something_missing_link_opens_the_raise_case_form_prefilled(org_client):
    article = published_article(title="Certificates")
    response = org_client.get(_article_url(article))
    link = response.context["missing_url"]
    params = parse_qs(urlparse(link).query)
    assert params["subject"] == [f"Missing from {article.number}: Certificates"]
    assert _article_url(article) in params["description"][0]
    form_page = org_client.get(link)
    form = form_page.context["form"]
    assert form.initial["short_description"] == params["subject"][0]
    assert f"Missing from {article.number}" in form_page.content.decode()


def test_an_empty_search_offers_to_request_a_new_article(org_client):
    response = org_client.get(SEARCH, {"q": "interconnector"})
    page = response.content.decode()
    assert "No articles match your search" in page
    params = parse_qs(urlparse(response.context["request_article_url"]).query)
    assert params["subject"] == ["Knowledge article request: interconnector"]


def test_signed_out_request_links_go_through_sign_in():
    response = Client().get(SEARCH, {"q": "nothing here"})
    assert response.context["request_article_url"].startswith(reverse("account_login"))


def test_raise_case_prefill_is_trimmed_and_limited_to_subject_and_description(org_client):
    response = org_client.get(
        reverse("portal:case_create"),
        {"subject": "S" * 500 + "\x07", "description": "Line one\nLine two", "category": "1"},
    )
    form = response.context["form"]
    assert form.initial["short_description"] == "S" * 160
    assert form.initial["description"] == "Line one\nLine two"
    assert "category" not in form.initial


def test_search_filters_by_category_and_bad_filters_are_a_400(org_client):
    response = org_client.get(SEARCH, {"q": "x", "category": "not-a-number"})
    assert response.status_code == 400
    assert "That category is not one of the choices." in response.content.decode()


def test_search_page_paginates(org_client):
    for i in range(23):
        published_article(title=f"Settlement note {i}")
    first = org_client.get(SEARCH, {"q": "settlement"})
    second = org_client.get(SEARCH, {"q": "settlement", "page": 2})
    assert len(first.context["hits"]) == 20 and len(second.context["hits"]) == 3
    assert "Showing 1–20 of 23 articles" in first.content.decode()


def test_the_portal_home_page_has_a_knowledge_search_box_and_nav_entry(org_client):
    page = org_client.get(reverse("portal:home")).content.decode()
    assert f'action="{SEARCH}"' in page
    assert 'for="home-knowledge-q"' in page
    assert ">Knowledge</a>" in page


def _plain(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize(
    "data",
    [{}, {"q": "x", "category": "", "service": "dip"}, {"q": "x", "category": "not-a-number"}],
)
def test_search_filters_are_drawn_as_djangos_select_draws_them(data):
    """§11.2.2 search filters, drawn in Python for speed (issue 12): the same markup as
    Django's Select — options, the one chosen, error attributes — with names escaped."""
    Category.objects.create(name='Odd <b>"name"</b>', active=True)
    form = ArticleSearchForm(data or None)
    form.is_valid()
    drawn = {name: str(form[name]) for name in ("category", "service")}
    assert "&lt;b&gt;&quot;name&quot;&lt;/b&gt;" in drawn["category"]
    for name in ("category", "service"):
        form.fields[name].widget = forms.Select(choices=form.fields[name].choices)
        assert _plain(drawn[name]) == _plain(form[name])
