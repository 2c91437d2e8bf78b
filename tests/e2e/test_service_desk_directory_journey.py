"""The "Other service desks" page in a real browser (Debian chromium driven by Playwright): a
participant finds it from the navigation, searches, filters to the desks open now, and reads it
on a laptop and on a phone without scrolling sideways (§18.4, Appendix H)."""

import re

from django.urls import reverse

from tests.e2e.browser import sign_in

SIZES = {"laptop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_participant_finds_a_desk_and_reads_it_on_a_laptop_and_a_phone(
    browser, live_server, org_user
):
    base = live_server.url
    for name, viewport in SIZES.items():
        page = browser.new_context(viewport=viewport).new_page()
        page.set_default_timeout(10_000)
        sign_in(page, base, org_user.email)
        page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

        if name == "laptop":
            page.get_by_role("link", name="Other service desks").click()
        else:
            page.goto(f"{base}{reverse('portal:service_desks')}")
        page.wait_for_url(re.compile(r"/service-desks/"))
        assert page.get_by_role("heading", name="Other service desks", level=1).is_visible()
        assert _fits(page), f"the directory scrolls sideways on a {name}"
        badges = page.locator(".desk .badge").all_inner_texts()
        assert badges and set(badges) <= {"Open now", "Closed now", "Hours not published"}

        page.get_by_label("Search").fill("smart metering")
        page.get_by_role("button", name="Find").click()
        page.wait_for_url(re.compile(r"q=smart\+metering"))
        cards = page.locator(".desk__name").all_inner_texts()
        assert "DCC Service Desk" in cards and "Siemens Service Desk" not in cards
        assert _fits(page), f"the search results scroll sideways on a {name}"

        page.get_by_role("link", name="Show every desk").click()
        page.get_by_label("Show").select_option("open")
        page.get_by_role("button", name="Find").click()
        page.wait_for_url(re.compile(r"status=open"))
        assert set(page.locator(".desk .badge").all_inner_texts()) <= {"Open now"}
        page.context.close()
