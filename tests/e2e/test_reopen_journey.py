"""Reopening by comment in a real browser (§10.3): the participant comments on a Resolved case
and it is In Progress again; they comment on a Closed case and the request appears in the
console's reopen queue, where the agent raises a new linked case for one and reopens another;
the participant sees which in the portal."""

import re

from cases.models import Case, ReopenRequest
from cases.services import case_transition
from tests.e2e.browser import sign_in, sign_in_with_totp
from tests.factories.cases import CaseFactory
from tickets.models import TicketLink


def _resolved(case, agent):
    case = case_transition(case=case, actor=agent, name="start")
    return case_transition(case=case, actor=agent, name="resolve", notes="Adaptor restarted.")


def _closed(case, agent):
    return case_transition(case=_resolved(case, agent), actor=agent, name="close")


def _comment(page, base: str, number: str, text: str, button: str) -> None:
    page.goto(f"{base}/cases/{number}/")
    page.fill("textarea[name=comment-body]", text)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(rf"/cases/{number}/$"))


def test_comments_reopen_a_resolved_case_and_ask_to_reopen_a_closed_one(
    browser, live_server, org_user, agent
):
    base = live_server.url
    resolved = _resolved(CaseFactory(caller=org_user, short_description="DIP rejections"), agent)
    for_new_case = _closed(CaseFactory(caller=org_user, short_description="Late D0010"), agent)
    for_reopening = _closed(CaseFactory(caller=org_user, short_description="MDR feed gap"), agent)

    participant = browser.new_context().new_page()
    sign_in(participant, base, org_user.email)

    # 1. A comment on a Resolved case reopens it; the page said it would.
    participant.goto(f"{base}/cases/{resolved.number}/")
    assert "Adding a comment reopens your case" in participant.content()
    _comment(
        participant, base, resolved.number, "Still rejected at 09:40.", "Add comment and reopen"
    )
    assert "is reopened" in participant.content()
    resolved.refresh_from_db()
    assert resolved.state == Case.State.IN_PROGRESS and resolved.reopen_count == 1

    # 2. A comment on a Closed case asks the desk to reopen it; the page said so.
    participant.goto(f"{base}/cases/{for_new_case.number}/")
    assert "asks the service desk to reopen it" in participant.content()
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    sign_in(phone, base, org_user.email)
    phone.goto(f"{base}/cases/{for_new_case.number}/")
    # The comment box and its words fit a phone without scrolling sideways.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    _comment(participant, base, for_new_case.number, "Late again since Monday.", "Ask to reopen")
    assert "Your request to reopen" in participant.content()
    _comment(participant, base, for_reopening.number, "The gap is back.", "Ask to reopen")
    for_new_case.refresh_from_db()
    assert for_new_case.state == Case.State.CLOSED
    assert ReopenRequest.objects.filter(status=ReopenRequest.Status.PENDING).count() == 2

    # 3. The agent finds both in the reopen queue, linked from the console home.
    console = browser.new_context().new_page()
    sign_in_with_totp(console, base, agent.email)
    console.goto(f"{base}/admin/")
    console.get_by_role("link", name="Requests to reopen closed cases").click()
    console.wait_for_url(re.compile(r"/admin/cases/case/reopen-requests/$"))
    # The queue fits a laptop window without scrolling sideways.
    assert console.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    row = console.locator(f"tr[data-case='{for_new_case.number}']")
    assert "Late again since Monday." in row.inner_text()
    row.get_by_role("button", name="Raise a new linked case").click()
    console.wait_for_url(re.compile(r"/admin/cases/case/reopen-requests/$"))
    new_case = Case.objects.exclude(pk__in=[resolved.pk, for_new_case.pk, for_reopening.pk]).get()
    assert f"{new_case.number} raised and linked to {for_new_case.number}" in console.content()
    console.locator(f"tr[data-case='{for_reopening.number}']").get_by_role(
        "button", name=f"Reopen {for_reopening.number}"
    ).click()
    console.wait_for_url(re.compile(r"/admin/cases/case/reopen-requests/$"))
    assert "No requests to reopen" in console.content()
    assert TicketLink.objects.filter(
        kind="follow_up", from_id=for_new_case.pk, to_id=new_case.pk
    ).exists()

    # 4. The participant sees which: a link to the new case on the closed one, and the other
    # case back In Progress with the desk's words in its history.
    participant.goto(f"{base}/cases/{for_new_case.number}/")
    panel = participant.locator("#reopen-request")
    assert new_case.number in panel.inner_text()
    panel.get_by_role("link", name=new_case.number).click()
    participant.wait_for_url(re.compile(rf"/cases/{new_case.number}/$"))
    assert "Late again since Monday." in participant.content()
    participant.goto(f"{base}/cases/{for_reopening.number}/")
    assert "The service desk reopened this case at your request." in participant.content()
    for_reopening.refresh_from_db()
    assert for_reopening.state == Case.State.IN_PROGRESS
