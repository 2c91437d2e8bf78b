"""The whole journey in a real browser (Debian chromium driven by Playwright): a participant raises
a case with an attachment, an agent signs in with TOTP, triages it to an incident and resolves
it, the desk sends the resolution it proposes, the participant confirms, and the case is
Closed (§3.2, §4.1, §10.3, §10.5.2, Appendix G)."""

import re

from cases.models import Case
from incidents.models import Incident
from tests.e2e.browser import sign_in, sign_in_with_totp


def test_participant_case_is_triaged_to_an_incident_resolved_and_closed(
    browser, live_server, org_user, agent, resolver_group, tmp_path
):
    base = live_server.url
    log_file = tmp_path / "dip-error.log"
    log_file.write_text("2026-11-27 09:14:02 ERROR DIP message rejected: E123\n")

    # 1. The participant signs in and raises a case with an attachment; the number is shown.
    participant = browser.new_context().new_page()
    sign_in(participant, base, org_user.email)
    participant.goto(f"{base}/cases/new/")
    participant.fill("input[name=party_id]", "NPSU")
    participant.select_option("select[name=category]", label="Market Systems")
    participant.fill("input[name=short_description]", "DIP messages rejected since 09:00")
    participant.fill("textarea[name=description]", "All our DIP messages are rejected with E123.")
    participant.set_input_files("input[name=attachments]", str(log_file))
    participant.get_by_role("button", name="Raise case").click()
    participant.wait_for_url(re.compile(r"/cases/CS\d{7}/$"))
    number = re.search(r"CS\d{7}", participant.url).group(0)
    assert number in participant.content()
    assert "dip-error.log" in participant.content()
    case = Case.objects.get(number=number)
    assert case.state == Case.State.NEW

    # 2. The agent signs in with a TOTP code and triages the case to an incident.
    console = browser.new_context().new_page()
    sign_in_with_totp(console, base, agent.email)
    console.goto(f"{base}/admin/cases/case/triage/")
    assert number in console.content()
    console.goto(f"{base}/admin/cases/case/{case.pk}/triage/")
    incident_form = console.locator("#outcome-incident")
    incident_form.locator("select[name$=assignment_group]").select_option(label=resolver_group.name)
    incident_form.locator("select[name$=impact]").select_option(value="2")
    incident_form.locator("select[name$=urgency]").select_option(value="2")
    incident_form.get_by_role("button", name="Raise incident").click()
    console.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    incident = Incident.objects.get()
    assert incident.number in console.content()

    # 3. The incident is worked and resolved in the console.
    console.locator("a.console-transition-start").click()
    console.locator("form [type=submit].default").click()
    console.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    console.locator("a.console-transition-resolve").click()
    console.fill("textarea[name=notes]", "Restarted the DIP adaptor; messages flow again.")
    console.locator("select[name=code]").select_option(value="solved")
    console.locator("form [type=submit].default").click()
    console.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    incident.refresh_from_db()
    case.refresh_from_db()
    assert incident.state == Incident.State.RESOLVED
    # The incident's resolution is proposed to the desk (Appendix G): the case waits for it.
    assert case.state == Case.State.IN_PROGRESS

    # 3b. The desk sends the proposed resolution as is and resolves the case.
    console.goto(f"{base}/admin/cases/case/{case.pk}/change/")
    console.get_by_role("button", name="Send and resolve").click()
    console.wait_for_url(re.compile(rf"/admin/cases/case/{case.pk}/change/$"))
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED

    # 4. The participant confirms the resolution; the case is Closed.
    participant.goto(f"{base}/cases/{number}/")
    participant.get_by_role("button", name="Confirm resolution").click()
    participant.wait_for_url(re.compile(rf"/cases/{number}/$"))
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED
    assert "Closed" in participant.content()
