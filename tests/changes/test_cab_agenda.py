"""The CAB agenda (§8.9.6), generated from the data in the manual's order, for a seeded week:
the CAB of Tuesday 9 February 2027, the previous one on Tuesday 2 February."""

from datetime import date, timedelta

import pytest
import time_machine

from changes.cab_selectors import cab_agenda
from changes.risk import Rating
from changes.services import (
    cab_action_add,
    cab_action_complete,
    cab_meeting_close,
    cab_meeting_for_day,
    cab_meeting_record_minutes,
    change_close,
    change_complete,
    change_start_implementation,
    standard_change_template_propose,
)
from tests.changes.cab_helpers import awaiting_cab, closed_as, emergency, scheduled_low
from tests.changes.conftest import london, raise_change
from tests.factories.cases import category
from tickets.models import Service

PREVIOUS = date(2027, 2, 2)
THIS = date(2027, 2, 9)
# Monday 1 February 2027 10:00: submitted by COB Tuesday 2 February → CAB of 9 February.
MONDAY = london(2027, 2, 1, 10, 0)
EXPECTED_ORDER = [
    "previous",
    "proposals",
    "scheduled",
    "expected",
    "emergency",
    "review",
    "standard",
]


def _numbers(agenda, key) -> list[str]:
    return [item.line.split(" ")[0] for item in agenda.section(key).items]


@pytest.fixture
def week(service_owner, change_manager, cab_member):
    """One record for each agenda item, and one that must stay off each."""
    with time_machine.travel(london(2027, 1, 26, 9, 0), tick=False):
        previous = cab_meeting_for_day(day=PREVIOUS)
    with time_machine.travel(london(2027, 2, 2, 13, 0), tick=False):
        cab_meeting_record_minutes(
            meeting=previous,
            actor=change_manager,
            outcome="Two changes approved.",
            minutes="The board reviewed the DIP patches.",
        )
        open_action = cab_action_add(
            meeting=previous,
            actor=change_manager,
            description="Confirm the DIP vendor's patch window",
            owner=cab_member,
            due_on=date(2027, 2, 8),
        )
        done_action = cab_action_add(
            meeting=previous,
            actor=change_manager,
            description="Circulate the rollback checklist",
            owner=cab_member,
            due_on=date(2027, 2, 5),
        )
        cab_action_complete(action=done_action, actor=cab_member)
        cab_meeting_close(meeting=previous, actor=change_manager)
    records = {
        "proposal": awaiting_cab(
            service_owner, change_manager, MONDAY, planned_start=london(2027, 2, 20, 22, 0)
        ),
        # Low risk and impact: the Change Manager's, never CAB's (§8.7, §8.9.2).
        "not_cab": scheduled_low(
            service_owner, change_manager, MONDAY, planned_start=london(2027, 3, 1, 22, 0)
        ),
        "scheduled": scheduled_low(
            service_owner,
            change_manager,
            MONDAY,
            planned_start=london(2027, 2, 11, 22, 0),
            short_description="Rotate settlement database keys",
        ),
        "expected": raise_change(service_owner, planned_start=london(2027, 2, 25, 22, 0)),
        "emergency": emergency(service_owner, london(2027, 2, 4, 3, 0)),
        "old_emergency": emergency(service_owner, london(2027, 1, 28, 3, 0)),
    }
    # A change closed Backed Out after implementation opens a PIR item (§8.8).
    backed_out = scheduled_low(
        service_owner, change_manager, MONDAY, planned_start=london(2027, 2, 8, 22, 0)
    )
    records["backed_out"] = backed_out
    with time_machine.travel(london(2027, 2, 8, 23, 30), tick=False):
        change = change_start_implementation(change=backed_out, actor=service_owner)
        change = change_complete(change=change, actor=service_owner)
        change_close(change=change, actor=service_owner, code="backed_out", notes="Rolled back.")
    successful = closed_as(
        service_owner,
        change_manager,
        MONDAY,
        "successful",
        planned_start=london(2027, 2, 8, 22, 0),
    )
    records["successful"] = successful
    records["template"] = standard_change_template_propose(
        actor=service_owner,
        name="Restart DIP adaptor",
        short_description="Restart a DIP adaptor node",
        description="Restart one adaptor node out of hours.",
        category=category("Market Systems"),
        reason="Recurring memory growth.",
        implementation_plan="Drain and restart the node.",
        test_plan="Send a test message.",
        backout_plan="None needed: the node restarts as before.",
        services=Service.objects.filter(code="dip"),
    )
    with time_machine.travel(london(2027, 2, 3, 6, 0), tick=False):
        meeting = cab_meeting_for_day(day=THIS)
    return {
        "meeting": meeting,
        "previous": previous,
        "open_action": open_action,
        "done_action": done_action,
        **records,
    }


