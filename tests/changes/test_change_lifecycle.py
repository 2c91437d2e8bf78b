"""Each path through the change lifecycle (§8.1.1, §8.7, §8.9, §9.4): Standard changes skip
Authorise; Normal changes are authorised by the Change Manager (Low/Low) or CAB; Emergency
changes by the ECAB or, out of hours, the Major Incident Manager alone."""

import pytest
import time_machine

from changes.models import Change, ChangeApproval, ChangeReviewItem
from changes.risk import ChangeType, Rating
from changes.services import (
    change_assess,
    change_cancel,
    change_close,
    change_complete,
    change_record_approval,
    change_schedule,
    change_start_implementation,
    change_submit,
    change_update,
)
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tests.changes.conftest import london, raise_change, raise_standard
from tickets.models import JournalEntry

Kind = ChangeApproval.Kind
Decision = ChangeApproval.Decision
State = Change.State
# Wednesday 3 February 2027, 10:00 London: in core hours, well ahead of a 1 March start.
IN_HOURS = london(2027, 2, 3, 10, 0)
# Saturday 6 February 2027, 03:00 London: out of hours.
OUT_OF_HOURS = london(2027, 2, 6, 3, 0)


def _journal(change) -> list[str]:
    return list(
        JournalEntry.objects.filter(ticket_id=change.pk, ticket_type__model="change")
        .order_by("pk")
        .values_list("body", flat=True)
    )


def _through_implementation(change, actor):
    change = change_start_implementation(change=change, actor=actor)
    change = change_complete(change=change, actor=actor)
    return change_close(change=change, actor=actor, code="successful", notes="Went to plan.")


@pytest.mark.django_db
def test_standard_change_from_the_catalogue_skips_authorise(
    service_owner, change_manager, template
):
    """§8.1.2: a Standard change is pre-approved: New → Assess → Scheduled, no approval."""
    change = raise_standard(service_owner, template)
    assert change.change_type == ChangeType.STANDARD and change.cab_required is False
    assert change.implementation_plan == template.implementation_plan
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    assert change.state == State.ASSESS and not change.is_late
    with pytest.raises(TransitionNotAllowed, match="schedule it instead"):
        change_assess(change=change, actor=change_manager)
    change = change_schedule(change=change, actor=change_manager)
    assert change.state == State.SCHEDULED
    assert not change.approvals.exists()
    change = _through_implementation(change, service_owner)
    assert change.state == State.CLOSED and change.closure_code == "successful"


@pytest.mark.django_db
def test_standard_change_plans_are_the_templates(service_owner, template):
    """§8.1.2: a Standard change follows its set process; only timing and people change."""
    change = raise_standard(service_owner, template)
    with pytest.raises(ValidationFailed, match="implementation_plan"):
        change_update(change=change, actor=service_owner, implementation_plan="Something else")


@pytest.mark.django_db
def test_low_risk_low_impact_normal_change_is_authorised_by_the_change_manager(
    service_owner, change_manager, cab_member
):
    """§8.7: a Low risk, Low impact Normal change does not go to CAB; the Change Manager
    authorises it."""
    change = raise_change(service_owner)
    assert change.risk == Rating.LOW and change.cab_required is False
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    assert change.cab_date is None and not change.is_late
    change = change_assess(change=change, actor=change_manager)
    assert change.state == State.AUTHORISE
    with pytest.raises(ValidationFailed, match="Change Manager"):
        change_record_approval(
            change=change, actor=cab_member, kind=Kind.CAB, decision=Decision.APPROVE
        )
    approval = change_record_approval(
        change=change, actor=change_manager, kind=Kind.CHANGE_MANAGER, decision=Decision.APPROVE
    )
    change.refresh_from_db()
    assert change.state == State.SCHEDULED
    assert change.authorised_by == change_manager and change.authorised_via == "change_manager"
    assert approval.approver == change_manager
    assert _through_implementation(change, service_owner).state == State.CLOSED


