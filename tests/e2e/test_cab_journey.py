"""A Normal high-risk change through the CAB, in a real browser (§8.7, §8.8, §8.9.6, §8.9.9):
a change manager raises it in the console on a Monday; it appears on the next Tuesday's CAB
agenda; a CAB member approves it in the workbench; it is scheduled, implemented and closed
Backed Out from the change page; the post-implementation review item appears on the following
agenda.

The whole journey runs on next Monday's clock (time-machine, ticking), so "submitted on
Monday, before Tuesday's close of business" holds whatever day the suite runs; the live server
runs in this process and sees the same clock."""

import re
from datetime import datetime, time, timedelta

import time_machine

from changes.lead_time import cab_meeting_date_for
from changes.models import Change, ChangeApproval, ChangeReviewItem
from changes.services import cab_meeting_for_day
from sla.calendar import LONDON
from tests.e2e.browser import sign_in_with_totp
from tests.factories.cases import category
from tickets.models import Service


def _next_mondays_morning() -> datetime:
    """Ahead of the real clock, so the browser keeps the session cookies the server sets."""
    today = datetime.now(LONDON).date()
    monday = today + timedelta(days=7 - today.weekday())
    return datetime.combine(monday, time(10, 0), tzinfo=LONDON)


def _on_change_page(page, change_url: str, button: str) -> None:
    """Press one of the change page's lifecycle buttons and confirm it."""
    page.goto(change_url)
    page.get_by_role("link", name=button, exact=True).click()
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_url(re.compile(re.escape(change_url) + "$"))


def test_high_risk_change_is_approved_at_cab_and_its_review_reaches_the_following_agenda(
    browser, live_server, change_manager, cab_member
):
    monday = _next_mondays_morning()
    with time_machine.travel(monday, tick=True):
        _journey(browser, live_server.url, monday, change_manager, cab_member)


def _journey(browser, base, monday, change_manager, cab_member):
    # 1. The change manager raises a Normal change, High probability and Medium impact (High
    # risk, §8.4), in the console on Monday and submits it: by COB Tuesday, so it goes to the
    # following Tuesday's CAB (§8.7); assessed, it waits in Authorise for that CAB.
    start = (monday + timedelta(days=12)).replace(hour=22, minute=0)
    manager = browser.new_context().new_page()
    manager.set_default_timeout(15_000)
    sign_in_with_totp(manager, base, change_manager.email)
    manager.goto(f"{base}/admin/changes/change/add/")
    manager.fill("input[name=short_description]", "Upgrade the settlement database cluster")
    manager.fill("textarea[name=description]", "Move the settlement cluster to the new release.")
    manager.select_option("select[name=category]", value=str(category("Market Systems").pk))
    manager.fill("textarea[name=reason]", "The current release leaves vendor support in March.")
    manager.select_option("select[name=probability]", value="1")
    manager.select_option("select[name=impact]", value="2")
    manager.select_option("select[name=urgency]", value="2")
    manager.fill("input[name=planned_start]", f"{start:%Y-%m-%dT%H:%M}")
    manager.fill("input[name=planned_end]", f"{start + timedelta(hours=3):%Y-%m-%dT%H:%M}")
    dip = Service.objects.get(code="dip")
    manager.locator(f"input[name=services][value='{dip.pk}']").check()
    manager.fill("textarea[name=implementation_plan]", "Upgrade the replicas, then fail over.")
    manager.fill("textarea[name=test_plan]", "Run the settlement regression pack.")
    manager.fill("textarea[name=backout_plan]", "Fail back to the old primary and rebuild.")
    manager.get_by_role("button", name="Raise change").click()
    manager.wait_for_url(re.compile(r"/admin/changes/change/\d+/change/$"))
    change = Change.objects.get()
    change_url = manager.url
    _on_change_page(manager, change_url, "Submit")
    assert "is now Assess" in manager.content()
    _on_change_page(manager, change_url, "Assessed: request authorisation")
    assert "is now Authorise" in manager.content()
    change.refresh_from_db()
    assert change.state == Change.State.AUTHORISE and change.cab_required
    assert not change.is_late
    cab_day = change.cab_date
    # Monday counts towards Tuesday's cut-off: the CAB a week on Tuesday (a bank-holiday
    # Tuesday's CAB meets the next working day).
    assert cab_day == cab_meeting_date_for(monday)
    assert (monday + timedelta(days=8)).date() <= cab_day < (monday + timedelta(days=15)).date()
    meeting = cab_meeting_for_day(day=cab_day)

    # 2. The CAB member finds the meeting and sees the change under the new proposals (§8.9.6).
    member = browser.new_context().new_page()
    member.set_default_timeout(15_000)
    sign_in_with_totp(member, base, cab_member.email)
    member.goto(f"{base}/console/cab/")
    member.locator(f'tr[data-meeting="{meeting.pk}"]').get_by_role("link").first.click()
    member.wait_for_url(re.compile(rf"/console/cab/{meeting.pk}/$"))
    proposals = member.locator("#agenda-proposals")
    assert change.number in proposals.inner_text()
    assert "Upgrade the settlement database cluster" in proposals.inner_text()

    # 3. In the workbench the member reads the plans and approves with a comment (§8.9.5).
    member.get_by_role("link", name="Open the workbench").click()
    member.wait_for_url(re.compile(r"/workbench/"))
    member.get_by_role("link", name=change.number).click()
    section = member.locator("#cab-change")
    assert change.backout_plan in section.inner_text()
    member.get_by_label("Approve").check()
    member.get_by_label("Comment").fill("Approved: back-out plan tested in pre-production.")
    member.get_by_role("button", name="Record decision").click()
    member.wait_for_url(re.compile(rf"\?change={change.number}$"))
    assert "Approve recorded" in member.content()
    change.refresh_from_db()
    assert change.state == Change.State.SCHEDULED
    approval = ChangeApproval.objects.get(change=change)
    assert approval.kind == ChangeApproval.Kind.CAB and approval.approver == cab_member

    # 4. On the change page the change manager starts and completes the implementation, then
    # closes it Backed Out with closure notes: a PIR item opens (§8.8).
    _on_change_page(manager, change_url, "Start implementation")
    assert "is now Implement" in manager.content()
    _on_change_page(manager, change_url, "Implementation complete")
    assert "is now Review" in manager.content()
    manager.locator("a.console-transition-close").click()
    manager.select_option("select[name=code]", value=Change.ClosureCode.BACKED_OUT)
    manager.fill(
        "textarea[name=notes]", "Replication lag exceeded the threshold; rolled back per plan."
    )
    manager.get_by_role("button", name="Close", exact=True).click()
    manager.wait_for_url(re.compile(re.escape(change_url) + "$"))
    assert "is now Closed" in manager.content()
    assert "the review is open and goes on the next CAB agenda" in manager.content()
    change.refresh_from_db()
    assert change.closure_code == Change.ClosureCode.BACKED_OUT
    assert ChangeReviewItem.objects.filter(change=change, reviewed_at__isnull=True).exists()

    # 5. The following Tuesday's agenda lists it for post-implementation review (§8.9.9).
    following = cab_meeting_for_day(day=cab_day + timedelta(days=7))
    member.goto(f"{base}/console/cab/{following.pk}/")
    review = member.locator("#agenda-review")
    assert change.number in review.inner_text()
    assert "Backed Out" in review.inner_text()
    assert change.number not in member.locator("#agenda-proposals").inner_text()
