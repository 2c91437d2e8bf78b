"""Prometheus metrics (issue 14).

Counters and histograms are updated as requests and tasks happen (`ops.middleware`,
`ops.celery_signals`); gauges of the desk's backlogs are computed at scrape time by
`BacklogCollector` from the same selectors as the system status page. Under gunicorn, set
PROMETHEUS_MULTIPROC_DIR to a directory shared by the web processes (and a worker on the same
host), emptied at start-up (`ops/gunicorn_conf.py`): each process writes its values there and
/metrics adds them up.
"""

import os

from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

HTTP_REQUESTS = Counter(
    "mhhs_http_requests_total",
    "HTTP requests answered, by route name (never the raw path), method and status.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "mhhs_http_request_duration_seconds",
    "Time to answer an HTTP request, by route name, method and status.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
HTTP_DB_QUERIES = Histogram(
    "mhhs_http_request_db_queries",
    "Database queries made while answering one HTTP request, by route name.",
    ["route"],
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200),
)
CELERY_TASK_RUNS = Counter(
    "mhhs_celery_task_runs_total", "Celery task runs, by task and final state.", ["task", "state"]
)
CELERY_TASK_FAILURES = Counter(
    "mhhs_celery_task_failures_total", "Celery task runs that raised, by task.", ["task"]
)
CELERY_TASK_DURATION = Histogram(
    "mhhs_celery_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


class BacklogCollector:
    """Gauges read from the database and the broker at each scrape (a handful of indexed
    aggregate queries, `ops.selectors`)."""

    def collect(self):
        from .selectors import backlogs, broker_queue_depth, last_success, periodic_task_names
        from .services import HEARTBEAT_TASK

        now = timezone.now()
        b = backlogs()

        def gauge(name: str, doc: str, value: float, labels: dict | None = None):
            family = GaugeMetricFamily(name, doc, labels=list(labels or {}))
            family.add_metric(list((labels or {}).values()), value)
            return family

        depth = GaugeMetricFamily(
            "mhhs_celery_queue_depth",
            "Messages waiting in the Celery broker queue (-1: the broker did not answer).",
            labels=["queue"],
        )
        for queue, count in broker_queue_depth().items():
            depth.add_metric([queue], -1 if count is None else count)
        yield depth
        yield gauge("mhhs_outbox_backlog", "Outbound messages not yet sent.", b.outbox_backlog)
        yield gauge(
            "mhhs_outbox_oldest_age_seconds",
            "Age of the oldest outbound message not yet sent (0 when none waits).",
            b.age(b.outbox_oldest, now),
        )
        undeliverable = GaugeMetricFamily(
            "mhhs_outbox_undeliverable",
            "Outbound messages that will not be sent: refused (an MPAN) or dead letters.",
            labels=["status"],
        )
        undeliverable.add_metric(["refused"], b.outbox_refused)
        undeliverable.add_metric(["dead"], b.outbox_dead)
        yield undeliverable
        yield gauge(
            "mhhs_sla_clocks_at_risk", "Open SLA clocks at risk, not breached.", b.clocks_at_risk
        )
        yield gauge("mhhs_sla_clocks_breached", "Open SLA clocks breached.", b.clocks_breached)
        yield gauge(
            "mhhs_triage_queue_length", "Cases waiting for first-line triage.", b.triage_length
        )
        yield gauge(
            "mhhs_triage_queue_oldest_age_seconds",
            "Age of the oldest case waiting for triage (0 when none waits).",
            b.age(b.triage_oldest, now),
        )
        yield gauge(
            "mhhs_inbound_email_failures",
            "Inbound emails that failed (kept for retry) or ended in error.",
            b.inbound_failed,
        )
        tasks = (HEARTBEAT_TASK, *sorted(periodic_task_names() - {HEARTBEAT_TASK}))
        last = last_success(tasks)
        yield gauge(
            "mhhs_worker_heartbeat_age_seconds",
            "Seconds since a worker last took the heartbeat task (-1: never).",
            (now - last[HEARTBEAT_TASK]).total_seconds() if last[HEARTBEAT_TASK] else -1,
        )
        periodic = GaugeMetricFamily(
            "mhhs_periodic_task_last_success_age_seconds",
            "Seconds since each periodic task last succeeded on a worker (-1: never).",
            labels=["task"],
        )
        for task in tasks[1:]:
            periodic.add_metric([task], (now - last[task]).total_seconds() if last[task] else -1)
        yield periodic


class _ProcessMetrics:
    """This process's own registry (counters, histograms, process and GC metrics)."""

    def collect(self):
        yield from REGISTRY.collect()


def render() -> bytes:
    """The exposition text of every series, built for this scrape."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_ProcessMetrics())
    registry.register(BacklogCollector())
    return generate_latest(registry)
