"""A knowledge manager edits a published article, sends the new version for review, approves
and publishes it (2.0), and reads the version history and the comparison (§11, §12); the
console's knowledge pages fit a laptop window and a phone and have no critical or serious
axe-core finding."""

import re

import pytest
from django.urls import reverse

from knowledge.models import Article, ArticleVersion
from knowledge.services import (
    article_approve,
    article_create,
    article_governance_set,
    article_submit,
    article_version_draft,
)
from tests.e2e.browser import sign_in_with_totp
from tests.e2e.pages import VIEWPORTS, agent_page, open_page, overflow, serious_axe_violations
from tickets.models import Service

LONG = (
    "Settlement data for the Volume Allocation Service run of Tuesday is delayed because the "
    "Data Integration Platform queues messages from every supplier and distribution operator"
)


def _published(author, manager, *, title: str, body: str) -> Article:
    article = article_create(
        actor=author,
        title=title,
        summary="How a new participant connects to the DIP.",
        body=body,
        change_summary="First version.",
        services=list(Service.objects.filter(code="dip")),
    )
    version = article.versions.get()
    article_submit(actor=author, version=version)
    article_approve(actor=manager, version=version)
    article.refresh_from_db()
    return article


def test_a_knowledge_manager_edits_approves_and_publishes_version_2(
    browser, live_server, agent, knowledge_manager
):
    base = live_server.url
    article = _published(
        agent,
        knowledge_manager,
        title="Onboarding to the DIP",
        body="1. Request a certificate.\n2. Install it.",
    )
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)
    sign_in_with_totp(page, base, knowledge_manager.email)
    page.wait_for_url(re.compile(r"^(?!.*/accounts/2fa/authenticate/)"))

    # The list, searched by title, leads to the article page.
    page.goto(f"{base}{reverse('admin:knowledge_article_changelist')}?q=Onboarding")
    page.get_by_role("link", name=article.number).click()
    page.wait_for_url(re.compile(rf"/admin/knowledge/article/{article.pk}/change/"))

    # Edit: a new draft (2.0) while 1.0 stays published; preview, then send for review.
    page.get_by_role("link", name="Edit (new version)").click()
    page.wait_for_url(re.compile(r"/edit/$"))
    page.get_by_label("Text").fill(
        "1. Request a certificate.\n2. Install it.\n3. Send a **test message**."
    )
    page.get_by_label("Change summary").fill("Added the test-message step.")
    page.get_by_role("button", name="Preview").click()
    assert page.locator("#preview strong", has_text="test message").count() == 1
    page.get_by_role("button", name="Save and send for review").click()
    page.wait_for_url(re.compile(rf"/admin/knowledge/article/{article.pk}/change/"))
    assert "Version 2.0 sent for review." in page.content()
    article.refresh_from_db()
    assert article.version_label == "1.0"

    # Approve and publish.
    page.get_by_label("Comment").fill("Good addition.")
    page.get_by_role("button", name="Approve and publish").click()
    page.wait_for_url(re.compile(rf"/admin/knowledge/article/{article.pk}/change/"))
    assert f"Version 2.0 of {article.number} approved and published." in page.content()
    article.refresh_from_db()
    assert article.version_label == "2.0"
    versions = page.locator("#versions tbody tr")
    assert versions.count() == 2
    assert "Published" in versions.nth(0).inner_text()
    assert "Superseded" in versions.nth(1).inner_text()

    # Compare 2.0 with 1.0: the added line is marked in words.
    page.get_by_role("link", name="Compare 2.0 with previous").click()
    page.wait_for_url(re.compile(r"/compare/$"))
    assert page.locator("tr.kb-diff-added", has_text="Send a **test message**.").count() == 1
    assert "Added:" in page.locator("tr.kb-diff-added").first.inner_text()


@pytest.fixture
def console_pages(agent, knowledge_manager, service_manager):
    article = _published(agent, knowledge_manager, title=LONG[:150], body=f"# {LONG}\n\n{LONG}")
    draft = article_version_draft(
        actor=agent,
        article=article,
        title=article.title,
        body=f"{article.body}\n\n- {LONG}",
        change_summary=LONG[:300],
    )
    article_submit(actor=agent, version=draft)
    controlled = article_create(
        actor=knowledge_manager,
        title="Operations manual: Incident management",
        body=LONG,
        change_summary="First version.",
    )
    article_governance_set(
        actor=knowledge_manager,
        article=controlled,
        is_controlled_document=True,
        approvers=[service_manager],
    )
    published = ArticleVersion.objects.get(article=article, major=1)
    return {
        "article list": reverse("admin:knowledge_article_changelist"),
        "article page": reverse("admin:knowledge_article_change", args=[article.pk]),
        "approval queue": reverse("admin:knowledge_article_queue"),
        "new article": reverse("admin:knowledge_article_add"),
        "editor": reverse("admin:knowledge_article_edit", args=[controlled.pk]),
        "compare": reverse("admin:knowledge_article_compare", args=[article.pk, draft.pk]),
        "compare first": reverse(
            "admin:knowledge_article_compare", args=[article.pk, published.pk]
        ),
        "approvers": reverse("admin:knowledge_article_governance", args=[controlled.pk]),
        "retire": reverse("admin:knowledge_article_retire", args=[article.pk]),
    }


def test_knowledge_console_pages_fit_a_phone_and_pass_axe(
    browser, live_server, console_pages, knowledge_manager
):
    page = agent_page(browser, live_server.url, knowledge_manager.email)
    found = []
    for size, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in console_pages.items():
            open_page(page, f"{live_server.url}{path}")
            wide = overflow(page)
            if wide:
                found.append(f"{name} at {size}: too wide: {wide}")
            found += [f"{name} at {size}: {line}" for line in serious_axe_violations(page)]
    assert not found, "\n".join(found)
