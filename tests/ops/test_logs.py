"""Logs (issue 14): JSON lines with a request id echoed as X-Request-ID and carried into the
Celery tasks a request enqueues; no MPAN (§10.5.5), password, token or email body in any line.

The handler is built from settings.LOGGING (its filters and the JSON formatter), so the test
reads what production writes."""

import io
import json
import logging
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils.module_loading import import_string

from comms.models import OutboundMessage
from comms.mpan import mpan_check_digit
from mhhs_portal.celery import app as celery_app
from tests.factories.access import api_client

MPAN = "123456789012" + str(mpan_check_digit("123456789012"))
SPACED_MPAN = f"{MPAN[:2]} {MPAN[2:6]} {MPAN[6:10]} {MPAN[10:]}"
PASSWORD = "Correct-Horse-Battery-9"
TOKEN = "tok_4f9c2a7d1e8b6a5c3f0e"


def json_handler(stream) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    for name in settings.LOGGING["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(settings.LOGGING["filters"][name]["()"])())
    handler.setFormatter(import_string(settings.LOGGING["formatters"]["json"]["()"])())
    return handler


@pytest.fixture
def json_log():
    """The root logger also writes JSON through the configured filters into a buffer."""
    stream = io.StringIO()
    handler = json_handler(stream)
    # A real worker started by an earlier test may have left these at its own level.
    levels = {name: logging.getLogger(name).level for name in ("", "celery", "celery.app.trace")}
    logging.getLogger().setLevel(logging.INFO)
    for name in ("celery", "celery.app.trace"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def assert_clean(lines) -> None:
    text = json.dumps(lines)
    for planted in (MPAN, SPACED_MPAN, PASSWORD, TOKEN, "Meter reads are wrong"):
        assert planted not in text, planted


def test_log_call_with_planted_values_is_redacted(json_log):
    logger = logging.getLogger("tests.ops")
    logger.warning("caller gave MPAN %s and password=%s", SPACED_MPAN, PASSWORD)
    logger.info("Authorization: Bearer %s", TOKEN)
    logger.info(
        "sending",
        extra={
            "password": PASSWORD,
            "body_text": "Meter reads are wrong",
            "meta": {"token": TOKEN},
        },
    )
    try:
        raise ValueError(f"bad core {MPAN}")
    except ValueError:
        logger.exception("failed for %s", MPAN)
    lines = json_log()
    assert len(lines) == 4
    assert_clean(lines)
    assert "[MPAN redacted]" in lines[0]["message"]
    assert lines[2]["password"] == "[redacted]"
    assert lines[2]["meta"] == {"token": "[redacted]"}
    assert "[MPAN redacted]" in lines[3]["exception"]
    assert all(line["level"] and line["logger"] and "time" in line for line in lines)


@pytest.mark.django_db
def test_request_with_planted_values_logs_none_of_them(json_log, client):
    """Django logs the 404 with the path; the MPAN in the path and the credentials in the
    form never reach the line, which still carries the request id."""
    response = client.post(
        f"/nothing/{MPAN}/password={PASSWORD}/",
        {"password": PASSWORD, "token": TOKEN, "description": f"MPAN {MPAN}"},
        headers={"X-Request-ID": "req-plant-1", "Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-plant-1"
    lines = json_log()
    assert lines, "Django logs a 404"
    assert_clean(lines)
    assert any(line["request_id"] == "req-plant-1" for line in lines)


@pytest.mark.django_db
def test_request_id_is_made_when_absent_and_unsafe_ids_replaced(client):
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32
    forged = client.get("/healthz", headers={"X-Request-ID": "a\nfake log line"})
    assert "\n" not in forged["X-Request-ID"] and forged["X-Request-ID"] != "a\nfake log line"


def _raise_case(user, request_id):
    return api_client(user).post(
        "/api/v1/cases/",
        {
            "category": "Market Systems",
            "short_description": "DIP messages rejected",
            "description": "Since 09:00 every message is rejected with E123.",
            "party_id": "NPSU",
        },
        format="json",
        HTTP_X_REQUEST_ID=request_id,
    )


def _task_lines(lines, request_id):
    return [
        line
        for line in lines
        if line["logger"] == "celery.app.trace"
        and "outbound_message_deliver_task" in line["message"]
        and line["request_id"] == request_id
    ]


@pytest.mark.django_db(transaction=True)
def test_request_id_reaches_the_log_of_a_task_run_inline(json_log, org_user):
    """With tasks run inline (tests, `CELERY_TASK_ALWAYS_EAGER`), the acknowledgement's
    delivery runs inside the request once the case commits."""
    response = _raise_case(org_user, "req-eager-42")
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "req-eager-42"
    lines = _task_lines(json_log(), "req-eager-42")
    assert lines
    assert lines[0]["user_id"] == org_user.pk
    assert lines[0]["organisation_id"] == org_user.organisation_id


@pytest.mark.integration
@pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://"),
    reason="needs a real Celery worker on Redis: set CELERY_BROKER_URL=redis://... (CI does)",
)
@pytest.mark.django_db(transaction=True)
def test_request_id_reaches_the_log_of_a_task_run_by_a_worker(org_user):
    """A real worker (another thread, its own context) gets the id from the task's headers."""
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    stream = io.StringIO()
    handler = json_handler(stream)

    def json_log():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="INFO"
        ):
            # The worker's start configures logging again (settings.LOGGING): attach afterwards.
            logging.getLogger().addHandler(handler)
            response = _raise_case(org_user, "req-worker-7")
            assert response.status_code == 201, response.content
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not _task_lines(json_log(), "req-worker-7"):
                time.sleep(0.1)
        assert OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).exists()
        lines = _task_lines(json_log(), "req-worker-7")
    finally:
        logging.getLogger().removeHandler(handler)
    assert lines, "the worker's log line of the delivery carries the request id"
    assert lines[0]["user_id"] == org_user.pk
    assert_clean(json_log())
