"""Monthly change metrics (§8.11), for the Change Manager's report on change activity.

The month is a UK calendar month. What each number counts:

- Authorised vs Unauthorised: changes closed in the month after implementation; those closed
  as Unauthorised (§8.8) against the rest. Cancelled changes were never implemented.
- Backed out %: of those closed changes, the share closed as Backed Out (§8.8).
- Acceptance vs rejection: changes authorised in the month (§8.7, §8.9) against changes
  rejected in the month (a Reject decision recorded on them); Standard changes are
  pre-approved (§8.1.2) and counted in neither.
- Schedule variance: for each closed change with a recorded start and end, the time it took
  (implementation start to completion) minus the time planned (planned start to end), in
  minutes; the total and the average. Positive means it took longer than planned.
- Incidents caused by changes: incidents opened in the month, linked to a change, and opened
  after that change's implementation started.
- On time %: of the closed changes with a recorded completion, the share completed by their
  planned end. The portal keeps no budget, so "on time and budget" is measured on time.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
)

from incidents.models import Incident
from tickets.models import TicketLink

from .models import Change, ChangeApproval
from .risk import ChangeType
from .schedule_selectors import uk_midnight

INCIDENT_LINK_KINDS = (TicketLink.Kind.INCIDENT_CHANGE, TicketLink.Kind.CAUSED_BY_CHANGE)


@dataclass(frozen=True)
class MonthlyChangeMetrics:
    month: date
    start: datetime
    end: datetime
    closed: int
    authorised: int
    unauthorised: int
    backed_out: int
    backed_out_pct: Decimal | None
    accepted: int
    rejected: int
    acceptance_pct: Decimal | None
    rejection_pct: Decimal | None
    variance_measured: int
    variance_total_minutes: int | None
    variance_average_minutes: Decimal | None
    incidents_caused: int
    on_time: int
    on_time_measured: int
    on_time_pct: Decimal | None


def percent(part: int, whole: int) -> Decimal | None:
    """`part` of `whole` as a percentage to one decimal place; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of the UK month and of the next one."""
    first = month.replace(day=1)
    following = (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )
    return uk_midnight(first), uk_midnight(following)


def _minutes(delta) -> int:
    return int(delta.total_seconds() // 60)


def monthly_change_metrics(month: date) -> MonthlyChangeMetrics:
    """The §8.11 metrics of the UK month containing `month`, in four queries."""
    start, end = month_bounds(month)
    closed = Change.objects.filter(
        state=Change.State.CLOSED, closed_at__gte=start, closed_at__lt=end
    )
    measured = Q(actual_start__isnull=False, actual_end__isnull=False)
    measured &= Q(planned_start__isnull=False, planned_end__isnull=False)
    variance = ExpressionWrapper(
        (F("actual_end") - F("actual_start")) - (F("planned_end") - F("planned_start")),
        output_field=DurationField(),
    )
    figures = closed.aggregate(
        closed=Count("pk"),
        unauthorised=Count("pk", filter=Q(closure_code=Change.ClosureCode.UNAUTHORISED)),
        backed_out=Count("pk", filter=Q(closure_code=Change.ClosureCode.BACKED_OUT)),
        variance_measured=Count("pk", filter=measured),
        variance_total=Sum(variance, filter=measured),
        on_time=Count("pk", filter=Q(actual_end__isnull=False, actual_end__lte=F("planned_end"))),
        on_time_measured=Count("pk", filter=Q(actual_end__isnull=False, planned_end__isnull=False)),
    )
    accepted = (
        Change.objects.filter(authorised_at__gte=start, authorised_at__lt=end)
        .exclude(change_type=ChangeType.STANDARD)
        .count()
    )
    rejected = (
        ChangeApproval.objects.filter(
            decision=ChangeApproval.Decision.REJECT, at__gte=start, at__lt=end
        )
        .values("change_id")
        .distinct()
        .count()
    )
    incidents_caused = _incidents_caused(start, end)
    total = figures["variance_total"]
    measured_count = figures["variance_measured"]
    return MonthlyChangeMetrics(
        month=month.replace(day=1),
        start=start,
        end=end,
        closed=figures["closed"],
        authorised=figures["closed"] - figures["unauthorised"],
        unauthorised=figures["unauthorised"],
        backed_out=figures["backed_out"],
        backed_out_pct=percent(figures["backed_out"], figures["closed"]),
        accepted=accepted,
        rejected=rejected,
        acceptance_pct=percent(accepted, accepted + rejected),
        rejection_pct=percent(rejected, accepted + rejected),
        variance_measured=measured_count,
        variance_total_minutes=_minutes(total) if total is not None else None,
        variance_average_minutes=(
            (Decimal(_minutes(total)) / measured_count).quantize(Decimal("0.1"), ROUND_HALF_UP)
            if total is not None and measured_count
            else None
        ),
        incidents_caused=incidents_caused,
        on_time=figures["on_time"],
        on_time_measured=figures["on_time_measured"],
        on_time_pct=percent(figures["on_time"], figures["on_time_measured"]),
    )


def _incidents_caused(start: datetime, end: datetime) -> int:
    """Distinct incidents opened in [start, end) linked to a change whose implementation had
    started before the incident was opened (§8.11 "incidents/tickets caused by new changes")."""
    types = ContentType.objects.get_for_models(Incident, Change)
    links = (
        TicketLink.objects.filter(
            kind__in=INCIDENT_LINK_KINDS,
            from_type=types[Incident],
            to_type=types[Change],
        )
        .annotate(
            incident_opened=Subquery(
                Incident.objects.filter(pk=OuterRef("from_id")).values("opened_at")[:1]
            ),
            change_started=Subquery(
                Change.objects.filter(pk=OuterRef("to_id")).values("actual_start")[:1]
            ),
        )
        .filter(
            incident_opened__gte=start,
            incident_opened__lt=end,
            change_started__lt=F("incident_opened"),
        )
    )
    return links.values("from_id").distinct().count()
