"""Customer updates checked by the desk, in a real browser (§10.3, Appendix G): a resolver
resolves the incident linked to a case; the agent finds the case in the "Awaiting update"
queue, edits the proposed text, sends it and resolves the case; the participant reads the
agent's words and never the resolver's notes."""

import re

from cases.models import Case, ProposedUpdate
from cases.services import case_raise_incident
from tests.e2e.browser import sign_in, sign_in_with_totp
from tests.factories.cases import CaseFactory

RESOLVER_NOTES = "Bounced dip-adaptor-7f9c on node 2 (OOM); raised heap to 4G; replayed DLQ."
DESK_TEXT = "We found and fixed the fault in the message service; your messages flow again."


def test_agent_edits_the_incident_resolution_sends_it_and_the_participant_reads_it(
    browser, live_server, org_user, agent, resolver, resolver_group
):
    base = live_server.url
    case = CaseFactory(caller=org_user, short_description="DIP messages rejected since 09:00")
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )

    # 1. The resolver works the incident and resolves it in the console.
    console = browser.new_context().new_page()
    sign_in_with_totp(console, base, resolver.email)
    console.goto(f"{base}/admin/incidents/incident/{incident.pk}/change/")
    console.locator("a.console-transition-start").click()
    console.locator("form [type=submit].default").click()
    console.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    console.locator("a.console-transition-resolve").click()
    console.fill("textarea[name=notes]", RESOLVER_NOTES)
    console.locator("select[name=code]").select_option(value="solved")
    console.locator("form [type=submit].default").click()
    console.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS  # nothing reaches the caller by itself

    # The participant sees nothing of the resolver's notes yet.
    participant = browser.new_context().new_page()
    sign_in(participant, base, org_user.email)
    participant.goto(f"{base}/cases/{case.number}/")
    assert RESOLVER_NOTES not in participant.content()

    # 2. The agent opens the "Awaiting update" queue and reviews the case.
    desk = browser.new_context().new_page()
    sign_in_with_totp(desk, base, agent.email)
    desk.goto(f"{base}/admin/")
    desk.get_by_role("link", name="Awaiting update").click()
    desk.wait_for_url(re.compile(r"/admin/cases/case/awaiting-update/"))
    row = desk.locator(f'tr[data-case="{case.number}"]')
    assert incident.number in row.inner_text()
    row.get_by_role("link", name="Review").click()
    desk.wait_for_url(re.compile(rf"/admin/cases/case/{case.pk}/change/"))

    # 3. The proposed text is prefilled; the agent rewrites it, then sends and resolves.
    box = desk.get_by_role("textbox", name="Update for the caller")
    assert box.input_value() == RESOLVER_NOTES
    box.fill(DESK_TEXT)
    desk.get_by_label("Resolution code (optional)").select_option("solved")
    desk.get_by_role("button", name="Send and resolve").click()
    desk.wait_for_url(re.compile(rf"/admin/cases/case/{case.pk}/change/$"))
    assert f"Update sent to the caller and {case.number} resolved" in desk.content()
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED and case.resolution_notes == DESK_TEXT
    assert ProposedUpdate.objects.get(case=case).status == ProposedUpdate.Status.SENT

    # 4. The participant reads the agent's words — not the resolver's notes — and confirms.
    participant.goto(f"{base}/cases/{case.number}/")
    page = participant.content()
    assert DESK_TEXT in page and RESOLVER_NOTES not in page
    assert participant.locator(".timeline__item--resolution").count() == 1
    participant.get_by_role("button", name="Confirm resolution").click()
    participant.wait_for_url(re.compile(rf"/cases/{case.number}/$"))
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED

    # The queue is clear again.
    desk.goto(f"{base}/admin/cases/case/awaiting-update/")
    assert "Nothing awaits review" in desk.content()
