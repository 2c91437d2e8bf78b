"""A case raised after self-help suggestions records which articles were shown and opened
(§11.2.2); the raise-case form opens pre-filled from its address (§11.2.1); the deflection
report counts suggestions, openings and cases raised anyway."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from cases.knowledge_links import deflection_articles
from cases.models import Case, CaseArticleLink
from knowledge.models import Article, SuggestionImpression
from tests.conftest import _staff, mfa_client
from tests.factories.cases import category
from tests.factories.glossary import published_article

pytestmark = pytest.mark.django_db

CREATE = reverse("portal:case_create")
REPORT = "/admin/knowledge/suggestionimpression/"


def case_data(org, **overrides) -> dict:
    data = {
        "organisation": org.pk,
        "party_id": "NPSU",
        "category": category("Market Systems").pk,
        "short_description": "DIP certificate expired",
        "description": "Our DIP certificate expired this morning.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def articles(db):
    return [
        published_article(title="DIP certificate renewal"),
        published_article(title="DIP certificate formats"),
        published_article(title="DIP desk runbook", audience=Article.Audience.STAFF),
    ]


def test_raised_case_records_the_suggested_articles_and_which_were_opened(
    org_client, org_user, articles
):
    renewal, formats, _ = articles
    response = org_client.post(
        CREATE,
        case_data(
            org_user.organisation,
            suggested_articles=f"{renewal.pk},{formats.pk}",
            opened_articles=str(formats.pk),
        ),
    )
    assert response.status_code == 302
    case = Case.objects.get(short_description="DIP certificate expired")
    links = {link.article: link for link in case.article_links.all()}
    assert set(links) == {renewal, formats}
    assert all(link.kind == CaseArticleLink.Kind.SUGGESTED for link in links.values())
    assert links[formats].opened and not links[renewal].opened
    assert links[renewal].added_by == org_user


@pytest.mark.parametrize("shown", ["<script>", "1,2,abc", "-5", "9" * 50, ",,,", "1" * 5000])
def test_garbage_in_the_hidden_fields_is_ignored_and_the_case_is_raised(
    org_client, org_user, shown
):
    response = org_client.post(
        CREATE, case_data(org_user.organisation, suggested_articles=shown, opened_articles=shown)
    )
    assert response.status_code == 302
    assert not CaseArticleLink.objects.exists()


def test_articles_the_raiser_may_not_read_are_not_recorded(org_client, org_user, articles):
    renewal, _, runbook = articles
    org_client.post(
        CREATE,
        case_data(
            org_user.organisation,
            suggested_articles=f"{runbook.pk},{renewal.pk}",
            opened_articles=f"{runbook.pk}",
        ),
    )
    assert list(CaseArticleLink.objects.values_list("article", "opened")) == [(renewal.pk, False)]


def test_an_article_opened_but_never_shown_is_not_recorded(org_client, org_user, articles):
    renewal, formats, _ = articles
    org_client.post(
        CREATE,
        case_data(
            org_user.organisation,
            suggested_articles=str(renewal.pk),
            opened_articles=str(formats.pk),
        ),
    )
    assert list(CaseArticleLink.objects.values_list("article", "opened")) == [(renewal.pk, False)]


def test_the_form_without_its_script_raises_a_case_with_no_suggestions(org_client, org_user):
    response = org_client.post(CREATE, case_data(org_user.organisation))
    assert response.status_code == 302
    assert not CaseArticleLink.objects.exists()


def test_the_form_has_the_live_suggestion_region_and_its_hidden_fields(org_client):
    page = org_client.get(CREATE).content.decode()
    assert 'id="article-suggestions" aria-live="polite"' in page
    assert 'data-kb-suggest="/knowledge/suggest/"' in page
    assert 'name="suggested_articles"' in page and 'name="opened_articles"' in page
    assert "js/knowledge_suggest.js" in page


def test_the_raise_case_form_opens_pre_filled_from_its_address(org_client):
    form = org_client.get(
        CREATE, {"subject": "  Add item to Glossary ", "description": "No documentation", "x": "y"}
    ).context["form"]
    assert form.initial["short_description"] == "Add item to Glossary"
    assert form.initial["description"] == "No documentation"
    long = org_client.get(CREATE, {"subject": "s" * 500}).context["form"]
    assert len(long.initial["short_description"]) == 160


@pytest.fixture
def knowledge_manager(db):
    return _staff("kim.knowledge@mhhs.example", roles.KNOWLEDGE_MANAGER)


def test_deflection_counts_suggested_opened_and_cases_raised_anyway(
    org_client, org_user, sibling_user, articles
):
    renewal, formats, _ = articles
    today = timezone.localdate()
    SuggestionImpression.objects.create(user=org_user, article=renewal, day=today, opened=True)
    SuggestionImpression.objects.create(user=sibling_user, article=renewal, day=today)
    SuggestionImpression.objects.create(
        user=sibling_user, article=renewal, day=today - timedelta(days=1)
    )
    SuggestionImpression.objects.create(user=org_user, article=formats, day=today)
    org_client.post(CREATE, case_data(org_user.organisation, suggested_articles=str(renewal.pk)))
    rows = {a.number: (a.suggested, a.opened, a.cases_raised) for a in deflection_articles()}
    assert rows == {renewal.number: (3, 1, 1), formats.number: (1, 0, 0)}
    only_today = {a.number: a.suggested for a in deflection_articles(since=today, until=today)}
    assert only_today[renewal.number] == 2


def test_the_deflection_report_is_for_knowledge_and_service_managers(
    knowledge_manager, service_manager, agent_client, org_user, articles
):
    SuggestionImpression.objects.create(
        user=org_user, article=articles[0], day=timezone.localdate()
    )
    page = mfa_client(knowledge_manager).get(REPORT).content.decode()
    assert "Self-help deflection" in page
    assert f"{articles[0].number} DIP certificate renewal" in page
    assert mfa_client(service_manager).get(REPORT).status_code == 200
    assert agent_client.get(REPORT).status_code == 403


def test_a_bad_period_is_shown_as_an_error_next_to_the_field(knowledge_manager):
    client = mfa_client(knowledge_manager)
    response = client.get(REPORT, {"since": "2026-13-45", "until": "soon"})
    assert response.status_code == 200
    assert "Enter the first day as a date" in response.content.decode()
    backwards = client.get(REPORT, {"since": "2026-11-30", "until": "2026-11-01"})
    assert "The last day must be on or after the first day." in backwards.content.decode()
