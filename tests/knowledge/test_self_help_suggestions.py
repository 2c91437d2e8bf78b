"""Self-help while raising a case (§11.2.2): the suggestion endpoint answers with articles the
user may read, and records what it showed once per user, article and day, within a budget."""

from datetime import timedelta

import pytest
from django.utils import timezone

from knowledge.models import SUGGESTION_IMPRESSIONS_PER_USER_DAY, Article, SuggestionImpression
from knowledge.self_help import (
    readable_article_ids,
    suggestion_impressions_prune,
    suggestion_impressions_record,
)
from tests.factories.glossary import published_article

pytestmark = pytest.mark.django_db

SUGGEST = "/knowledge/suggest/"
OPENED = "/knowledge/suggest/opened/"


@pytest.fixture
def articles(db):
    return {
        "signed_in": published_article(title="DIP certificate renewal", summary="Renew it."),
        "public": published_article(
            title="Resetting your portal password", audience=Article.Audience.PUBLIC
        ),
        "staff": published_article(
            title="DIP certificate runbook for the desk", audience=Article.Audience.STAFF
        ),
        "draft": Article.objects.create(
            number="KB9999999",
            title="DIP certificate draft",
            body="x",
            owner=published_article(title="owner holder").owner,
        ),
    }


def test_suggestions_are_articles_the_user_may_read(org_client, articles):
    data = org_client.get(SUGGEST, {"q": "DIP certificate"}).json()
    numbers = [row["number"] for row in data["results"]]
    assert numbers == [articles["signed_in"].number]
    row = data["results"][0]
    assert row["url"] == f"/knowledge/{articles['signed_in'].number}/"
    assert row["title"] == "DIP certificate renewal"


def test_a_staff_only_article_is_suggested_to_staff_only(agent_client, org_client, articles):
    staff_numbers = {
        r["number"] for r in agent_client.get(SUGGEST, {"q": "runbook"}).json()["results"]
    }
    assert articles["staff"].number in staff_numbers
    assert org_client.get(SUGGEST, {"q": "runbook"}).json()["results"] == []


def test_a_short_or_missing_query_suggests_nothing(org_client, articles):
    assert org_client.get(SUGGEST, {"q": "DI"}).json() == {"results": []}
    assert org_client.get(SUGGEST).json() == {"results": []}
    assert not SuggestionImpression.objects.exists()


def test_signed_out_is_refused_with_a_message_not_a_redirect(client, articles):
    response = client.get(SUGGEST, {"q": "DIP certificate"})
    assert response.status_code == 401
    assert "Sign in" in response.json()["error"]


def test_what_was_shown_is_recorded_once_per_user_article_and_day(org_client, org_user, articles):
    for _ in range(3):
        org_client.get(SUGGEST, {"q": "DIP certificate"})
    impression = SuggestionImpression.objects.get()
    assert (impression.user, impression.article, impression.day) == (
        org_user,
        articles["signed_in"],
        timezone.localdate(),
    )


def test_a_user_is_recorded_for_at_most_the_days_budget(org_user):
    many = [
        published_article(title=f"Article {n}")
        for n in range(SUGGESTION_IMPRESSIONS_PER_USER_DAY + 5)
    ]
    first = suggestion_impressions_record(user=org_user, articles=many[:30])
    second = suggestion_impressions_record(user=org_user, articles=many[30:])
    assert first == 30
    assert second == SUGGESTION_IMPRESSIONS_PER_USER_DAY - 30
    assert SuggestionImpression.objects.count() == SUGGESTION_IMPRESSIONS_PER_USER_DAY


def test_impressions_past_the_retention_period_are_pruned(org_user, articles):
    today = timezone.localdate()
    old = SuggestionImpression.objects.create(
        user=org_user, article=articles["signed_in"], day=today - timedelta(days=401)
    )
    kept = SuggestionImpression.objects.create(
        user=org_user, article=articles["signed_in"], day=today - timedelta(days=10)
    )
    assert suggestion_impressions_prune() == 1
    assert list(SuggestionImpression.objects.all()) == [kept]
    assert not SuggestionImpression.objects.filter(pk=old.pk).exists()


def test_opening_a_suggestion_marks_todays_impression(org_client, articles):
    org_client.get(SUGGEST, {"q": "DIP certificate"})
    response = org_client.post(OPENED, {"article": str(articles["signed_in"].pk)})
    assert response.json() == {"recorded": True}
    assert SuggestionImpression.objects.get().opened


@pytest.mark.parametrize("value", ["", "abc", "-1", "1" * 40, "99999999"])
def test_opening_garbage_or_an_unknown_article_is_a_400(org_client, value, articles):
    response = org_client.post(OPENED, {"article": value})
    assert response.status_code == 400
    assert "error" in response.json()


def test_opening_a_staff_article_as_a_service_user_is_refused(org_client, articles):
    response = org_client.post(OPENED, {"article": str(articles["staff"].pk)})
    assert response.status_code == 400


def test_readable_article_ids_keep_only_readable_ids_in_order(org_user, articles):
    raw = [
        f"{articles['public'].pk}, x,{articles['staff'].pk}",
        str(articles["signed_in"].pk),
        "<b>",
    ]
    assert readable_article_ids(org_user, raw) == [articles["public"].pk, articles["signed_in"].pk]
    assert readable_article_ids(org_user, [str(articles["draft"].pk)]) == []


def test_asking_for_suggestions_too_often_is_a_429_with_a_message(
    org_client, articles, monkeypatch
):
    monkeypatch.setattr("knowledge.self_help.SUGGESTIONS_PER_MINUTE", 2)
    assert org_client.get(SUGGEST, {"q": "DIP certificate"}).status_code == 200
    assert org_client.get(SUGGEST, {"q": "DIP certificate"}).status_code == 200
    refused = org_client.get(SUGGEST, {"q": "DIP certificate"})
    assert refused.status_code == 429
    assert "wait a moment" in refused.json()["error"]


def test_the_daily_task_prunes_old_impressions(org_user, articles):
    from knowledge.self_help_tasks import suggestion_impressions_prune_task

    SuggestionImpression.objects.create(
        user=org_user, article=articles["public"], day=timezone.localdate() - timedelta(days=500)
    )
    assert suggestion_impressions_prune_task.delay().get() == {"pruned": 1}
    assert not SuggestionImpression.objects.exists()