@pytest.mark.django_db
def test_normal_change_with_medium_risk_goes_to_cab(service_owner, change_manager, cab_member):
    """§8.9.2: a Normal change with a risk or impact of High or Medium is authorised at CAB;
    submitted on a Wednesday it goes to the CAB of the Tuesday after next (§8.7)."""
    change = raise_change(service_owner, probability=Rating.MEDIUM, impact=Rating.MEDIUM)
    assert change.risk == Rating.MEDIUM and change.cab_required is True
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    assert str(change.cab_date) == "2027-02-16"
    change = change_assess(change=change, actor=change_manager)
    with pytest.raises(ValidationFailed, match="CAB"):
        change_record_approval(
            change=change,
            actor=change_manager,
            kind=Kind.CHANGE_MANAGER,
            decision=Decision.APPROVE,
        )
    change_record_approval(
        change=change, actor=cab_member, kind=Kind.CAB, decision=Decision.APPROVE
    )
    change.refresh_from_db()
    assert change.state == State.SCHEDULED and change.authorised_via == "cab"


@pytest.mark.django_db
def test_assessment_can_raise_the_ratings_so_the_change_needs_cab(service_owner, change_manager):
    """§8.4–§8.7: the Change Manager's assessment re-rates the change; a High impact makes
    a Low/Low change need CAB."""
    change = raise_change(service_owner)
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    change = change_assess(change=change, actor=change_manager, impact=Rating.HIGH)
    assert change.risk == Rating.MEDIUM and change.cab_required is True
    assert any("Awaiting authorisation by the CAB" in body for body in _journal(change))


@pytest.mark.django_db
def test_emergency_change_is_authorised_by_the_ecab_in_hours(service_owner, change_manager, mim):
    """§9.4: in hours an Emergency change is authorised by the ECAB; the Major Incident
    Manager's out-of-hours authority does not apply."""
    change = raise_change(
        service_owner, change_type=ChangeType.EMERGENCY, planned_start=london(2027, 2, 3, 12, 0)
    )
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
        assert not change.is_late
        change = change_assess(change=change, actor=change_manager)
        with pytest.raises(ValidationFailed, match="Emergency CAB"):
            change_record_approval(
                change=change, actor=mim, kind=Kind.MIM_OUT_OF_HOURS, decision=Decision.APPROVE
            )
        change_record_approval(
            change=change, actor=change_manager, kind=Kind.ECAB, decision=Decision.APPROVE
        )
    change.refresh_from_db()
    assert change.state == State.SCHEDULED and change.authorised_via == "ecab"


