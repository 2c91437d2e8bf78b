"""The console's Knowledge panel in a real browser (issue 12, point 8): an agent searches the
knowledge base from a case page, attaches an article to the reply to the caller in one click
(the panel's script fills the reply box), sends the reply, and the case records the article."""

import re

from cases.models import CaseArticleLink
from tests.e2e.pages import agent_page, open_page
from tests.factories.cases import CaseFactory
from tests.factories.glossary import published_article
from tickets.models import JournalEntry


def test_agent_attaches_an_article_to_the_reply_in_one_click(browser, live_server, agent, org_user):
    base = live_server.url
    case = CaseFactory(caller=org_user)
    article = published_article(title="Renewing an expired DIP certificate")
    page = agent_page(browser, base, agent.email)

    open_page(page, f"{base}/admin/cases/case/{case.pk}/change/")
    panel = page.locator("#knowledge-panel")
    panel.get_by_label("Search knowledge articles").fill("DIP certificate")
    panel.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"kb_q=DIP"))

    panel.get_by_role("button", name=re.compile("Attach to reply")).first.click()
    reply = page.locator("#reply-to-caller-body")
    assert f"{article.number} Renewing an expired DIP certificate: " in reply.input_value()
    assert f"/knowledge/{article.number}/" in reply.input_value()
    assert page.locator("#knowledge-panel [role=status]").inner_text() == (
        "Added to your reply to the caller."
    )
    # Still on the case page: the script filled the box rather than reloading.
    assert "kb_attach" not in page.url

    reply.press("End")
    reply.type("\n\nThis should help you renew it.")
    page.locator("#reply-to-caller").get_by_role("button", name="Send reply").click()
    page.wait_for_load_state()

    link = CaseArticleLink.objects.get(case=case)
    assert (link.article, link.kind, link.added_by) == (
        article,
        CaseArticleLink.Kind.ATTACHED,
        agent,
    )
    comment = JournalEntry.objects.get(ticket_id=case.pk, kind=JournalEntry.Kind.COMMENT)
    assert article.number in comment.body and "This should help" in comment.body
