"""Browser journeys: Debian chromium driven by Playwright's sync API, never a downloaded browser."""

import os
import shutil

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS


def pytest_collection_modifyitems(config, items):
    """Every test here is a browser test: mark it, and skip it clearly without chromium."""
    missing = not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM)
    skip = pytest.mark.skipif(
        missing, reason="Debian chromium is not installed (apt-get install chromium)"
    )
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(skip)


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself (not by the server) are safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