@pytest.mark.django_db
def test_agenda_sections_follow_the_manual_order(week):
    """§8.9.6: the seven agenda items in the manual's order."""
    agenda = cab_agenda(week["meeting"])
    assert [section.key for section in agenda.sections] == EXPECTED_ORDER


@pytest.mark.django_db
def test_agenda_opens_with_the_previous_minutes_and_open_actions(week):
    """§8.9.6 item 1: the previous meeting's minutes and its open action items; done actions
    are not carried."""
    section = cab_agenda(week["meeting"]).section("previous")
    objects = [item.obj for item in section.items]
    assert objects[0] == week["previous"]
    assert "Two changes approved." in section.items[0].line
    assert week["open_action"] in objects
    assert week["done_action"] not in objects


@pytest.mark.django_db
def test_agenda_lists_new_proposals_with_risk_and_impact(week):
    """§8.9.6 item 2 and §8.9.2: Normal changes needing CAB, with their risk and impact; a Low
    risk, Low impact change is the Change Manager's and stays off."""
    section = cab_agenda(week["meeting"]).section("proposals")
    assert _numbers(cab_agenda(week["meeting"]), "proposals") == [week["proposal"].number]
    line = section.items[0].line
    assert "risk 1 - High" in line and "impact 1 - High" in line


@pytest.mark.django_db
def test_agenda_lists_changes_scheduled_in_the_coming_week(week):
    """§8.9.6 item 3: Scheduled changes due in the week after the meeting, not later ones."""
    assert _numbers(cab_agenda(week["meeting"]), "scheduled") == [week["scheduled"].number]


@pytest.mark.django_db
def test_agenda_lists_changes_expected_soon(week):
    """§8.9.6 item 4: changes raised but not yet submitted, planned in the next weeks."""
    assert _numbers(cab_agenda(week["meeting"]), "expected") == [week["expected"].number]


@pytest.mark.django_db
def test_agenda_lists_emergency_changes_since_the_last_cab(week):
    """§8.9.6 item 5: Emergency changes raised since the previous CAB, not before it."""
    assert _numbers(cab_agenda(week["meeting"]), "emergency") == [week["emergency"].number]


@pytest.mark.django_db
def test_agenda_lists_changes_not_closed_successful_or_cancelled(week):
    """§8.9.6 item 6, §8.8, §8.9.9: the open post-implementation review items; a Successful
    change has none."""
    section = cab_agenda(week["meeting"]).section("review")
    assert _numbers(cab_agenda(week["meeting"]), "review") == [week["backed_out"].number]
    assert "Backed Out" in section.items[0].line


@pytest.mark.django_db
def test_agenda_lists_proposed_standard_changes(week, template):
    """§8.9.6 item 7: catalogue entries proposed, not those already accepted."""
    section = cab_agenda(week["meeting"]).section("standard")
    assert [item.obj for item in section.items] == [week["template"]]


@pytest.mark.django_db
def test_first_cab_agenda_says_there_are_no_previous_minutes(change_manager):
    """§8.9.6: an empty item says so, instead of a blank heading."""
    meeting = cab_meeting_for_day(day=THIS)
    section = cab_agenda(meeting).section("previous")
    assert section.items == [] and "first CAB" in section.empty


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("submitted_at", "cab_day"),
    [
        # §8.7: by COB Tuesday (17:30) → the following Tuesday's CAB.
        (london(2027, 2, 2, 17, 0), THIS),
        # After COB → the CAB a week later.
        (london(2027, 2, 2, 18, 0), THIS + timedelta(days=7)),
    ],
)
def test_submission_by_cob_tuesday_lands_on_the_following_tuesdays_agenda(
    service_owner, change_manager, submitted_at, cab_day
):
    """§8.7, §8.9.8: `cab_meeting_date_for` decides the first Tuesday whose agenda a change is
    on; before that CAB it is only "expected" (item 4)."""
    change = awaiting_cab(
        service_owner,
        change_manager,
        submitted_at,
        planned_start=london(2027, 3, 1, 22, 0),
        probability=Rating.HIGH,
    )
    assert change.cab_date == cab_day
    this = cab_agenda(cab_meeting_for_day(day=THIS))
    following = cab_agenda(cab_meeting_for_day(day=THIS + timedelta(days=7)))
    on_time = cab_day == THIS
    assert (change.number in _numbers(this, "proposals")) is on_time
    assert (change.number in _numbers(this, "expected")) is not on_time
    # Still undecided, it stays on the following agenda either way.
    assert change.number in _numbers(following, "proposals")
