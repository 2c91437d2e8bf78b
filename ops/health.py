"""Liveness and readiness (issue 14).

`/healthz` says only that the process answers; an orchestrator restarts a process that does
not. `/readyz` says whether this instance can do its work: the database answers and every
migration is applied, the cache and the Celery broker answer, a worker took the heartbeat task
recently, and the sweeps that keep promises (SLA breaches, the outbox) ran recently. A load
balancer stops sending requests while it is 503.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .selectors import last_success
from .services import HEARTBEAT_TASK

# The sweeps whose lateness breaks a promise to participants: breach alerts and email.
READINESS_SWEEPS = (
    "sla.tasks.sla_sweep_task",
    "comms.tasks.outbound_message_resend_pending_task",
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def as_dict(self) -> dict:
        return {"ok": self.ok, "detail": self.detail}


# Migrations do not un-apply while a process runs: once seen complete, a probe need not load
# the migration graph again (a new release with new migrations is a new process).
_migrated: set[str] = set()


def _error(exc: Exception) -> str:
    # The class and first line only: a driver's message may hold a host name, never more.
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]


def check_database(alias: str = DEFAULT_DB_ALIAS) -> Check:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if alias not in _migrated:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                return Check("database", False, f"{len(pending)} migration(s) not applied")
            _migrated.add(alias)
    except Exception as exc:
        return Check("database", False, _error(exc))
    return Check("database", True, "reachable, migrations applied")


def check_cache() -> Check:
    cache = caches["default"]
    key = "ops:readyz"
    try:
        cache.set(key, "1", timeout=30)
        if cache.get(key) != "1":
            return Check("cache", False, "a value written could not be read back")
    except Exception as exc:
        return Check("cache", False, _error(exc))
    return Check("cache", True, "reachable")


def check_broker() -> Check:
    from celery import current_app as app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1,
                interval_start=0,
                interval_step=0,
                timeout=settings.OPS_BROKER_TIMEOUT,
            )
    except Exception as exc:
        return Check("broker", False, _error(exc))
    return Check("broker", True, "reachable")


def _age_check(name: str, last, max_age: int, now) -> Check:
    if last is None:
        return Check(name, False, "never ran")
    age = (now - last).total_seconds()
    if age > max_age:
        return Check(name, False, f"last ran {int(age)} s ago (limit {max_age} s)")
    return Check(name, True, f"last ran {int(age)} s ago")


def check_worker_and_sweeps(now=None) -> list[Check]:
    """The heartbeat and each sweep, from one query; without a database, each says so."""
    now = now or timezone.now()
    try:
        last = last_success((HEARTBEAT_TASK, *READINESS_SWEEPS))
    except Exception as exc:
        detail = f"unknown: {_error(exc)}"
        return [Check("worker", False, detail)] + [
            Check(f"sweep:{task}", False, detail) for task in READINESS_SWEEPS
        ]
    checks = [_age_check("worker", last[HEARTBEAT_TASK], settings.OPS_HEARTBEAT_MAX_AGE, now)]
    checks += [
        _age_check(f"sweep:{task}", last[task], settings.OPS_SWEEP_MAX_AGE, now)
        for task in READINESS_SWEEPS
    ]
    return checks


def readiness() -> tuple[bool, list[Check]]:
    checks = [check_database(), check_cache(), check_broker(), *check_worker_and_sweeps()]
    return all(check.ok for check in checks), checks


def readiness_document(ready: bool, checks: list[Check]) -> dict:
    return {
        "status": "ok" if ready else "unavailable",
        "time": timezone.now().isoformat(timespec="seconds"),
        "checks": {check.name: check.as_dict() for check in checks},
    }
