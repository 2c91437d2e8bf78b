"""A case for a caller who phones, in a real browser (§3.1; issue 10 point 8): the agent signs in
with TOTP, raises the case in the console for a participant of the chosen organisation, and the
participant finds it in My Cases as their own."""

import re

from cases.models import Case
from tests.e2e.browser import sign_in, sign_in_with_totp


def test_agent_raises_a_phone_case_and_the_participant_sees_it(
    browser, live_server, agent, org, org_user
):
    base = live_server.url

    # 1. The agent signs in (password and code) and lands in the console.
    console = browser.new_context().new_page()
    sign_in_with_totp(console, base, agent.email)
    console.wait_for_url(f"{base}/admin/")

    # 2. From the case list, "Raise a case for a caller": organisation, then its people.
    console.goto(f"{base}/admin/cases/case/")
    console.get_by_role("link", name="Raise a case for a caller").first.click()
    console.wait_for_url(re.compile(r"/admin/cases/case/raise-for-caller/$"))
    console.select_option("select[name=organisation]", label=org.name)
    console.get_by_role("button", name="Show its people").click()
    console.wait_for_load_state()
    console.select_option("select[name=caller]", label=f"{org_user.full_name} ({org_user.email})")
    console.fill("input[name=party_id]", "NPSU")
    console.select_option("select[name=category]", label="Market Systems")
    console.fill("input[name=short_description]", "Phoned in: settlement file missing")
    console.fill("textarea[name=description]", "Caller says the 10:00 settlement file is missing.")
    # Enter in a field raises the case (not "Show its people", the first button in the form).
    console.press("input[name=short_description]", "Enter")
    console.wait_for_url(re.compile(r"/admin/cases/case/\d+/change/$"))
    case = Case.objects.get()
    assert case.number in console.content()
    assert (case.caller, case.opened_by, case.channel) == (org_user, agent, Case.Channel.PHONE)

    # 3. The participant sees it as theirs in My Cases and opens it.
    participant = browser.new_context().new_page()
    sign_in(participant, base, org_user.email)
    participant.wait_for_url(f"{base}/")
    participant.goto(f"{base}/cases/")
    assert case.number in participant.content()
    participant.get_by_role("link", name=re.compile(case.number)).first.click()
    participant.wait_for_url(f"{base}/cases/{case.number}/")
    assert "Phoned in: settlement file missing" in participant.content()
