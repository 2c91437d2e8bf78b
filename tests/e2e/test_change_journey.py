"""A Normal change from draft to Scheduled, in a real browser (§8.2, §8.3, §8.7): a service
owner raises it in the console and submits it; the Change Manager assesses it and, as it is
Low risk and Low impact, authorises it alone without CAB."""

import re

from changes.models import Change, ChangeApproval
from tests.e2e.browser import sign_in_with_totp
from tests.factories.cases import category
from tickets.models import Service


def test_a_low_risk_change_is_raised_submitted_assessed_and_authorised(
    browser, live_server, service_manager, change_manager
):
    base = live_server.url
    market = category("Market Systems")
    dip = Service.objects.get(code="dip")

    # 1. The service owner raises the change with every §8.3 field (UK times).
    owner = browser.new_context().new_page()
    sign_in_with_totp(owner, base, service_manager.email)
    owner.goto(f"{base}/admin/changes/change/add/")
    owner.fill("input[name=short_description]", "Patch the DIP message broker")
    owner.fill("textarea[name=description]", "Apply the vendor's security patch.")
    owner.select_option("select[name=category]", value=str(market.pk))
    owner.fill("textarea[name=reason]", "A vulnerability is fixed by the patch.")
    owner.select_option("select[name=probability]", value="3")
    owner.select_option("select[name=impact]", value="3")
    owner.select_option("select[name=urgency]", value="2")
    owner.fill("input[name=planned_start]", "2030-03-05T22:00")
    owner.fill("input[name=planned_end]", "2030-03-05T23:00")
    owner.locator(f"input[name=services][value='{dip.pk}']").check()
    owner.fill("textarea[name=implementation_plan]", "Patch each broker node in turn.")
    owner.fill("textarea[name=test_plan]", "Send test messages through each channel.")
    owner.fill("textarea[name=backout_plan]", "Reinstall the previous version.")
    owner.get_by_role("button", name="Raise change").click()
    owner.wait_for_url(re.compile(r"/admin/changes/change/\d+/change/"))
    assert "raised as a draft" in owner.content()
    change = Change.objects.get()

    # 2. Submitted: well ahead of its start, so on time (§8.7).
    owner.get_by_role("link", name="Submit").click()
    owner.get_by_role("button", name="Submit").click()
    owner.wait_for_url(re.compile(rf"/admin/changes/change/{change.pk}/change/"))
    assert "is now Assess" in owner.content()

    # 3. The Change Manager assesses it and authorises it alone (Low risk, Low impact).
    manager = browser.new_context().new_page()
    sign_in_with_totp(manager, base, change_manager.email)
    manager.goto(f"{base}/admin/changes/change/{change.pk}/change/")
    manager.get_by_role("link", name="Assessed: request authorisation").click()
    manager.get_by_role("button", name="Assessed: request authorisation").click()
    manager.wait_for_url(re.compile(rf"/admin/changes/change/{change.pk}/change/"))
    manager.select_option("select[name=kind]", value="change_manager")
    manager.select_option("select[name=decision]", value="approve")
    manager.get_by_role("button", name="Record decision").click()
    manager.wait_for_url(re.compile(rf"/admin/changes/change/{change.pk}/change/"))
    assert "now Scheduled" in manager.content()

    change.refresh_from_db()
    assert change.state == Change.State.SCHEDULED
    assert ChangeApproval.objects.get().kind == ChangeApproval.Kind.CHANGE_MANAGER
