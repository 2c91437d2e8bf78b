"""Who may authorise a change (§8.7, §8.9.2, §9.4.3): pure rules on the change and the moment.

- A Normal change of Low risk and Low impact: the Change Manager, without CAB (§8.7).
- Any other Normal change: the CAB (§8.9.2), whose decision a CAB member or the Change Manager
  records.
- An Emergency change: the Emergency CAB (§9.4); out of hours the Major Incident Manager has
  delegated authority to authorise it alone (§9.4.3), and the approval says so.
- A Standard change is pre-approved and needs no authorisation (§8.1.2).
"""

from datetime import UTC, datetime

from sla.calendar import BUSINESS

from .models import Change, ChangeApproval
from .risk import ChangeType

Kind = ChangeApproval.Kind


def is_out_of_hours(at: datetime) -> bool:
    """Outside core hours (08:30–17:30 London on working days, §2.3.1), as for the desk."""
    return BUSINESS.next_opening(at) != at.astimezone(UTC)


def approval_kinds_for(change: Change, *, at: datetime) -> tuple[str, ...]:
    """The authorities that may authorise `change` at `at`."""
    if change.change_type == ChangeType.STANDARD:
        return ()
    if change.change_type == ChangeType.EMERGENCY:
        if is_out_of_hours(at):
            return (Kind.ECAB, Kind.MIM_OUT_OF_HOURS)
        return (Kind.ECAB,)
    return (Kind.CAB,) if change.cab_required else (Kind.CHANGE_MANAGER,)


def may_act_as(user, kind: str) -> bool:
    """Whether `user` may record a decision under the authority `kind`.

    The Change Manager decides alone, records CAB decisions and sits on the ECAB in hours;
    CAB members record CAB decisions; the Major Incident Manager sits on the ECAB and alone
    holds the out-of-hours authority (§9.4.3).
    """
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    manager = user.has_perm("changes.manage_change")
    mim = user.has_perm("major_incidents.manage_majorincident")
    if kind == Kind.CHANGE_MANAGER:
        return manager
    if kind == Kind.CAB:
        return manager or user.has_perm("changes.approve_change")
    if kind == Kind.ECAB:
        return manager or mim
    if kind == Kind.MIM_OUT_OF_HOURS:
        return mim
    return False


def authority_label(kinds) -> str:
    return " or ".join(str(Kind(kind).label) for kind in kinds)
