"""Files on the raise-case form in a real browser (Debian chromium driven by Playwright; issue
10, point 13): the participant chooses a screenshot and a log but leaves the subject out; the
form comes back with the error and both files still attached; they remove the log, give the
subject and press Enter; the case is raised with the screenshot, which the case page previews
through the permission-checked download view (§3.2 "Add Attachments")."""

import re

import pytest
from django.urls import reverse

from cases.models import Case
from tests.e2e.browser import sign_in
from tests.factories.cases import PNG_BYTES
from tickets.models import Attachment, PendingUpload


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_files_survive_a_form_error_and_an_image_is_previewed(
    browser, live_server, org_user, tmp_path
):
    base = live_server.url
    screenshot = tmp_path / "dip-screen.png"
    screenshot.write_bytes(PNG_BYTES)
    log = tmp_path / "dip-error.log"
    log.write_text("2026-11-27 09:14:02 ERROR DIP message rejected: E123\n")

    page = browser.new_context().new_page()
    page.set_default_timeout(10_000)
    sign_in(page, base, org_user.email)
    page.wait_for_url(re.compile(r"^(?!.*/accounts/login/)"))

    # 1. The subject is left out; two files are chosen.
    page.goto(f"{base}{reverse('portal:case_create')}")
    page.fill("input[name=party_id]", "NPSU")
    page.select_option("select[name=category]", label="Market Systems")
    page.fill("textarea[name=description]", "All our DIP messages are rejected with E123.")
    page.set_input_files("input[name=attachments]", [str(screenshot), str(log)])
    page.get_by_role("button", name="Raise case", exact=True).click()
    page.wait_for_load_state()

    # 2. The form comes back with the error, and both files are still attached.
    assert "There is a problem" in page.content()
    assert page.locator("#id_short_description_error").is_visible()
    kept = page.locator("#kept-files")
    assert kept.is_visible()
    assert "Attached: dip-screen.png" in kept.inner_text()
    assert "Attached: dip-error.log" in kept.inner_text()
    assert Case.objects.count() == 0 and PendingUpload.objects.count() == 2

    # 3. The log is removed; the screenshot stays.
    kept.get_by_role("button", name="Remove dip-error.log").click()
    page.wait_for_load_state()
    assert "“dip-error.log” removed." in page.content()
    assert "Attached: dip-error.log" not in page.locator("#kept-files").inner_text()
    assert "Attached: dip-screen.png" in page.locator("#kept-files").inner_text()

    # 4. The subject is given and Enter pressed in it: the form is sent as "Raise case" (not
    # as a file's "Remove"), and the case has the screenshot.
    page.fill("input[name=short_description]", "DIP messages rejected since 09:00")
    page.press("input[name=short_description]", "Enter")
    page.wait_for_url(re.compile(r"/cases/CS\d{7}/$"))
    number = re.search(r"CS\d{7}", page.url).group(0)
    case = Case.objects.get(number=number)
    assert list(
        Attachment.objects.filter(ticket_id=case.pk).values_list("original_name", flat=True)
    ) == ["dip-screen.png"]
    assert not PendingUpload.objects.exists()

    # 5. The case page previews the image from the download view, which the browser draws.
    preview = page.locator("img.attachments__preview")
    assert preview.count() == 1
    attachment = Attachment.objects.get(ticket_id=case.pk)
    assert preview.get_attribute("src") == reverse(
        "portal:attachment_download", args=[attachment.pk]
    )
    assert preview.get_attribute("alt") == "Preview of dip-screen.png"
    page.wait_for_function(
        "() => { const img = document.querySelector('img.attachments__preview');"
        " return img.complete && img.naturalWidth > 0; }"
    )
