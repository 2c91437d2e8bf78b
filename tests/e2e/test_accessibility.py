"""No critical or serious axe-core finding on the main pages of the portal and the console
(issue 10, point 19), in a laptop window and on a phone, with realistic long data.

axe-core comes bundled in axe-playwright-python (PyPI, the test extras); a failure names each
rule and the elements it found."""

from tests.e2e.long_data import seed_long_data
from tests.e2e.pages import (
    VIEWPORTS,
    agent_page,
    open_page,
    participant_page,
    serious_axe_violations,
)


def _findings(page, base: str, pages: dict[str, str]) -> list[str]:
    problems = []
    for size, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            open_page(page, f"{base}{path}")
            problems += [f"{name} at {size}: {line}" for line in serious_axe_violations(page)]
    return problems


def test_portal_pages_have_no_critical_or_serious_axe_finding(browser, live_server, agent):
    data = seed_long_data(agent)
    page = participant_page(browser, live_server.url, data.participant.email)

    problems = _findings(page, live_server.url, data.portal_pages())

    assert not problems, "axe-core findings:\n" + "\n".join(problems)


def test_console_pages_have_no_critical_or_serious_axe_finding(browser, live_server, agent):
    data = seed_long_data(agent)
    page = agent_page(browser, live_server.url, agent.email)

    problems = _findings(page, live_server.url, data.console_pages())

    assert not problems, "axe-core findings:\n" + "\n".join(problems)
