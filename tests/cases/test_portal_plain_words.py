"""Plain words for participants (issue 10, point 15): no manual § numbers or internal names in
what they read, service levels with how they are measured folded behind "How is this
measured?", and one date format across the portal — the console's too (`core.dates`)."""

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.template import Context, Template
from django.urls import reverse

from cases.auto_close import CLOSED_NOTE, REMINDER_NOTE
from cases.forms import CaseAttachmentForm, CaseCommentForm, CaseCreateForm, CaseRejectForm
from cases.services import case_classify, case_comment_add, case_transition
from core.admin import uk_time
from core.dates import date_html, time_html, uk_date, uk_datetime
from tests.factories.cases import CaseFactory

LONDON = ZoneInfo("Europe/London")
BASE = Path(settings.BASE_DIR)
# What participants read: the portal's page templates and the emails sent to them.
PORTAL_TEMPLATE_DIRS = [
    BASE / "cases/templates",
    BASE / "accounts/templates",
    BASE / "comms/templates/comms",
    BASE / "access/templates/access",
    BASE / "templates/allauth",
    BASE / "templates/mfa",
]
PORTAL_TEMPLATE_FILES = [*BASE.glob("templates/*.html")]
INTERNAL_WORDS = (
    "§",
    "ticket kernel",
    "24x7",
    "elapsed time",
    "clock was counted",
    "SLA definition",
)
COMMENT = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)


def portal_templates() -> list[Path]:
    found = list(PORTAL_TEMPLATE_FILES)
    for folder in PORTAL_TEMPLATE_DIRS:
        found.extend(p for p in folder.rglob("*") if p.suffix in (".html", ".txt"))
    return sorted(found)


def test_portal_templates_carry_no_manual_references_or_internal_names():
    """Grep of the portal's templates (comments aside, which nobody reads in the page)."""
    templates = portal_templates()
    assert len(templates) > 40
    for path in templates:
        text = COMMENT.sub("", path.read_text())
        for word in INTERNAL_WORDS:
            assert word not in text, f"{path.relative_to(BASE)}: {word!r}"


def test_what_the_portal_writes_into_a_case_history_or_a_form_carries_no_manual_reference(
    org_user,
):
    """Texts written by code that participants read: history entries of the 5-day close, the
    raise form's labels and hints."""
    assert "§" not in REMINDER_NOTE + CLOSED_NOTE
    for form in (
        CaseCreateForm(user=org_user),
        CaseCommentForm(),
        CaseAttachmentForm(),
        CaseRejectForm(),
    ):
        for field in form.fields.values():
            assert "§" not in f"{field.label} {field.help_text}", field.label


RAISED = datetime(2026, 12, 3, 10, 0, tzinfo=LONDON)


@pytest.fixture
def worked_case(org_user, agent):
    with time_machine.travel(RAISED, tick=False):
        case = CaseFactory(caller=org_user)
        case = case_classify(case=case, actor=agent, impact=2, urgency=2)
        case = case_transition(case=case, actor=agent, name="start")
        case_comment_add(case=case, actor=agent, body="We are looking into it.")
    return case


def main_of(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_portal_pages_read_in_plain_words(org_client, worked_case):
    """Home, raising a case, My Cases, the case page, notifications and email preferences."""
    pages = [
        reverse("portal:home"),
        reverse("portal:case_create"),
        reverse("portal:case_list"),
        reverse("portal:case_detail", args=[worked_case.number]),
        reverse("comms:notification_list"),
        reverse("comms:notification_preferences"),
    ]
    for url in pages:
        response = org_client.get(url)
        assert response.status_code == 200, url
        main = main_of(response)
        for word in INTERNAL_WORDS:
            assert word not in main, (url, word)


def test_service_levels_say_the_target_plainly_and_fold_how_they_are_measured(
    org_client, worked_case
):
    """The participant sees each target in words ("5 working days") and the dates; the
    counting rules and the step-by-step table sit inside "How is this measured?"."""
    with time_machine.travel(RAISED, tick=False):
        main = main_of(org_client.get(reverse("portal:case_detail", args=[worked_case.number])))
    levels = main[main.index('id="service-levels"') :]
    levels = levels[: levels.index("</section>\n")]
    assert '<h3 class="sla-clock__name">Resolution</h3>' in levels
    assert "<dd>5 working days</dd>" in levels
    assert "<dd>15 minutes</dd>" in levels  # the acknowledgement
    summaries = re.findall(
        r'<details class="disclosure sla-clock__how">\s*<summary[^>]*>How is this measured\?'
        r"</summary>(.*?)</details>",
        levels,
        re.S,
    )
    assert len(summaries) == levels.count("<article")
    resolution = next(s for s in summaries if "working hours" in s)
    assert "08:30 to 17:30, Monday to Friday, not on bank holidays" in resolution
    assert "on hold" in resolution
    assert "<caption>Step by step</caption>" in resolution
    # Nothing of the table stands outside its disclosure.
    outside = re.sub(r"<details.*?</details>", "", levels, flags=re.S)
    assert "<table" not in outside and "Counted so far" not in outside


def test_one_date_format_for_the_portal_and_the_console():
    """ "3 Dec 2026, 09:05" in UK time everywhere: the portal's `<time>` tags, the console's
    `uk_time`, the template library and emails read one helper (`core.dates`)."""
    moment = datetime(2026, 12, 3, 9, 5, tzinfo=ZoneInfo("UTC"))
    summer = datetime(2026, 7, 1, 13, 5, tzinfo=ZoneInfo("UTC"))
    assert uk_datetime(moment) == "3 Dec 2026, 09:05"
    assert uk_datetime(summer) == "1 Jul 2026, 14:05"
    assert uk_datetime(moment, weekday=True) == "Thu 3 Dec 2026, 09:05"
    assert uk_time(summer) == "1 Jul 2026, 14:05"
    assert uk_time(None) == "-" and uk_datetime(None) == "—"
    assert uk_date(summer) == "1 Jul 2026"
    assert (
        time_html(summer) == '<time datetime="2026-07-01T14:05:00+01:00">1 Jul 2026, 14:05</time>'
    )
    assert date_html(summer) == '<time datetime="2026-07-01">1 Jul 2026</time>'
    rendered = Template(
        "{% load uk_dates ticket_tags %}{% time_tag when %}|{% date_tag when %}|"
        "{{ when|uk_datetime }}|{{ when|uk_date }}"
    ).render(Context({"when": summer}))
    assert rendered == (
        '<time datetime="2026-07-01T14:05:00+01:00">1 Jul 2026, 14:05</time>|'
        '<time datetime="2026-07-01">1 Jul 2026</time>|1 Jul 2026, 14:05|1 Jul 2026'
    )


def test_portal_lists_show_the_shared_format(org_user, org_client, worked_case):
    """The notification list, like My Cases and the case page, shows "3 Dec 2026, 10:00"."""
    html = main_of(org_client.get(reverse("comms:notification_list")))
    assert re.search(
        r"<time datetime=\"2026-12-03T10:00:00\+00:00\">3 Dec 2026, 10:00</time>", html
    )
