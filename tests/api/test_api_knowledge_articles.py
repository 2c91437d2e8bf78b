"""Knowledge articles API (§11; issue 12 point 12): search and read by audience, feedback."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from knowledge.models import Article, ArticleFeedback
from tests.conftest import login_client
from tests.factories.published_articles import published_article
from tickets.models import Service

pytestmark = pytest.mark.django_db

LIST = "/api/v1/knowledge/articles/"


def test_search_returns_ranked_hits_with_snippets(org_client):
    published_article(title="Monthly report", body="The settlement figures.")
    top = published_article(title="Settlement timetable", body="Runs nightly.")
    response = org_client.get(LIST, {"search": "settlement"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["number"] for r in body["results"]][0] == top.number
    assert "<mark>" in body["results"][1]["snippet_html"]


def test_a_staff_only_article_never_appears_to_a_service_user_in_the_api(org_client):
    secret = published_article(title="Settlement override", audience=Article.Audience.STAFF)
    listed = org_client.get(LIST, {"search": "settlement"}).json()
    assert listed["results"] == []
    assert org_client.get(LIST).json()["results"] == []
    response = org_client.get(f"{LIST}{secret.number}/")
    assert response.status_code == 404
    assert secret.title not in response.content.decode()


def test_signed_out_callers_read_public_articles_only():
    public = published_article(title="Public guide", audience=Article.Audience.PUBLIC)
    members = published_article(title="Members guide", audience=Article.Audience.SIGNED_IN)
    client = Client()
    assert [r["number"] for r in client.get(LIST).json()["results"]] == [public.number]
    assert client.get(f"{LIST}{public.number}/").status_code == 200
    assert client.get(f"{LIST}{members.number}/").status_code == 404


def test_detail_has_markdown_and_sanitised_html(org_client):
    article = published_article(body="**Bold** <script>alert(1)</script>")
    body = org_client.get(f"{LIST}{article.number}/").json()
    assert body["body_markdown"] == "**Bold** <script>alert(1)</script>"
    assert "<strong>Bold</strong>" in body["body_html"]
    assert "<script>" not in body["body_html"]
    assert body["version"] == "1.0"


def test_feedback_is_recorded_and_counted(org_client, org_user):
    article = published_article()
    response = org_client.post(
        f"{LIST}{article.number}/feedback/",
        {"helpful": False, "comment": "Needs an example."},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["helpful"] is False
    article.refresh_from_db()
    assert article.not_helpful_count == 1
    assert ArticleFeedback.objects.get().user == org_user


def test_bad_feedback_is_a_400_with_field_errors(org_client):
    article = published_article()
    response = org_client.post(
        f"{LIST}{article.number}/feedback/",
        {"comment": "x" * 2001},
        content_type="application/json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"helpful", "comment"}


def test_signed_out_callers_cannot_send_feedback():
    article = published_article(audience=Article.Audience.PUBLIC)
    response = Client().post(
        f"{LIST}{article.number}/feedback/", {"helpful": True}, content_type="application/json"
    )
    assert response.status_code in (401, 403)
    assert not ArticleFeedback.objects.exists()


def test_bad_list_filters_are_a_400(org_client):
    response = org_client.get(LIST, {"category": "abc", "page": "0"})
    assert response.status_code == 400


def test_search_query_count_does_not_grow_with_results(org_user, django_assert_num_queries):
    client = login_client(org_user)
    for i in range(3):
        published_article(title=f"Settlement {i}")
    client.get(LIST, {"search": "settlement"})  # warm: session, user, permissions
    with CaptureQueriesContext(connection) as first:
        client.get(LIST, {"search": "settlement"})
    for i in range(10):
        published_article(title=f"Settlement more {i}")
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(LIST, {"search": "settlement"})
    assert response.json()["count"] == 13
    assert len(first.captured_queries) <= 7


def test_detail_query_count_does_not_grow_with_services(org_user, django_assert_num_queries):
    client = login_client(org_user)
    services = list(Service.objects.all()[:3])
    few, many = published_article(services=services[:1]), published_article(services=services)
    client.get(f"{LIST}{few.number}/")  # warm
    with CaptureQueriesContext(connection) as first:
        client.get(f"{LIST}{few.number}/")
    with django_assert_num_queries(len(first.captured_queries)):
        response = client.get(f"{LIST}{many.number}/")
    assert len(response.json()["services"]) == 3
