"""Delivery that loses nothing, proved against real components (issue 4 §3, docs/architecture.md §8,
docs/conventions.md §5).

Each test starts what it breaks: a local SMTP server (aiosmtpd on loopback) that is down, then
up, and counts what it receives; a Redis of its own that is stopped in the middle of raising a
case and started again; a broker nobody listens on while a burst of messages is queued; two
threads racing for one message; and a delivery process killed after the SMTP server has the
message but before the outbox row records it.
"""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import time_machine
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import connection, connections, transaction
from django.utils import timezone

from cases.models import Case
from cases.services import case_create
from comms.models import OutboundMessage
from comms.services import (
    CLAIM_TIMEOUT,
    outbound_message_deliver,
    outbound_message_queue,
    outbound_message_resend_pending,
)
from mhhs_portal.celery import app as celery_app
from tests.factories.cases import category

BASE_DIR = Path(settings.BASE_DIR)
REDIS_SERVER = shutil.which("redis-server")
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# A publish gives up on a dead broker after its connect timeout; a request that queues messages
# may wait that long once (plus slack for the database work), never once per message.
ONE_BROKER_WAIT = settings.CELERY_BROKER_CONNECTION_TIMEOUT + 1.5

needs_redis = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis://") or REDIS_SERVER is None,
    reason="needs a real Celery worker on Redis: set CELERY_BROKER_URL=redis://... and install "
    "redis-server (the test starts and stops a Redis of its own)",
)
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: concurrent claims and a second process share the test database "
    "only there (SQLite's test database lives in this process's memory)",
)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(condition, timeout: float = 10.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


def _drop_broker_pools() -> None:
    """The app caches its connection and producer pools; forget them so the next publish
    connects to whatever the broker URLs are now (as tests/integration/test_outbox_outage.py)."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


# --- a mail server on loopback ---------------------------------------------------------------


class RecordingHandler:
    """Keeps every message the server accepts. `on_data`, if set, runs after a message is
    recorded and before the server replies 250 (the moment a client may die)."""

    def __init__(self) -> None:
        self.messages: list = []
        self.on_data = None

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=email_policy.default))
        if self.on_data is not None:
            on_data, self.on_data = self.on_data, None
            await on_data()
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at a port chosen now, so Django can point at it before it runs."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.handler = RecordingHandler()
        self.controller = None

    def start(self) -> None:
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            server_hostname="smtp.test",
            ready_timeout=5,
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server, not yet running, that Django's SMTP backend sends to."""
    server = SmtpServer()
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield server
    finally:
        server.stop()


# --- a Redis of our own ----------------------------------------------------------------------


class RedisServer:
    """A throwaway redis-server on loopback that can be stopped and started on the same port."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, our own binary
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(
            host="127.0.0.1", port=self.port, socket_connect_timeout=0.2, socket_timeout=0.5
        )

        def answers() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        try:
            assert _wait_for(answers, timeout=5), "redis-server did not start within 5 s"
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM: redis shuts down; with --save "" it writes nothing
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture
def separate_redis(tmp_path, monkeypatch):
    """Start a Redis on a free port and make it the app's broker for publishing and for the
    worker; the previous broker comes back afterwards."""
    server = RedisServer(tmp_path)
    server.start()
    previous = {
        key: celery_app.conf.get(key)
        for key in ("broker_read_url", "broker_write_url", "task_always_eager")
    }
    # CELERY_BROKER_URL in the environment wins over `broker_url`; read and write URLs are
    # what publishing (`connection_for_write`) and the worker (`connection_for_read`) use.
    monkeypatch.setenv("CELERY_BROKER_URL", server.url)
    celery_app.conf.broker_read_url = server.url
    celery_app.conf.broker_write_url = server.url
    _drop_broker_pools()
    try:
        yield server
    finally:
        server.stop()
        for key, value in previous.items():
            celery_app.conf[key] = value
        _drop_broker_pools()


@pytest.fixture
def idle_broker():
    """Publishing succeeds into an in-memory queue that no worker reads: a message is queued
    and committed, and the test decides who delivers it."""
    previous = (celery_app.conf.get("broker_write_url"), celery_app.conf.task_always_eager)
    celery_app.conf.broker_write_url = "memory://"
    celery_app.conf.task_always_eager = False
    _drop_broker_pools()
    try:
        yield
    finally:
        celery_app.control.purge()
        celery_app.conf.broker_write_url, celery_app.conf.task_always_eager = previous
        _drop_broker_pools()


@pytest.fixture
def unreachable_broker():
    """Publishing goes to a Redis URL nobody listens on (a port of its own, so no other test
    shares what the outbox remembers about it), for real rather than eagerly."""
    previous = (celery_app.conf.get("broker_write_url"), celery_app.conf.task_always_eager)
    celery_app.conf.broker_write_url = f"redis://127.0.0.1:{_free_port()}/0"
    celery_app.conf.task_always_eager = False
    _drop_broker_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_write_url, celery_app.conf.task_always_eager = previous
        _drop_broker_pools()


def _raise_case(user) -> Case:
    return case_create(
        actor=user,
        organisation=user.organisation,
        category=category(),
        short_description="DIP messages rejected since 09:00",
        description="All our DIP messages are rejected with E123.",
        party_id=user.organisation.party_id,
    )


def _case_messages(case: Case):
    return OutboundMessage.objects.filter(ticket_id=case.pk, ticket_type__model="case").order_by(
        "pk"
    )


def _queue_acknowledgement() -> OutboundMessage:
    return outbound_message_queue(
        template="case_acknowledged",
        to_email="sam.supplier@example.com",
        context={"number": "CS0000042", "status": "New", "link": "http://portal/cases/CS0000042/"},
    )


# --- 1. the mail server is down, then back ---------------------------------------------------


def test_smtp_outage_keeps_messages_pending_until_the_server_is_back(
    org_user, smtp_server, django_capture_on_commit_callbacks
):
    """§8: with the SMTP server refusing connections, a raised case's messages stay pending
    with a back-off; once the server is back and the back-off has passed, the resend sweep
    delivers each exactly once, with the Message-ID stored when it was queued."""
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        case = _raise_case(org_user)

    messages = list(_case_messages(case))
    assert "case_acknowledged" in {m.template for m in messages}
    for message in messages:
        assert message.status == OutboundMessage.Status.PENDING
        assert message.attempts == 1
        assert message.next_attempt_at > before
        assert message.claimed_at is None
        assert "ConnectionRefusedError" in message.last_error
    # Still down and not yet due: a sweep leaves them alone.
    assert outbound_message_resend_pending() == 0

    smtp_server.start()
    due = max(m.next_attempt_at for m in messages) + timedelta(seconds=1)
    with time_machine.travel(due, tick=False):
        assert outbound_message_resend_pending() == len(messages)
        assert outbound_message_resend_pending() == 0, "nothing is due twice"

    assert sorted(smtp_server.handler.message_ids()) == sorted(m.message_id for m in messages)
    for message in _case_messages(case):
        assert message.status == OutboundMessage.Status.SENT
        assert message.attempts == 2
        assert message.last_error == ""
    ack = next(m for m in smtp_server.handler.messages if str(m["To"]) == org_user.email)
    assert case.number in str(ack["Subject"])


# --- 2. Redis stops while a case is being raised ---------------------------------------------


@pytest.mark.integration
@needs_redis
@pytest.mark.django_db(transaction=True)
def test_redis_outage_during_case_creation_keeps_the_case_and_delivers_after_restart(
    org_user, separate_redis
):
    """§8: Redis goes away under a running web process (its pooled broker connection goes
    stale). Raising a case still succeeds quickly, its messages wait in the outbox; once Redis
    is back, the resend sweep publishes them and a real worker delivers each exactly once."""
    # tests/conftest.py runs tasks inline by default; here they go through the broker.
    celery_app.conf.task_always_eager = False
    # As in a web process that has published before: a connection in the pool, then Redis dies.
    celery_app.control.ping(timeout=0.1)
    separate_redis.stop()

    started = time.monotonic()
    # The transaction commits for real here (the worker is another thread), so the on-commit
    # publish runs exactly as in production.
    case = _raise_case(org_user)
    elapsed = time.monotonic() - started

    assert elapsed < ONE_BROKER_WAIT, f"raising a case waited {elapsed:.1f} s for a dead broker"
    assert Case.objects.filter(pk=case.pk, state=Case.State.NEW).exists()
    messages = _case_messages(case)
    count = messages.count()
    assert count >= 2  # the acknowledgement and the desk's new-case alert at least
    assert set(messages.values_list("status", "attempts")) == {(OutboundMessage.Status.PENDING, 0)}
    assert mail.outbox == []
    # Still down: the sweep stops at the first failed publish and loses nothing.
    assert outbound_message_resend_pending() == 0

    # Back within seconds of the failures: the sweep tries the broker whatever the outbox
    # remembers about it, so it is what notices Redis has returned.
    separate_redis.start()
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        queued = outbound_message_resend_pending()
        delivered = _wait_for(
            lambda: not messages.exclude(status=OutboundMessage.Status.SENT).exists(),
            timeout=30,
        )

    assert queued == count
    assert delivered, list(messages.values_list("template", "status", "last_error"))
    sent_ids = sorted(m.extra_headers["Message-ID"] for m in mail.outbox)
    assert sent_ids == sorted(messages.values_list("message_id", flat=True))
    assert set(messages.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_broker_outage_costs_one_connect_timeout_per_burst_not_one_per_message(
    unreachable_broker, django_capture_on_commit_callbacks
):
    """§8: a request that queues many messages while the broker is down (a distribution list,
    a group without a mailbox) waits for the broker once, not once per message; every row
    stays pending for the sweep."""
    burst = 5
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        messages = [_queue_acknowledgement() for _ in range(burst)]
    elapsed = time.monotonic() - started

    assert elapsed < ONE_BROKER_WAIT, f"{burst} messages waited {elapsed:.1f} s for a dead broker"
    assert (
        OutboundMessage.objects.filter(
            pk__in=[m.pk for m in messages], status=OutboundMessage.Status.PENDING, attempts=0
        ).count()
        == burst
    )


# --- 3. two workers race for one message -----------------------------------------------------


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_message_send_it_once(smtp_server, idle_broker):
    """§8: the conditional UPDATE is the claim. Two workers released at the same instant for
    the same message: one sends it, the other gets None; repeated so the race is real."""
    smtp_server.start()
    rounds = 8
    outcomes = []
    for _ in range(rounds):
        message = _queue_acknowledgement()
        barrier = threading.Barrier(2)
        results: list = [None, None]

        def worker(index: int, pk: int = message.pk, barrier=barrier, results=results) -> None:
            try:
                barrier.wait(timeout=5)
                results[index] = outbound_message_deliver(message_pk=pk)
            except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
                results[index] = exc
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert not any(thread.is_alive() for thread in threads), "a worker hung"
        outcomes.append((message, results))

    for message, results in outcomes:
        assert not any(isinstance(r, Exception) for r in results), results
        winners = [r for r in results if r is not None]
        assert len(winners) == 1, results
        assert winners[0].status == OutboundMessage.Status.SENT
        message.refresh_from_db()
        assert message.status == OutboundMessage.Status.SENT and message.attempts == 1
    sent_ids = smtp_server.handler.message_ids()
    assert len(sent_ids) == rounds
    assert sorted(sent_ids) == sorted(message.message_id for message, _ in outcomes)


# --- 4. a worker dies between sending and recording ------------------------------------------


def _test_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(db['NAME'], safe='')}"


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_send_and_record_resends_with_the_same_message_id(
    smtp_server, idle_broker
):
    """§8: a delivery process claims the message and sends it; the SMTP server has it, and the
    process is killed before it hears 250. The row stays "sending" until CLAIM_TIMEOUT; then the
    sweep re-sends it with the same Message-ID, so the receiving system sees one message."""
    message = _queue_acknowledgement()
    assert message.status == OutboundMessage.Status.PENDING

    smtp_server.start()
    worker: dict = {}

    async def kill_worker() -> None:
        os.kill(worker["process"].pid, signal.SIGKILL)
        for _ in range(100):
            if worker["process"].poll() is not None:
                break
            await asyncio.sleep(0.02)

    smtp_server.handler.on_data = kill_worker
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "EMAIL_USE_TLS": "0",
        "EMAIL_TIMEOUT": "5",
        "CACHE_URL": "locmem://",
    }
    worker["process"] = subprocess.Popen(  # noqa: S603 - our own manage.py
        [
            sys.executable,
            str(BASE_DIR / "manage.py"),
            "shell",
            "-c",
            "from comms.services import outbound_message_deliver; "
            f"outbound_message_deliver(message_pk={message.pk})",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        output, _ = worker["process"].communicate(timeout=60)
    finally:
        if worker["process"].poll() is None:
            worker["process"].kill()
            worker["process"].wait(timeout=5)

    assert worker["process"].returncode == -signal.SIGKILL, output.decode(errors="replace")
    assert smtp_server.handler.message_ids() == [message.message_id]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENDING
    assert message.attempts == 1 and message.sent_at is None
    # Another worker may still be sending it: nobody takes it over before the claim expires,
    # neither the sweep nor the broker handing the unacknowledged task to another worker.
    celery_app.conf.task_always_eager = True
    assert outbound_message_resend_pending() == 0
    assert outbound_message_deliver(message_pk=message.pk) is None

    with time_machine.travel(message.claimed_at + CLAIM_TIMEOUT + timedelta(seconds=1)):
        assert outbound_message_resend_pending() == 1

    assert smtp_server.handler.message_ids() == [message.message_id, message.message_id]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 2
