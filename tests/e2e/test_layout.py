"""No page of the portal or the console scrolls sideways (issue 10, point 14): in a 1280×800
laptop window and on a 390×844 phone, with organisation names, subjects, email addresses, file
names and web addresses as long as real ones, `document.documentElement.scrollWidth` is no
more than `window.innerWidth` on the main pages. Tables fit by wrapping text, dropping
secondary columns or stacking rows, never by scrolling."""

from tests.e2e.long_data import seed_long_data
from tests.e2e.pages import VIEWPORTS, agent_page, open_page, overflow, participant_page


def _too_wide(page, base: str, pages: dict[str, str]) -> list[str]:
    problems = []
    for size, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            open_page(page, f"{base}{path}")
            found = overflow(page)
            if found:
                problems.append(f"{name} at {size}: {found}")
    return problems


def test_portal_pages_fit_a_laptop_window_and_a_phone(browser, live_server, agent):
    data = seed_long_data(agent)
    page = participant_page(browser, live_server.url, data.participant.email)

    problems = _too_wide(page, live_server.url, data.portal_pages())

    assert not problems, "Pages wider than the window:\n" + "\n".join(problems)


def test_console_pages_fit_a_laptop_window_and_a_phone(browser, live_server, agent):
    data = seed_long_data(agent)
    page = agent_page(browser, live_server.url, agent.email)

    problems = _too_wide(page, live_server.url, data.console_pages())

    assert not problems, "Pages wider than the window:\n" + "\n".join(problems)
