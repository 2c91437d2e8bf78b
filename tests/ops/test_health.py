"""/healthz and /readyz (issue 14): readiness names each check and turns 503 when PostgreSQL,
the cache, the broker, the worker heartbeat or a sweep is missing. Outages are real: a closed
port on this machine, not a mocked client."""

import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.utils import ConnectionHandler
from django.test import override_settings
from django.utils import timezone

from ops import health
from ops.health import READINESS_SWEEPS
from ops.services import periodic_run_finished, worker_heartbeat_record


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def all_ran(at=None) -> None:
    at = at or timezone.now()
    worker_heartbeat_record(worker="worker@test", at=at)
    for task in READINESS_SWEEPS:
        periodic_run_finished(task=task, worker="worker@test", duration=timedelta(0), at=at)


def readyz(client):
    response = client.get("/readyz")
    return response.status_code, response.json()


def test_healthz_answers_without_the_database(client):
    """Liveness asks nothing of the database, so a database outage restarts no process: this
    test has no database access (pytest-django would raise on any query)."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-ID"]


@pytest.mark.django_db
def test_ready_when_everything_answers_and_ran_recently(client):
    all_ran()
    status, document = readyz(client)
    assert status == 200, document
    assert document["status"] == "ok"
    assert set(document["checks"]) == {
        "database",
        "cache",
        "broker",
        "worker",
        *(f"sweep:{task}" for task in READINESS_SWEEPS),
    }
    assert all(check["ok"] for check in document["checks"].values())


@pytest.mark.django_db
def test_not_ready_when_database_unreachable(client, monkeypatch):
    """The database check connects to a database server that is not there."""
    all_ran()
    unreachable = dict(settings.DATABASES["default"])
    if unreachable["ENGINE"].endswith("postgresql"):
        unreachable.update(
            HOST="127.0.0.1", PORT=str(closed_port()), OPTIONS={"connect_timeout": 2}
        )
    else:
        unreachable.update(NAME="/nonexistent/directory/db.sqlite3", OPTIONS={})
    handler = ConnectionHandler({"default": unreachable})
    monkeypatch.setattr(health, "connections", handler)
    try:
        status, document = readyz(client)
    finally:
        handler.close_all()
    assert status == 503
    assert document["status"] == "unavailable"
    assert document["checks"]["database"]["ok"] is False
    assert document["checks"]["cache"]["ok"] is True


@pytest.mark.django_db
def test_not_ready_when_cache_unreachable(client):
    all_ran()
    # Overridden inside the test so the cache is back before conftest clears it.
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    with override_settings(CACHES=unreachable):
        status, document = readyz(client)
    assert status == 503
    assert document["checks"]["cache"]["ok"] is False
    assert document["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_not_ready_when_broker_unreachable(client, monkeypatch):
    """Celery reads CELERY_BROKER_URL from the environment before its own setting."""
    all_ran()
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{closed_port()}/0")
    status, document = readyz(client)
    assert status == 503
    assert document["checks"]["broker"]["ok"] is False
    assert "Error" in document["checks"]["broker"]["detail"]


@pytest.mark.django_db
def test_not_ready_without_a_worker_heartbeat(client):
    for task in READINESS_SWEEPS:
        periodic_run_finished(task=task, worker="worker@test", duration=timedelta(0))
    status, document = readyz(client)
    assert status == 503
    assert document["checks"]["worker"] == {"ok": False, "detail": "never ran"}


@pytest.mark.django_db
def test_not_ready_when_the_heartbeat_is_stale(client, settings):
    all_ran()
    worker_heartbeat_record(
        worker="worker@test",
        at=timezone.now() - timedelta(seconds=settings.OPS_HEARTBEAT_MAX_AGE + 5),
    )
    status, document = readyz(client)
    assert status == 503
    assert document["checks"]["worker"]["ok"] is False
    assert all(document["checks"][f"sweep:{task}"]["ok"] for task in READINESS_SWEEPS)


@pytest.mark.django_db
def test_not_ready_when_a_sweep_is_late(client, settings):
    all_ran()
    late = timezone.now() - timedelta(seconds=settings.OPS_SWEEP_MAX_AGE + 5)
    periodic_run_finished(task=READINESS_SWEEPS[0], worker="w", duration=timedelta(0), at=late)
    status, document = readyz(client)
    assert status == 503
    assert document["checks"][f"sweep:{READINESS_SWEEPS[0]}"]["ok"] is False
    assert document["checks"]["worker"]["ok"] is True


@pytest.mark.django_db
def test_heartbeat_task_records_the_worker(client):
    """The beat's heartbeat task is what a worker runs to make the worker check pass."""
    from ops.tasks import worker_heartbeat_task

    for task in READINESS_SWEEPS:
        periodic_run_finished(task=task, worker="worker@test", duration=timedelta(0))
    assert readyz(client)[0] == 503
    worker_heartbeat_task.delay()
    status, document = readyz(client)
    assert status == 200, document


def test_probes_answer_whatever_host_they_are_called_by(client):
    """Docker and Kubernetes probe the container by its address, not by a public name."""
    assert client.get("/healthz", HTTP_HOST="10.244.1.7:8000").status_code == 200
    assert client.get("/favicon.ico", HTTP_HOST="10.244.1.7:8000").status_code == 400
