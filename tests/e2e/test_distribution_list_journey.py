"""Joining a distribution list in a real browser (Debian chromium driven by Playwright): a
service user asks to join the Major Incident comms list, an agent signs in with TOTP and
approves the request in the console, and the user is on the list (§5.19, §5.21, §10.5.2)."""

import re

from django.urls import reverse

from cases.models import Case
from comms.lists import MAJOR_INCIDENT_COMMS
from comms.models import DistributionList, DistributionListMember, ListMembershipRequest
from tests.e2e.browser import sign_in, sign_in_with_totp


def _list_row(page):
    return page.locator("tbody tr", has=page.locator("th", has_text=MAJOR_INCIDENT_COMMS))


def test_service_user_joins_the_major_incident_list_once_an_agent_approves(
    browser, live_server, org_user, agent
):
    base = live_server.url
    lists_url = f"{base}{reverse('comms:list_index')}"
    mi_list = DistributionList.objects.get(name=MAJOR_INCIDENT_COMMS)
    assert not mi_list.members.filter(user=org_user).exists()

    # 1. The service user opens the lists page and asks to join; a service request is raised.
    portal = browser.new_context().new_page()
    portal.set_default_timeout(10_000)
    sign_in(portal, base, org_user.email)
    portal.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))
    portal.goto(lists_url)
    row = _list_row(portal)
    assert "Not on the list" in row.inner_text()
    row.get_by_role("button", name=f"Ask to join {MAJOR_INCIDENT_COMMS}").click()
    portal.wait_for_url(lists_url)
    raised = re.search(r"Your request is raised as (CS\d{7})", portal.content())
    assert raised, portal.content()
    number = raised.group(1)
    assert "Asked to join — waiting for the desk" in _list_row(portal).inner_text()
    membership_request = ListMembershipRequest.objects.get(
        requester=org_user, distribution_list=mi_list
    )
    assert membership_request.state == ListMembershipRequest.State.PENDING
    assert membership_request.case.number == number

    # 2. The agent signs in with a TOTP code and approves the request in the console.
    console = browser.new_context().new_page()
    console.set_default_timeout(10_000)
    sign_in_with_totp(console, base, agent.email)
    console.wait_for_url(re.compile(r"^(?!.*/accounts/2fa/authenticate/)"))
    console.goto(f"{base}{reverse('admin:comms_listmembershiprequest_changelist')}")
    request_row = console.locator("#result_list tbody tr", has_text=number)
    assert MAJOR_INCIDENT_COMMS in request_row.inner_text(), console.content()
    request_row.locator("input[name=_selected_action]").check()
    console.select_option("select[name=action]", value="approve_selected")
    console.locator("#changelist-form button[name=index]").click()
    console.wait_for_url(re.compile(r"/admin/comms/listmembershiprequest/"))
    assert "1 request decided." in console.content()

    # 3. The user is on the list, the request is approved and the service request resolved.
    assert DistributionListMember.objects.filter(distribution_list=mi_list, user=org_user).exists()
    membership_request.refresh_from_db()
    assert membership_request.state == ListMembershipRequest.State.APPROVED
    assert membership_request.decided_by == agent
    assert Case.objects.get(number=number).state == Case.State.RESOLVED

    # 4. The user's lists page shows them as a member, with the way to leave again.
    portal.goto(lists_url)
    row = _list_row(portal)
    assert "On the list" in row.inner_text()
    assert row.get_by_role("button", name=f"Ask to leave {MAJOR_INCIDENT_COMMS}").is_visible()
