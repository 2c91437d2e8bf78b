"""Schedule conflicts between changes (§8.9.4 "reviewed for risk, impact, resources, and
timing"; §8.9.6 "Scheduled Changes … timelines that are due in the coming week").

Two changes conflict when they share an affected service and their planned windows overlap
(one starts before the other ends, both ways round): a change ending at 22:00 and another
starting at 22:00 on the same service follow each other and do not conflict. Cancelled
changes never happened (§8.8), so they conflict with nothing.

`conflicts_by_change` answers for any number of changes in one query, so a calendar, the CAB
workbench or an API list flags every row at a constant cost.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F

from .models import Change

# The states a change can be in and still take up its planned window (§8.8 Cancelled: "the
# change did not happen").
SCHEDULING_STATES = tuple(state for state in Change.State.values if state != Change.State.CANCELLED)


@dataclass
class Conflict:
    """Another change whose planned window overlaps this one's on the services named."""

    change_id: int
    number: str
    short_description: str
    state: str
    planned_start: datetime
    planned_end: datetime
    services: list[str] = field(default_factory=list)

    @property
    def state_label(self) -> str:
        return Change.State(self.state).label


def conflicts_by_change(changes: Iterable) -> dict[int, list[Conflict]]:
    """{change id: the changes it conflicts with, earliest first} for each given change (rows
    or ids), in one query at any number of changes. A change without a planned window, or
    cancelled, has none."""
    ids = sorted({getattr(change, "pk", change) for change in changes})
    found: dict[int, dict[int, Conflict]] = {pk: {} for pk in ids}
    if not ids:
        return {}
    through = Change.services.through
    # One self-join through the change↔service table: this change's services, every other
    # change on each of them, kept when the two planned windows overlap. All conditions on
    # `service__changes` sit in one filter() so they apply to the same joined row.
    rows = (
        through.objects.filter(
            change_id__in=ids,
            change__state__in=SCHEDULING_STATES,
            service__changes__state__in=SCHEDULING_STATES,
            service__changes__planned_start__lt=F("change__planned_end"),
            service__changes__planned_end__gt=F("change__planned_start"),
        )
        .values_list(
            "change_id",
            "service__name",
            "service__changes__id",
            "service__changes__number",
            "service__changes__short_description",
            "service__changes__state",
            "service__changes__planned_start",
            "service__changes__planned_end",
        )
        .order_by("change_id", "service__changes__planned_start", "service__changes__id")
    )
    for change_id, service, other_id, number, subject, state, start, end in rows:
        if other_id == change_id:
            continue
        conflict = found[change_id].get(other_id)
        if conflict is None:
            conflict = found[change_id][other_id] = Conflict(
                change_id=other_id,
                number=number,
                short_description=subject,
                state=state,
                planned_start=start,
                planned_end=end,
            )
        if service not in conflict.services:
            conflict.services.append(service)
    return {pk: list(others.values()) for pk, others in found.items()}


def change_conflicts_for(change: Change) -> list[Conflict]:
    """The changes whose planned windows overlap `change`'s on a shared service (§8.9.4)."""
    return conflicts_by_change([change])[change.pk]
