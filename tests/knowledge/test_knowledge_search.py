"""Knowledge search (§11.1, §11.2.2): ranking, audience, typo tolerance and safe snippets."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from core.pagination import CappedPaginator
from knowledge.models import Article
from knowledge.search import article_hits, article_search, article_search_queryset
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


@postgres_only
def test_a_phrase_finds_the_words_side_by_side_only_on_postgresql(org_user):
    """§11.2.2: a quoted phrase matches the words next to each other, in the title or the body,
    never the same words apart."""
    in_title = published_article(title="Settlement run timetable", body="Listed nightly.")
    in_body = published_article(title="Night jobs", body="Each settlement run starts at 02:00.")
    published_article(title="Run books", body="A settlement report is read after the run ends.")
    found = [h.article for h in article_search(org_user, '"settlement run"')]
    assert found == [in_title, in_body]


@postgres_only
def test_a_word_joined_by_a_hyphen_is_matched_as_written_on_postgresql(org_user):
    """§11.2.2: "two-factor" is searched as a phrase (its parts side by side)."""
    wanted = published_article(title="Two-factor sign-in", body="Set up an authenticator app.")
    published_article(title="Sign-in factor", body="Two ways to check a reading.")
    assert [h.article for h in article_search(org_user, "two-factor")] == [wanted]


@postgres_only
def test_an_excluded_phrase_excludes_the_phrase_not_its_words_on_postgresql(org_user):
    """§11.2.2: `-"run failed"` drops articles holding the phrase only; the phrase is not
    loosened into its words under the exclusion."""
    apart = published_article(title="Settlement run", body="Nothing failed today.")
    published_article(title="Settlement run failed", body="What to do.")
    assert [h.article for h in article_search(org_user, 'settlement -"run failed"')] == [apart]


@postgres_only
def test_a_search_reads_its_ranked_matches_and_one_page_in_two_queries_on_postgresql(
    org_user, django_assert_num_queries
):
    """Issue 12: candidates ranked and ordered in one query, the page's articles with their
    category and highlighted snippets in one more, whatever the number of matches; the
    paginator counts the ranked ids without a query."""
    category = Category.objects.filter(active=True).first()
    for i in range(25):
        published_article(
            title=f"Settlement note {i}", body=f"Settlement for period {i}.", category=category
        )
    with django_assert_num_queries(1):
        found, fuzzy = article_search_queryset(org_user, "settlement")
    with django_assert_num_queries(0):
        paginator = CappedPaginator(found, 20)
        assert paginator.count == 25 and not fuzzy
    with django_assert_num_queries(1):
        hits = article_hits(paginator.page(2).object_list, "settlement")
        assert [h.article.category for h in hits] == [category] * 5
        assert all("<mark>" in str(h.snippet_html) for h in hits)
    with django_assert_num_queries(2):
        assert len(article_search(org_user, '"settlement note"', limit=5)) == 5


@postgres_only
def test_a_misspelt_search_reads_its_close_titles_once_on_postgresql(
    org_user, django_assert_num_queries
):
    """§11.2.2 typo tolerance: the full-text query finds nothing, the typed words are put right
    against the words of titles, the titles holding them are ranked in one query and the page
    read in one more."""
    published_article(title="Settlement run failed", body="What to do.")
    with django_assert_num_queries(4):
        [hit] = article_search(org_user, "setlement")
    assert hit.fuzzy and hit.rank > 0


def _title_words() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM knowledge_title_word")
        return {row[0] for row in cursor.fetchall()}


@postgres_only
def test_the_words_of_titles_are_kept_as_titles_are_written_on_postgresql():
    """§11.2.2: every word of three letters or more of a new or changed title is there to put
    typing mistakes right, in lower case, split on anything but letters and digits."""
    article = published_article(title="DIP two-factor set-up")
    assert {"dip", "two", "factor", "set"} <= _title_words()
    Article.objects.filter(pk=article.pk).update(title="Interconnector outage")
    assert {"interconnector", "outage"} <= _title_words()


@postgres_only
def test_each_misspelt_word_is_put_right_and_titles_holding_all_are_found_on_postgresql(
    org_user,
):
    """§11.2.2: "settlment rnu" finds the title with both words, not one with only one."""
    both = published_article(title="Settlement run failed", body="What to do.")
    published_article(title="Settlement report", body="Monthly figures.")
    hits = article_search(org_user, "settlment runn")
    assert [h.article for h in hits] == [both] and hits[0].fuzzy


@postgres_only
def test_a_misspelling_near_no_title_word_falls_back_to_title_similarity_on_postgresql(
    org_user,
):
    """§11.2.2: a word no title word comes near (here none is kept at all) is still compared
    with whole titles by trigram word similarity."""
    wanted = published_article(title="Settlement run failed", body="What to do.")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM knowledge_title_word")
    hits = article_search(org_user, "setlement")
    assert [h.article for h in hits] == [wanted] and hits[0].fuzzy


@postgres_only
def test_one_match_taken_by_index_is_read_alone_on_postgresql(org_user, django_assert_num_queries):
    """Issue 12: `found[i]` reads that article only, with its rank, as a list would give it."""
    first = published_article(title="Settlement run timetable")
    second = published_article(title="Reading your report", body="The settlement figures.")
    found, _ = article_search_queryset(org_user, "settlement")
    with django_assert_num_queries(1):
        taken = found[1]
    assert taken == second and taken.rank < 1
    assert found[0] == first and found[0].rank > 2
    with pytest.raises(IndexError):
        found[2]


@postgres_only
def test_body_matches_fill_only_what_title_matches_leave_of_the_cap_on_postgresql(
    org_user, monkeypatch
):
    """Issue 12: at most CANDIDATES_EACH matches are ranked; title-or-summary matches come
    first, body-only matches fill the rest, so when titles fill the cap no body is read."""
    from knowledge import search

    monkeypatch.setattr(search, "CANDIDATES_EACH", 3)
    titles = [published_article(title=f"Settlement guide {n}", body="Nothing.") for n in range(2)]
    bodies = [
        published_article(title=f"Other topic {n}", body="Settlement notes.") for n in range(3)
    ]
    found = [hit.article for hit in article_search(org_user, "settlement")]
    assert len(found) == 3
    assert set(found[:2]) == set(titles) and found[2] in bodies

    titles.append(published_article(title="Settlement guide 2", body="Nothing."))
    titles.append(published_article(title="Settlement guide 3", body="Nothing."))
    found = [hit.article for hit in article_search(org_user, "settlement")]
    assert len(found) == 3 and set(found) <= set(titles)
