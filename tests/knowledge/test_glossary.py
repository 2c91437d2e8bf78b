"""The glossary (§11.2.1, Appendix A): seeded terms, browsing A–Z with letter filtering,
searching within it, the "ask us to add it" case, and the knowledge manager's console."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from accounts import roles
from core.errors import ActionNotPermitted
from knowledge.glossary import (
    GLOSSARY_REQUEST_SUBJECT,
    glossary_entries_set_active,
    glossary_letter_choice,
)
from knowledge.models import Article, GlossaryEntry, glossary_letter
from tests.conftest import _staff, mfa_client
from tests.factories.glossary import glossary_entry, published_article

pytestmark = pytest.mark.django_db

URL = "/knowledge/glossary/"


@pytest.fixture
def knowledge_manager(db):
    return _staff("kim.knowledge@mhhs.example", roles.KNOWLEDGE_MANAGER)


def test_appendix_a_terms_are_seeded_with_their_letters():
    dip = GlossaryEntry.objects.get(term="DIP")
    assert dip.letter == "D"
    assert "Data Integration Platform" in dip.definition
    assert GlossaryEntry.objects.filter(term="MPAN", letter="M", active=True).exists()
    assert GlossaryEntry.objects.count() >= 60


def test_letter_and_slug_follow_the_term():
    entry = glossary_entry("  zonal   pricing ")
    assert (entry.term, entry.letter, entry.slug) == ("zonal pricing", "Z", "zonal-pricing")
    assert glossary_letter("3-phase supply") == "#"
    twin = glossary_entry("Zonal-pricing")
    assert twin.slug == "zonal-pricing-2"


def test_a_term_already_in_the_glossary_in_another_case_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already has this term"):
        GlossaryEntry(term="dip", definition="again").validate_constraints()


def test_glossary_needs_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_letter_filter_shows_only_that_letters_terms_and_marks_the_letter(org_client):
    response = org_client.get(URL, {"letter": "d"})
    page = response.content.decode()
    assert response.status_code == 200
    terms = [row["entry"].term for row in response.context["rows"]]
    assert "DIP" in terms and "DNO" in terms
    assert all(term.upper().startswith("D") for term in terms)
    assert '<a class="glossary-letters__link" href="?letter=D" aria-current="page">D</a>' in page


def test_letters_without_terms_are_shown_disabled_not_as_links(org_client):
    GlossaryEntry.objects.filter(letter="Q").delete()
    page = org_client.get(URL).content.decode()
    assert 'href="?letter=Q"' not in page
    assert 'aria-disabled="true">Q<span class="visually-hidden"> (no terms)</span>' in page
    assert 'href="?letter=M"' in page


def test_an_unknown_letter_or_page_shows_all_terms_not_an_error(org_client):
    assert glossary_letter_choice("<script>") == ""
    response = org_client.get(URL, {"letter": "<script>", "page": "zz"})
    assert response.status_code == 200
    assert response.context["letter"] == ""
    assert response.context["page"].number == 1


def test_search_within_the_glossary_matches_term_or_definition(org_client):
    response = org_client.get(URL, {"q": "switching service"})
    terms = {row["entry"].term for row in response.context["rows"]}
    assert "CSS" in terms
    assert "DIP" not in terms


def test_no_match_shows_an_empty_state_with_the_request_to_add_it(org_client):
    response = org_client.get(URL, {"q": "flux capacitor"})
    page = response.content.decode()
    assert response.context["rows"] == []
    assert "No terms match" in page
    query = parse_qs(urlsplit(response.context["request_url"]).query)
    assert query["subject"] == [GLOSSARY_REQUEST_SUBJECT]
    assert "No documentation for searched topic – flux capacitor" in query["description"][0]


def test_the_request_link_opens_the_raise_case_form_pre_filled(org_client):
    url = org_client.get(URL, {"q": "flux"}).context["request_url"]
    form = org_client.get(url).context["form"]
    assert form.initial["short_description"] == "Add item to Glossary"
    assert form.initial["description"].startswith("No documentation for searched topic – flux")


def test_inactive_terms_are_not_shown(org_client):
    GlossaryEntry.objects.filter(term="DIP").update(active=False)
    terms = {row["entry"].term for row in org_client.get(URL, {"letter": "D"}).context["rows"]}
    assert "DIP" not in terms


def test_related_article_is_offered_only_to_readers_who_may_read_it(org_client, agent):
    internal = published_article(title="DIP runbook", audience=Article.Audience.STAFF)
    public = published_article(title="DIP onboarding guide")
    glossary_entry("DIP adaptor", related_article=internal)
    glossary_entry("DIP certificate", related_article=public)
    page = org_client.get(URL, {"q": "DIP"}).content.decode()
    assert "DIP runbook" not in page
    assert f"{public.number} DIP onboarding guide" in page
    staff_page = mfa_client(agent).get(URL, {"q": "DIP"}).content.decode()
    assert "DIP runbook" in staff_page


def test_definition_markdown_is_rendered_and_scripts_are_inert(org_client):
    glossary_entry(
        "Zebra",
        "**Striped** <script>alert(1)</script> [x](javascript:alert(1))",
    )
    page = org_client.get(URL, {"letter": "Z"}).content.decode()
    assert "<strong>Striped</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert 'href="javascript:' not in page


def test_only_a_knowledge_manager_shows_or_hides_terms(agent, knowledge_manager):
    entries = GlossaryEntry.objects.filter(term="DIP")
    with pytest.raises(ActionNotPermitted):
        glossary_entries_set_active(actor=agent, entries=entries, active=False)
    assert glossary_entries_set_active(actor=knowledge_manager, entries=entries, active=False) == 1
    assert not GlossaryEntry.objects.get(term="DIP").active


def test_knowledge_manager_edits_the_glossary_in_the_console(knowledge_manager, agent):
    client = mfa_client(knowledge_manager)
    add_url = reverse("admin:knowledge_glossaryentry_add")
    response = client.post(
        add_url, {"term": "Settlement Run", "definition": "A *run*.", "active": "on"}
    )
    assert response.status_code == 302
    entry = GlossaryEntry.objects.get(term="Settlement Run")
    assert entry.letter == "S"
    duplicate = client.post(add_url, {"term": "settlement run", "definition": "Again."})
    assert duplicate.status_code == 200
    assert "already has this term" in duplicate.content.decode()
    changelist = reverse("admin:knowledge_glossaryentry_changelist")
    assert mfa_client(agent).get(changelist).status_code == 403


def test_an_entrys_services_are_listed_with_it(org_client):
    from tickets.models import Service

    service = Service.objects.filter(active=True).first()
    entry = glossary_entry("Zeta message")
    entry.services.add(service)
    page = org_client.get(URL, {"letter": "Z"}).content.decode()
    assert f"Services: {service}" in page


def test_the_glossary_page_costs_the_same_queries_for_more_entries(
    org_client, django_assert_num_queries
):
    from tickets.models import Service

    service = Service.objects.filter(active=True).first()
    glossary_entry("Zeta one").services.add(service)
    org_client.get(URL)  # warm the session and caches
    with django_assert_num_queries(6) as first:
        org_client.get(URL, {"letter": "Z"})
    for n in range(5):
        glossary_entry(
            f"Zeta more {n}", related_article=published_article(title=f"Z {n}")
        ).services.add(service)
    with django_assert_num_queries(len(first.captured_queries)):
        org_client.get(URL, {"letter": "Z"})
