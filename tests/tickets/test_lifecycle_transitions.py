"""The shared lifecycle (§5.12, §5.13, §10.3): every allowed transition and every forbidden one."""

import itertools

import pytest
from django.db import transaction
from django_fsm import ConcurrentTransition

from cases.models import Case
from cases.services import case_transition
from core.errors import (
    ActionNotPermitted,
    ConcurrentUpdate,
    TransitionNotAllowed,
    ValidationFailed,
)
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.selectors import journal_for

S = Case.State
ARGS = {
    "start": {},
    "hold": {"reason": Case.HoldReason.AWAITING_VENDOR},
    "resume": {},
    "resolve": {"notes": "Restarted the DIP adaptor."},
    "reject_resolution": {"note": "Still failing."},
    "close": {},
    "cancel": {"reason": Case.CancelReason.DUPLICATE},
}
ALLOWED = {
    (S.NEW, "start"): S.IN_PROGRESS,
    (S.NEW, "resolve"): S.RESOLVED,
    (S.NEW, "cancel"): S.CANCELLED,
    (S.IN_PROGRESS, "hold"): S.ON_HOLD,
    (S.IN_PROGRESS, "resolve"): S.RESOLVED,
    (S.IN_PROGRESS, "cancel"): S.CANCELLED,
    (S.ON_HOLD, "resume"): S.IN_PROGRESS,
    (S.ON_HOLD, "cancel"): S.CANCELLED,
    (S.RESOLVED, "reject_resolution"): S.IN_PROGRESS,
    (S.RESOLVED, "close"): S.CLOSED,
}
# How to reach each state from New, through the services.
PATHS = {
    S.NEW: [],
    S.IN_PROGRESS: ["start"],
    S.ON_HOLD: ["start", "hold"],
    S.RESOLVED: ["start", "resolve"],
    S.CLOSED: ["start", "resolve", "close"],
    S.CANCELLED: ["cancel"],
}


def _case_in(state, org_user, agent):
    case = CaseFactory(caller=org_user)
    for name in PATHS[state]:
        case = case_transition(case=case, actor=agent, name=name, **ARGS[name])
    assert case.state == state
    return case


@pytest.mark.parametrize(("source", "name"), sorted(ALLOWED, key=str))
def test_allowed_transition_moves_to_target_state(source, name, org_user, agent):
    """§5.12/§10.3: each transition of the table moves the ticket and journals it."""
    case = _case_in(source, org_user, agent)
    case = case_transition(case=case, actor=agent, name=name, **ARGS[name])
    assert case.state == ALLOWED[(source, name)]
    case.refresh_from_db()
    assert case.state == ALLOWED[(source, name)]
    assert (
        journal_for(case, include_work_notes=True)
        .filter(kind=JournalEntry.Kind.SYSTEM, body__startswith="State changed")
        .exists()
    )


FORBIDDEN = [
    (source, name)
    for source, name in itertools.product(PATHS, ARGS)
    if (source, name) not in ALLOWED
]


@pytest.mark.parametrize(("source", "name"), sorted(FORBIDDEN, key=str))
def test_forbidden_transition_is_refused_in_plain_words(source, name, org_user, agent):
    """A transition the lifecycle does not allow is a clear error and changes nothing."""
    case = _case_in(source, org_user, agent)
    with pytest.raises(TransitionNotAllowed, match=r"You can't .* while it is"):
        case_transition(case=case, actor=agent, name=name, **ARGS[name])
    case.refresh_from_db()
    assert case.state == source


def test_reject_resolution_counts_a_reopen(org_user, agent):
    """§10.3: the caller's rejection reopens the case and counts it."""
    case = _case_in(S.RESOLVED, org_user, agent)
    case = case_transition(case=case, actor=org_user, name="reject_resolution", note="Still broken")
    assert case.state == S.IN_PROGRESS
    assert case.reopen_count == 1
    assert case.resolved_at is None


def test_caller_can_confirm_but_not_resolve(org_user, agent):
    """Desk transitions need the desk; the caller may only confirm or reject (§10.3)."""
    case = _case_in(S.IN_PROGRESS, org_user, agent)
    with pytest.raises(ActionNotPermitted):
        case_transition(case=case, actor=org_user, name="resolve", notes="I fixed it myself")
    case = case_transition(case=case, actor=agent, name="resolve", notes="Fixed")
    case = case_transition(case=case, actor=org_user, name="close")
    assert case.state == S.CLOSED
    assert case.closed_at is not None and case.active is False


def test_resolve_needs_notes_and_hold_needs_a_reason(org_user, agent):
    case = _case_in(S.IN_PROGRESS, org_user, agent)
    with pytest.raises(ValidationFailed, match="resolution notes"):
        case_transition(case=case, actor=agent, name="resolve", notes="  ")
    with pytest.raises(ValidationFailed, match="hold"):
        case_transition(case=case, actor=agent, name="hold", reason="because")


def test_hold_records_the_reason_and_resume_clears_it(org_user, agent):
    """§5.12 hold sub-states: Awaiting Caller, Change, Problem, Vendor."""
    case = _case_in(S.IN_PROGRESS, org_user, agent)
    case = case_transition(
        case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_CHANGE
    )
    assert case.hold_reason == Case.HoldReason.AWAITING_CHANGE
    case = case_transition(case=case, actor=agent, name="resume")
    assert case.hold_reason == ""


def test_stale_screen_is_refused_as_changed_by_someone_else(org_user, agent):
    """Acting on a state that is no longer current gives "reload", not a silent overwrite."""
    case = _case_in(S.IN_PROGRESS, org_user, agent)
    with pytest.raises(ConcurrentUpdate, match="changed by someone else"):
        case_transition(case=case, actor=agent, name="resolve", notes="x", expected_state=S.NEW)


def test_unknown_transition_name_is_refused(org_user, agent):
    case = _case_in(S.NEW, org_user, agent)
    with pytest.raises(TransitionNotAllowed):
        case_transition(case=case, actor=agent, name="delete")


def test_transitions_are_recorded_in_history(org_user, agent):
    """§10.5.3: every change is audited (django-simple-history)."""
    case = _case_in(S.RESOLVED, org_user, agent)
    states = list(case.history.order_by("history_date").values_list("state", flat=True))
    assert states[0] == S.NEW and states[-1] == S.RESOLVED and S.IN_PROGRESS in states


def test_a_copy_read_before_another_save_is_refused_on_save(org_user, agent):
    """django-fsm's concurrency guard still sees the state field once the lookup of state
    fields is kept per ticket type (issue 9): a stale copy's save is refused."""
    case = CaseFactory(caller=org_user, organisation=org_user.organisation)
    stale = Case.objects.get(pk=case.pk)
    assert tuple(stale.state_fields) == (Case._meta.get_field("state"),)
    case_transition(case=case, name="start", actor=agent)
    stale.short_description = "Edited on a stale screen"
    with pytest.raises(ConcurrentTransition), transaction.atomic():
        stale.save()
    assert Case.objects.get(pk=case.pk).short_description != "Edited on a stale screen"
