"""Self-help in a real browser (Debian chromium driven by Playwright; issue 12, points 7 and 9):
a service user browses the glossary A–Z and filters it by letter (§11.2.1), then starts raising
a case; as they type the subject the form suggests a matching article (§11.2.2), they open it,
raise the case anyway, and the case records the article shown and opened. No critical or
serious axe-core finding on the glossary or on the raise-case form showing suggestions, in a
laptop window and on a phone, and neither page scrolls sideways.

It starts where §11.2.2 starts: the user searches the knowledge base, opens the article found
and says it did not help, with a comment."""

import re

from cases.models import Case, CaseArticleLink
from knowledge.models import ArticleFeedback, SuggestionImpression
from tests.e2e.pages import VIEWPORTS, open_page, overflow, participant_page, serious_axe_violations
from tests.factories.glossary import published_article


def test_glossary_letters_and_suggestions_while_raising_a_case(browser, live_server, org_user):
    base = live_server.url
    article = published_article(
        title="Renewing an expired DIP certificate",
        summary="What to do when DIP rejects messages because the certificate expired.",
    )
    page = participant_page(browser, base, org_user.email)
    problems: list[str] = []

    # 0. The knowledge base: search, open the article found, say it did not help.
    open_page(page, f"{base}/knowledge/")
    page.get_by_role("textbox", name="Search the knowledge base").fill("DIP certificate")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"/knowledge/\?.*q=DIP"))
    found = page.locator(".knowledge-results a.case-card__link", has_text=article.number)
    assert "Renewing an expired DIP certificate" in found.inner_text()
    found.click()
    page.wait_for_url(re.compile(rf"/knowledge/{article.number}/$"))
    assert page.get_by_role("heading", level=1).inner_text() == article.title
    page.get_by_label("No", exact=True).check()
    page.get_by_label("Comment (optional)").fill("It does not say where to download the new one.")
    page.get_by_role("button", name="Send feedback").click()
    page.get_by_text("Thank you: you have told us whether this article helped.").wait_for()
    feedback = ArticleFeedback.objects.get(article=article)
    assert (feedback.helpful, feedback.user) == (False, org_user)
    article.refresh_from_db()
    assert (article.not_helpful_count, article.helpful_count) == (1, 0)

    # 1. The glossary, filtered by a letter: only that letter's terms, the letter marked.
    open_page(page, f"{base}/knowledge/glossary/")
    page.get_by_role("navigation", name="Glossary letters").get_by_role(
        "link", name="D", exact=True
    ).click()
    page.wait_for_url(re.compile(r"letter=D"))
    terms = page.locator(".glossary__term").all_inner_texts()
    assert "DIP" in terms and all(term.startswith("D") for term in terms)
    current = page.locator(".glossary-letters a[aria-current=page]")
    assert current.inner_text() == "D"
    for size, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        problems += [f"glossary at {size}: {line}" for line in serious_axe_violations(page)]
        wide = overflow(page)
        assert wide is None, f"glossary at {size}: {wide}"

    # 2. A search within the glossary that finds nothing offers to ask for the term.
    page.fill("#glossary-q", "flux capacitor")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()
    assert "No terms match" in page.content()
    page.get_by_role("link", name=re.compile("Ask us to add it")).click()
    page.wait_for_url(re.compile(r"/cases/new/"))
    assert page.input_value("input[name=short_description]") == "Add item to Glossary"

    # 3. Typing the subject suggests the article in the live region.
    page.fill("input[name=short_description]", "")
    page.locator("input[name=short_description]").press_sequentially("DIP certificate expired")
    suggestion = page.locator("#article-suggestions a[data-kb-article]")
    suggestion.first.wait_for()
    assert article.number in suggestion.first.inner_text()
    assert "(opens in a new tab" in suggestion.first.inner_text()
    for size, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        problems += [f"raise form at {size}: {line}" for line in serious_axe_violations(page)]
        wide = overflow(page)
        assert wide is None, f"raise form at {size}: {wide}"
    assert not problems, "axe-core findings:\n" + "\n".join(problems)

    # 4. They open it (a new tab, the form stays), then raise the case anyway.
    with page.context.expect_page() as opened:
        suggestion.first.click()
    opened.value.close()
    page.wait_for_function("document.querySelector('[data-kb-opened]').value !== ''", timeout=5_000)
    page.fill("input[name=party_id]", "NPSU")
    page.select_option("select[name=category]", label="Market Systems")
    page.fill("textarea[name=description]", "DIP rejects our messages: certificate expired.")
    page.get_by_role("button", name="Raise case", exact=True).click()
    page.wait_for_url(re.compile(r"/cases/CS\d{7}/$"))

    # 5. The case records the suggestion, shown and opened; the impression was kept.
    case = Case.objects.get(number=re.search(r"CS\d{7}", page.url).group(0))
    link = CaseArticleLink.objects.get(case=case)
    assert (link.article, link.kind, link.opened) == (
        article,
        CaseArticleLink.Kind.SUGGESTED,
        True,
    )
    assert SuggestionImpression.objects.filter(user=org_user, article=article).exists()