@pytest.mark.django_db
def test_out_of_hours_the_major_incident_manager_authorises_an_emergency_change_alone(
    service_owner, change_manager, mim
):
    """§9.4.3: out of hours the Major Incident Manager has delegated authority for an
    Emergency change; the approval and the journal record it as such."""
    change = raise_change(
        service_owner, change_type=ChangeType.EMERGENCY, planned_start=london(2027, 2, 6, 4, 0)
    )
    with time_machine.travel(OUT_OF_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
        change = change_assess(change=change, actor=change_manager)
        approval = change_record_approval(
            change=change, actor=mim, kind=Kind.MIM_OUT_OF_HOURS, decision=Decision.APPROVE
        )
    change.refresh_from_db()
    assert change.state == State.SCHEDULED
    assert change.authorised_by == mim and change.authorised_via == "mim_out_of_hours"
    assert approval.get_kind_display() == "Major Incident Manager out of hours"
    assert any("Major Incident Manager out of hours" in body for body in _journal(change))


@pytest.mark.django_db
def test_a_cab_member_cannot_act_as_the_major_incident_manager(
    service_owner, change_manager, cab_member
):
    """§9.4.3: the out-of-hours authority is the Major Incident Manager's alone."""
    change = raise_change(service_owner, change_type=ChangeType.EMERGENCY)
    with time_machine.travel(OUT_OF_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
        change = change_assess(change=change, actor=change_manager)
        with pytest.raises(ActionNotPermitted):
            change_record_approval(
                change=change,
                actor=cab_member,
                kind=Kind.MIM_OUT_OF_HOURS,
                decision=Decision.APPROVE,
            )
    change.refresh_from_db()
    assert change.state == State.AUTHORISE


@pytest.mark.django_db
def test_rejection_cancels_the_change_and_says_why(service_owner, change_manager, cab_member):
    """§8.9.4: CAB recommends approval or rejection; a rejected change does not happen
    (closed as Cancelled, §8.8) and needs no post-implementation review."""
    change = raise_change(service_owner, probability=Rating.HIGH)
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    change = change_assess(change=change, actor=change_manager)
    with pytest.raises(ValidationFailed, match="Say why"):
        change_record_approval(
            change=change, actor=cab_member, kind=Kind.CAB, decision=Decision.REJECT
        )
    change_record_approval(
        change=change,
        actor=cab_member,
        kind=Kind.CAB,
        decision=Decision.REJECT,
        comment="No tested back-out for the database schema.",
    )
    change.refresh_from_db()
    assert change.state == State.CANCELLED and change.closure_code == "cancelled"
    assert "No tested back-out" in change.closure_notes
    assert not ChangeReviewItem.objects.filter(change=change).exists()


@pytest.mark.django_db
def test_more_information_sends_the_change_back_to_assess(
    service_owner, change_manager, cab_member
):
    """§8.9.5: CAB ensures requests have adequate documentation; asking for more sends the
    change back to Assess, where it can be edited and assessed again."""
    change = raise_change(service_owner, probability=Rating.HIGH)
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    change = change_assess(change=change, actor=change_manager)
    change_record_approval(
        change=change,
        actor=cab_member,
        kind=Kind.CAB,
        decision=Decision.MORE_INFO,
        comment="Attach the test results.",
    )
    change.refresh_from_db()
    assert change.state == State.ASSESS
    change = change_update(change=change, actor=service_owner, test_plan="Tested in UAT: pass.")
    assert change_assess(change=change, actor=change_manager).state == State.AUTHORISE


@pytest.mark.django_db
def test_late_normal_change_needs_a_justification_and_is_flagged(service_owner):
    """§8.7: a Low/Low Normal change starting in 2 working days is late: refused without a
    justification (with the rule in the message), accepted and flagged with one."""
    change = raise_change(service_owner, planned_start=london(2027, 2, 5, 10, 0))
    with time_machine.travel(IN_HOURS, tick=False):
        with pytest.raises(ValidationFailed, match="5 working days") as refused:
            change_submit(change=change, actor=service_owner)
        assert "justification" in refused.value.field_errors
        change = change_submit(
            change=change, actor=service_owner, justification="Vendor deadline on Friday."
        )
    assert change.state == State.ASSESS and change.is_late
    assert change.late_justification == "Vendor deadline on Friday."
    assert any("Late change" in body for body in _journal(change))


@pytest.mark.django_db
def test_submission_needs_every_mandatory_field(service_owner):
    """§8.3: a change is submitted only with its mandatory fields; the refusal lists them."""
    change = raise_change(service_owner, test_plan="", services=[], probability=None)
    with pytest.raises(ValidationFailed) as refused:
        change_submit(change=change, actor=service_owner)
    assert {"test_plan", "services", "probability"} <= set(refused.value.field_errors)
    change.refresh_from_db()
    assert change.state == State.NEW


@pytest.mark.django_db
def test_cancel_before_implementation_but_not_after(service_owner, change_manager):
    """§8.8: Cancelled means closed without implementation being attempted; an implemented
    change closes with its outcome instead."""
    first = raise_change(service_owner)
    first = change_cancel(change=first, actor=service_owner, notes="No longer needed.")
    assert first.state == State.CANCELLED and first.closure_code == "cancelled"
    second = raise_change(service_owner)
    with time_machine.travel(IN_HOURS, tick=False):
        second = change_submit(change=second, actor=service_owner)
    second = change_assess(change=second, actor=change_manager)
    change_record_approval(
        change=second, actor=change_manager, kind=Kind.CHANGE_MANAGER, decision=Decision.APPROVE
    )
    second.refresh_from_db()
    second = change_start_implementation(change=second, actor=service_owner)
    with pytest.raises(TransitionNotAllowed, match="while it is Implement"):
        change_cancel(change=second, actor=service_owner, notes="Too late.")


@pytest.mark.django_db
def test_only_the_change_manager_assesses(service_owner, cab_member):
    """§8.7: assessment is the Change Manager's."""
    change = raise_change(service_owner)
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    with pytest.raises(ActionNotPermitted):
        change_assess(change=change, actor=service_owner)
    with pytest.raises(ActionNotPermitted):
        change_assess(change=change, actor=cab_member)
