"""Closing changes (§8.8, §9.3): every closure code with its notes, and the rule that any
outcome other than Successful or Cancelled opens a post-implementation review item (§8.9.9)
for the next CAB (§8.9.6)."""

import pytest
import time_machine

from changes.models import Change, ChangeApproval, ChangeReviewItem
from changes.risk import ChangeType
from changes.services import (
    change_assess,
    change_cancel,
    change_close,
    change_complete,
    change_mark_unauthorised,
    change_record_approval,
    change_review_item_complete,
    change_start_implementation,
    change_submit,
)
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tests.changes.conftest import london, raise_change
from tickets.models import JournalEntry

IN_HOURS = london(2027, 2, 3, 10, 0)


def _implemented(owner, manager, **fields) -> Change:
    """A Low/Low Normal change authorised by the Change Manager and implemented in its
    window (1 March 2027, 22:00–00:00)."""
    change = raise_change(owner, **fields)
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=owner)
    change = change_assess(change=change, actor=manager)
    change_record_approval(
        change=change,
        actor=manager,
        kind=ChangeApproval.Kind.CHANGE_MANAGER,
        decision=ChangeApproval.Decision.APPROVE,
    )
    change.refresh_from_db()
    change = change_start_implementation(change=change, actor=owner, at=london(2027, 3, 1, 22, 5))
    return change_complete(change=change, actor=owner, at=london(2027, 3, 1, 23, 30))


@pytest.mark.django_db
def test_successful_change_closes_without_a_review_item(service_owner, change_manager):
    """§8.8: Successful — the change occurred with no issues; no PIR."""
    change = _implemented(service_owner, change_manager)
    change = change_close(
        change=change, actor=service_owner, code="successful", notes="Went to plan."
    )
    assert change.state == Change.State.CLOSED
    assert (change.closure_code, change.closure_notes) == ("successful", "Went to plan.")
    assert not ChangeReviewItem.objects.filter(change=change).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["successful_with_issues", "unsuccessful", "backed_out"])
def test_outcomes_other_than_successful_open_a_review_item(service_owner, change_manager, code):
    """§8.8 / §9.3: Successful with Issues, Unsuccessful and Backed Out follow the
    post-implementation review: an open item for the next CAB."""
    change = _implemented(service_owner, change_manager)
    change = change_close(change=change, actor=service_owner, code=code, notes="See incident.")
    item = ChangeReviewItem.objects.get(change=change)
    assert item.is_open and item.closure_code == code
    assert change.get_closure_code_display() in str(item)


@pytest.mark.django_db
def test_closing_needs_an_implemented_outcome_and_notes(service_owner, change_manager):
    """§8.8: close with one of the outcomes and closure notes; Cancelled and Unauthorised
    have their own actions, so `close` refuses them."""
    change = _implemented(service_owner, change_manager)
    with pytest.raises(ValidationFailed, match="closure notes"):
        change_close(change=change, actor=service_owner, code="successful", notes=" ")
    with pytest.raises(ValidationFailed, match="change outcome"):
        change_close(change=change, actor=service_owner, code="cancelled", notes="Did not go.")
    change.refresh_from_db()
    assert change.state == Change.State.REVIEW


@pytest.mark.django_db
def test_cancelled_change_has_no_review_item(service_owner):
    """§8.8: Cancelled — closed without implementation attempted; no PIR."""
    change = change_cancel(change=raise_change(service_owner), actor=service_owner, notes="Dup.")
    assert change.closure_code == Change.ClosureCode.CANCELLED
    assert not ChangeReviewItem.objects.filter(change=change).exists()


@pytest.mark.django_db
def test_change_implemented_without_authorisation_is_marked_unauthorised(
    service_owner, change_manager
):
    """§8.8: a change made without authorisation is closed as Unauthorised by the Change
    Manager; the journal says it was never authorised and a PIR item opens."""
    change = raise_change(service_owner)
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    with pytest.raises(ActionNotPermitted):
        change_mark_unauthorised(change=change, actor=service_owner, notes="Done already.")
    change = change_mark_unauthorised(
        change=change, actor=change_manager, notes="Patched on Monday before assessment."
    )
    assert change.state == Change.State.CLOSED and change.closure_code == "unauthorised"
    assert ChangeReviewItem.objects.get(change=change).closure_code == "unauthorised"
    notes = JournalEntry.objects.filter(ticket_id=change.pk, kind="work_note")
    assert notes.filter(body__contains="never authorised").exists()


@pytest.mark.django_db
def test_change_implemented_outside_its_window_can_be_marked_unauthorised(
    service_owner, change_manager
):
    """§8.8: executed completely outside the planned window: on completion the journal warns
    the Change Manager, who closes it as Unauthorised."""
    change = raise_change(service_owner)
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    change = change_assess(change=change, actor=change_manager)
    change_record_approval(
        change=change,
        actor=change_manager,
        kind=ChangeApproval.Kind.CHANGE_MANAGER,
        decision=ChangeApproval.Decision.APPROVE,
    )
    change.refresh_from_db()
    change = change_start_implementation(
        change=change, actor=service_owner, at=london(2027, 3, 1, 9, 0)
    )
    change = change_complete(change=change, actor=service_owner, at=london(2027, 3, 1, 10, 0))
    assert change.outside_window
    change = change_mark_unauthorised(
        change=change, actor=change_manager, notes="Done in the morning, not the window."
    )
    assert change.closure_code == "unauthorised"
    bodies = JournalEntry.objects.filter(ticket_id=change.pk).values_list("body", flat=True)
    assert any("outside its change window" in body for body in bodies)


@pytest.mark.django_db
def test_review_item_is_completed_by_cab_with_lessons(service_owner, change_manager, cab_member):
    """§8.9.9: the CAB reviews changes that were not successful; the item closes with the
    lessons learned, once."""
    change = _implemented(service_owner, change_manager, change_type=ChangeType.NORMAL)
    change = change_close(
        change=change, actor=service_owner, code="backed_out", notes="Rolled back."
    )
    item = ChangeReviewItem.objects.get(change=change)
    with pytest.raises(ActionNotPermitted):
        change_review_item_complete(item=item, actor=service_owner, lessons="x")
    with pytest.raises(ValidationFailed):
        change_review_item_complete(item=item, actor=cab_member, lessons="")
    item = change_review_item_complete(
        item=item, actor=cab_member, lessons="Rehearse the back-out in UAT first."
    )
    assert not item.is_open and item.reviewed_by == cab_member
    with pytest.raises(TransitionNotAllowed):
        change_review_item_complete(item=item, actor=cab_member, lessons="Again.")
