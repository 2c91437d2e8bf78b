"""Changes brought to a given state through the services, for the CAB tests (§8.7, §8.9)."""

import time_machine

from changes.models import ChangeApproval
from changes.risk import ChangeType, Rating
from changes.services import (
    change_assess,
    change_close,
    change_complete,
    change_record_approval,
    change_start_implementation,
    change_submit,
)
from tests.changes.conftest import raise_change

Kind = ChangeApproval.Kind


def submitted(actor, at, **fields):
    """A change raised and submitted at `at` (its §8.7 CAB date follows from `at`)."""
    with time_machine.travel(at, tick=False):
        change = raise_change(actor, **fields)
        return change_submit(change=change, actor=actor, now=at)


def awaiting_cab(actor, manager, at, **fields):
    """A Normal High-risk change submitted at `at` and assessed: in Authorise for its CAB."""
    fields = {"probability": Rating.HIGH, "impact": Rating.HIGH, **fields}
    change = submitted(actor, at, **fields)
    with time_machine.travel(at, tick=False):
        return change_assess(change=change, actor=manager)


def scheduled_low(actor, manager, at, **fields):
    """A Low/Low Normal change authorised by the Change Manager (§8.7): Scheduled."""
    change = submitted(actor, at, **fields)
    with time_machine.travel(at, tick=False):
        change = change_assess(change=change, actor=manager)
        change_record_approval(
            change=change, actor=manager, kind=Kind.CHANGE_MANAGER, decision="approve"
        )
    return type(change).objects.get(pk=change.pk)


def closed_as(actor, manager, at, code, **fields):
    """A change implemented and closed with `code` at `at` (§8.8)."""
    change = scheduled_low(actor, manager, at, **fields)
    with time_machine.travel(at, tick=False):
        change = change_start_implementation(change=change, actor=actor)
        change = change_complete(change=change, actor=actor)
        return change_close(change=change, actor=actor, code=code, notes="Rolled back per plan.")


def emergency(actor, at, **fields):
    """An Emergency change raised at `at` (§9.1)."""
    with time_machine.travel(at, tick=False):
        return raise_change(actor, change_type=ChangeType.EMERGENCY, **fields)
