"""The change and CAB pages (§8, §8.9, §8.10) as the Change Manager uses them, in a laptop
window and on a phone: no critical or serious axe-core finding and nothing wider than the
window, with two changes whose windows overlap (so the conflict panels are drawn), a CAB
meeting with both on its agenda, and a review item."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from changes.models import Change
from changes.risk import Rating
from changes.services import (
    cab_action_add,
    cab_meeting_for_day,
    cab_meeting_record_minutes,
    change_assess,
    change_create,
    change_submit,
)
from tests.changes.conftest import change_fields
from tests.e2e.pages import VIEWPORTS, agent_page, open_page, overflow, serious_axe_violations

LONG_SUBJECT = (
    "Upgrade the settlement database cluster and its replication to the vendor's supported "
    "release before the end of support"
)


def _awaiting_cab(manager, start) -> Change:
    change = change_create(
        actor=manager,
        **change_fields(
            short_description=LONG_SUBJECT,
            probability=Rating.HIGH,
            impact=Rating.MEDIUM,
            planned_start=start,
        ),
    )
    change = change_submit(change=change, actor=manager, justification="Vendor deadline.")
    return change_assess(change=change, actor=manager)


def _pages(manager) -> dict[str, str]:
    start = timezone.localtime(timezone.now() + timedelta(days=20)).replace(
        hour=22, minute=0, second=0, microsecond=0
    )
    first = _awaiting_cab(manager, start)
    _awaiting_cab(manager, start + timedelta(hours=1))
    meeting = cab_meeting_for_day(day=first.cab_date)
    meeting = cab_meeting_record_minutes(
        meeting=meeting, actor=manager, outcome="Both changes approved.", minutes="Discussed."
    )
    cab_action_add(
        meeting=meeting,
        actor=manager,
        description="Confirm the back-out rehearsal with the DBA team.",
        owner=manager,
        due_on=first.cab_date + timedelta(days=7),
    )
    month = f"?month={start:%Y-%m}"
    return {
        "change list": reverse("admin:changes_change_changelist"),
        "change page": reverse("admin:changes_change_change", args=[first.pk]),
        "raise change": reverse("admin:changes_change_add"),
        "catalogue": reverse("admin:changes_standardchangetemplate_changelist"),
        "review items": reverse("admin:changes_changereviewitem_changelist"),
        "external notifications": reverse("admin:changes_externalchangenotification_changelist"),
        "CAB meetings": reverse("changes_cab:list"),
        "CAB meeting": reverse("changes_cab:detail", args=[meeting.pk]),
        "CAB workbench": reverse("changes_cab:workbench", args=[meeting.pk])
        + f"?change={first.number}",
        "CAB print": reverse("changes_cab:print", args=[meeting.pk]),
        "convene ECAB": reverse("changes_cab:ecab_convene"),
        "calendar month": reverse("change_schedule:month") + month,
        "calendar week": reverse("change_schedule:week") + f"?date={start:%Y-%m-%d}",
        "calendar subscription": reverse("change_schedule:feed"),
        "forward schedule": reverse("change_schedule:forward_schedule"),
        "retrospective": reverse("change_schedule:retrospective"),
        "report runs": reverse("change_schedule:report_runs"),
        "report subscribers": reverse("change_schedule:subscribers"),
        "metrics": reverse("change_schedule:metrics") + month,
    }


def test_change_and_cab_pages_are_accessible_and_fit_a_phone(browser, live_server, change_manager):
    pages = _pages(change_manager)
    page = agent_page(browser, live_server.url, change_manager.email)
    problems = []
    for size, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in pages.items():
            open_page(page, f"{live_server.url}{path}")
            problems += [f"{name} at {size}: {line}" for line in serious_axe_violations(page)]
            too_wide = overflow(page)
            if too_wide:
                problems.append(f"{name} at {size}: {too_wide}")

    assert not problems, "Findings:\n" + "\n".join(problems)
