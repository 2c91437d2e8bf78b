from django.urls import reverse

from tests.e2e.long_data import seed_long_data
from tests.e2e.pages import agent_page, open_page


def test_shots(browser, live_server, agent):
    data = seed_long_data(agent)
    page = agent_page(browser, live_server.url, agent.email)
    for w, h in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": w, "height": h})
        for name, path in (
            ("case", reverse("admin:cases_case_change", args=[data.new_case.pk])),
            (
                "resolve",
                reverse("admin:cases_case_transition", args=[data.worked_case.pk, "resolve"]),
            ),
            ("triage", reverse("admin:cases_case_triage_queue")),
        ):
            open_page(page, live_server.url + path)
            if name == "case":
                page.select_option("select[name=impact]", value="1")
                page.select_option("select[name=urgency]", value="2")
            page.screenshot(path=f"/tmp/shots/x-{name}-{w}.png", full_page=False, clip=None)
            total = page.evaluate("document.documentElement.scrollHeight")
            for k in range(0, min(total, 4400), 1100):
                page.screenshot(
                    path=f"/tmp/shots/x-{name}-{w}-{k // 1100}.png",
                    full_page=True,
                    clip={"x": 0, "y": k, "width": w, "height": min(1100, total - k)},
                )
