"""What the system status page and /metrics show (issue 14). Each figure is one aggregate
query served by an index, so a scrape or a page view costs the same at any size:

- outbox: the `outbox_due` index (status, next_attempt_at) serves WHERE status IN (…);
- inbound email: `inbound_status` (status, received_at);
- SLA clocks: the partial index of open clocks (`sla_clock_open_by_type`, stopped_at IS NULL),
  so the cost follows the open tickets, not the history;
- triage queue: `case_state_opened` (state, opened_at).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone

from cases.models import Case
from comms.models import InboundEmail, OutboundMessage
from sla.models import TicketSLA

from .models import PeriodicTaskRun
from .services import HEARTBEAT_TASK

_UNSENT = (OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING)
_UNDELIVERABLE = (OutboundMessage.Status.REFUSED, OutboundMessage.Status.DEAD)
_INBOUND_FAILED = (InboundEmail.Status.FAILED, InboundEmail.Status.ERROR)


@dataclass(frozen=True)
class Backlogs:
    outbox_backlog: int
    outbox_oldest: datetime | None
    outbox_refused: int
    outbox_dead: int
    inbound_failed: int
    clocks_at_risk: int
    clocks_breached: int
    triage_length: int
    triage_oldest: datetime | None

    def age(self, value: datetime | None, now: datetime) -> float:
        return max((now - value).total_seconds(), 0.0) if value else 0.0


def backlogs() -> Backlogs:
    """Outbox, inbound email, SLA clocks and triage queue, in four queries."""
    outbox = OutboundMessage.objects.filter(status__in=(*_UNSENT, *_UNDELIVERABLE)).aggregate(
        backlog=Count("pk", filter=Q(status__in=_UNSENT)),
        oldest=Min("created_at", filter=Q(status__in=_UNSENT)),
        refused=Count("pk", filter=Q(status=OutboundMessage.Status.REFUSED)),
        dead=Count("pk", filter=Q(status=OutboundMessage.Status.DEAD)),
    )
    inbound_failed = InboundEmail.objects.filter(status__in=_INBOUND_FAILED).count()
    clocks = TicketSLA.objects.filter(stopped_at__isnull=True, cancelled=False).aggregate(
        at_risk=Count("pk", filter=Q(at_risk=True, breached=False)),
        breached=Count("pk", filter=Q(breached=True)),
    )
    triage = Case.objects.filter(state=Case.State.NEW).aggregate(
        length=Count("pk"), oldest=Min("opened_at")
    )
    return Backlogs(
        outbox_backlog=outbox["backlog"],
        outbox_oldest=outbox["oldest"],
        outbox_refused=outbox["refused"],
        outbox_dead=outbox["dead"],
        inbound_failed=inbound_failed,
        clocks_at_risk=clocks["at_risk"],
        clocks_breached=clocks["breached"],
        triage_length=triage["length"],
        triage_oldest=triage["oldest"],
    )


def broker_queue_depth() -> dict[str, int | None]:
    """Messages waiting in the Celery queue, per queue; None when the broker does not answer
    (the page and /metrics say so rather than fail)."""
    from celery import current_app as app

    queue = app.conf.task_default_queue
    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            # Not passive: an empty Redis queue has no key, and a passive declaration of it
            # fails; declaring the queue Celery itself declares changes nothing.
            declared = conn.default_channel.queue_declare(queue=queue)
            return {queue: int(declared.message_count)}
    except Exception:
        return {queue: None}


@dataclass(frozen=True)
class PeriodicRow:
    entry: str
    task: str
    every: str
    run: PeriodicTaskRun | None
    late: bool


def _interval(schedule) -> timedelta | None:
    if isinstance(schedule, int | float):
        return timedelta(seconds=schedule)
    every = getattr(schedule, "run_every", None)
    return every if isinstance(every, timedelta) else None


def _every(schedule) -> str:
    if isinstance(schedule, int | float):
        seconds = int(schedule)
        if seconds % 3600 == 0:
            return f"every {seconds // 3600} h"
        if seconds % 60 == 0:
            return f"every {seconds // 60} min"
        return f"every {seconds} s"
    return str(schedule).removeprefix("<crontab: ").removesuffix(">")


def periodic_task_names() -> frozenset[str]:
    return frozenset(entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())


def periodic_runs(*, now: datetime | None = None) -> list[PeriodicRow]:
    """Each entry of the beat schedule with its last run (one query); `late` when a task with
    a fixed interval has not succeeded within twice that interval."""
    now = now or timezone.now()
    runs = {run.task: run for run in PeriodicTaskRun.objects.all()}
    rows = []
    for entry, spec in sorted(settings.CELERY_BEAT_SCHEDULE.items()):
        run = runs.get(spec["task"])
        interval = _interval(spec["schedule"])
        late = bool(
            interval
            and (
                run is None
                or not run.last_succeeded_at
                or run.last_succeeded_at < now - 2 * interval
            )
        )
        rows.append(PeriodicRow(entry, spec["task"], _every(spec["schedule"]), run, late))
    return rows


def last_success(tasks: tuple[str, ...]) -> dict[str, datetime | None]:
    """When each of `tasks` last succeeded (one query)."""
    found = dict(
        PeriodicTaskRun.objects.filter(task__in=tasks).values_list("task", "last_succeeded_at")
    )
    return {task: found.get(task) for task in tasks}


def worker_heartbeat() -> datetime | None:
    return last_success((HEARTBEAT_TASK,))[HEARTBEAT_TASK]
