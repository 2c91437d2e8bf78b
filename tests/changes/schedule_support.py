"""Changes at the points of their lifecycle the schedule and report tests need (§8.1.1),
driven through the services as in production."""

from datetime import timedelta

import time_machine

from changes.models import Change, ChangeApproval
from changes.services import (
    change_assess,
    change_close,
    change_complete,
    change_record_approval,
    change_start_implementation,
    change_submit,
)
from tests.changes.conftest import london, raise_change

# A Wednesday in office hours, well ahead of March 2027's planned changes (§8.7 lead time).
SUBMITTED = london(2027, 2, 3, 10, 0)


def scheduled(owner, manager, *, authorised_at=None, **fields) -> Change:
    """A Low/Low Normal change authorised by the Change Manager (§8.7): Scheduled."""
    change = raise_change(owner, **fields)
    with time_machine.travel(SUBMITTED, tick=False):
        change = change_submit(change=change, actor=owner)
    change = change_assess(change=change, actor=manager)
    with time_machine.travel(authorised_at or SUBMITTED + timedelta(hours=1), tick=False):
        change_record_approval(
            change=change,
            actor=manager,
            kind=ChangeApproval.Kind.CHANGE_MANAGER,
            decision=ChangeApproval.Decision.APPROVE,
        )
    return Change.objects.get(pk=change.pk)


def rejected(owner, manager, *, at, **fields) -> Change:
    """A change its approver rejected at `at` (§8.11 rejected changes)."""
    change = raise_change(owner, **fields)
    with time_machine.travel(SUBMITTED, tick=False):
        change = change_submit(change=change, actor=owner)
    change = change_assess(change=change, actor=manager)
    with time_machine.travel(at, tick=False):
        change_record_approval(
            change=change,
            actor=manager,
            kind=ChangeApproval.Kind.CHANGE_MANAGER,
            decision=ChangeApproval.Decision.REJECT,
            comment="Clashes with the settlement run.",
        )
    return Change.objects.get(pk=change.pk)


def implemented(owner, manager, *, started, finished, closed_at=None, code=None, **fields):
    """Scheduled, implemented from `started` to `finished`, and closed with `code` at
    `closed_at` (default: an hour after it finished) when a code is given."""
    change = scheduled(owner, manager, **fields)
    change = change_start_implementation(change=change, actor=owner, at=started)
    change = change_complete(change=change, actor=owner, at=finished)
    if code:
        with time_machine.travel(closed_at or finished + timedelta(hours=1), tick=False):
            change = change_close(change=change, actor=owner, code=code, notes="As recorded.")
    return change


def scheduled_now(owner, manager, **fields) -> Change:
    """`scheduled` at the real current time: submitted (with a justification, used only if
    the §8.7 lead time is missed), assessed and authorised by the Change Manager."""
    change = raise_change(owner, **fields)
    change = change_submit(
        change=change, actor=owner, justification="Needed before the next settlement run."
    )
    change = change_assess(change=change, actor=manager)
    change_record_approval(
        change=change,
        actor=manager,
        kind=ChangeApproval.Kind.CHANGE_MANAGER,
        decision=ChangeApproval.Decision.APPROVE,
    )
    return Change.objects.get(pk=change.pk)
