"""A poison message never stops reply by email (§10.2, issue 7).

A message that cannot be processed (not an email, a database error on it) is kept raw as a
`failed` InboundEmail with the reason, shown in the console with a Retry action, and the IMAP
poller marks it seen and carries on with the next message. NULs in headers are stripped.
"""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.urls import reverse

from accounts import roles
from accounts.models import User
from cases.models import Case
from comms.inbound import inbound_email_parse, inbound_email_process, inbound_email_retry
from comms.inbound_tasks import inbound_email_poll_imap_task
from comms.models import InboundEmail
from core.errors import ActionNotPermitted, ValidationFailed
from tests.comms.test_inbound_imap import _url, imap_server  # noqa: F401  (fake IMAP server)
from tests.conftest import mfa_client
from tests.factories.access import api_client
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry

POISON_WORD = "poison-pill-7"


def _reply(
    case: Case,
    *,
    message_id: str,
    body: str = "Here are the logs you asked for.",
    subject: str | None = None,
    sender: str | None = None,
) -> bytes:
    subject = subject if subject is not None else f"Re: [{case.number}] We need more information"
    sender = sender if sender is not None else case.caller.email
    return (
        f"From: Sam Supplier <{sender}>\r\n"
        "To: MHHS Service Desk <servicedesk@mhhs.example>\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{message_id}@mail.example.com>\r\n"
        "Date: Thu, 27 Nov 2026 11:02:29 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


@pytest.fixture
def journal_refuses_poison(db):
    """A real database error on one message: the journal table refuses a comment holding the
    poison word, as a broken constraint or a full disk would refuse it."""
    table = JournalEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION poison_refuse() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.body LIKE '%%{POISON_WORD}%%' THEN RAISE EXCEPTION 'disk says no'; "
                "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER poison BEFORE INSERT ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION poison_refuse()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER poison BEFORE INSERT ON {table} "
                f"WHEN NEW.body LIKE '%{POISON_WORD}%' BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
            )

    def lift():
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP TRIGGER poison ON {table}"
                if connection.vendor == "postgresql"
                else "DROP TRIGGER poison"
            )

    yield lift


def test_poison_between_two_good_replies_is_kept_failed_and_the_poll_carries_on(
    settings,
    imap_server,  # noqa: F811
    org_user,
    agent,
):
    """§10.2: one unprocessable message is stored raw as failed, marked seen and flagged, and
    the replies before and after it are attached in the same poll."""
    first, second = CaseFactory(caller=org_user), CaseFactory(caller=org_user)
    garbage = b"\x00\x01 this is not an email \xff\xfe"
    imap_server.messages.update(
        {
            1: {"raw": _reply(first, message_id="good-1"), "flags": set()},
            2: {"raw": garbage, "flags": set()},
            3: {"raw": _reply(second, message_id="good-2"), "flags": set()},
        }
    )
    settings.IMAP_URL = _url(imap_server)

    summary = inbound_email_poll_imap_task()

    assert summary == "3 message(s) fetched: attached 2; 1 failed (kept for retry)"
    statuses = dict(InboundEmail.objects.values_list("message_id", "status"))
    assert statuses["<good-1@mail.example.com>"] == InboundEmail.Status.ATTACHED
    assert statuses["<good-2@mail.example.com>"] == InboundEmail.Status.ATTACHED
    failed = InboundEmail.objects.get(status=InboundEmail.Status.FAILED)
    assert bytes(failed.raw_message) == garbage
    assert "not an email" in failed.reason
    assert imap_server.messages[1]["flags"] == {"\\Seen"}
    assert imap_server.messages[2]["flags"] == {"\\Seen", "\\Flagged"}
    assert imap_server.messages[3]["flags"] == {"\\Seen"}
    assert inbound_email_poll_imap_task() == "0 message(s) fetched"


def test_database_error_on_one_reply_is_kept_raw_and_a_later_reply_is_recorded(
    settings,
    imap_server,  # noqa: F811
    org_user,
    journal_refuses_poison,
):
    """§10.2: a database error on one message fails that message only; the next is attached."""
    first, second = CaseFactory(caller=org_user), CaseFactory(caller=org_user)
    poison = _reply(first, message_id="poison-1", body=f"Logs attached {POISON_WORD}")
    imap_server.messages.update(
        {
            1: {"raw": poison, "flags": set()},
            2: {"raw": _reply(second, message_id="later-1"), "flags": set()},
        }
    )
    settings.IMAP_URL = _url(imap_server)

    inbound_email_poll_imap_task()

    failed = InboundEmail.objects.get(message_id="<poison-1@mail.example.com>")
    assert failed.status == InboundEmail.Status.FAILED
    assert "disk says no" in failed.reason
    assert bytes(failed.raw_message) == poison
    later = InboundEmail.objects.get(message_id="<later-1@mail.example.com>")
    assert later.status == InboundEmail.Status.ATTACHED
    assert imap_server.messages[1]["flags"] >= {"\\Seen"}
    assert not JournalEntry.objects.filter(body__contains=POISON_WORD).exists()


def test_console_retry_processes_a_failed_message_once_the_fault_is_gone(
    org_user, agent, journal_refuses_poison
):
    """§10.2: the console's Retry action re-runs the stored message through the service; on
    success the comment is added and the stored copy dropped."""
    case = CaseFactory(caller=org_user)
    inbound_email_process(raw=_reply(case, message_id="p2", body=f"Update {POISON_WORD}"))
    record = InboundEmail.objects.get()
    assert record.status == InboundEmail.Status.FAILED
    agent.user_permissions.add(Permission.objects.get(codename="change_inboundemail"))
    client = mfa_client(agent)
    changelist = reverse("admin:comms_inboundemail_changelist")
    assert client.get(changelist + "?status__exact=failed").status_code == 200

    journal_refuses_poison()
    response = client.post(
        changelist, {"action": "retry", "_selected_action": [record.pk]}, follow=True
    )

    assert response.status_code == 200
    record.refresh_from_db()
    assert record.status == InboundEmail.Status.ATTACHED
    assert record.attempts == 2
    assert bytes(record.raw_message) == b""
    assert JournalEntry.objects.filter(body__contains=POISON_WORD).count() == 1
    assert "Retried" in response.content.decode()


def test_retry_that_fails_again_records_the_new_reason(org_user, agent, journal_refuses_poison):
    """A retry of a message that is still poison stays failed, keeps the copy, never raises."""
    case = CaseFactory(caller=org_user)
    inbound_email_process(raw=_reply(case, message_id="p3", body=f"Again {POISON_WORD}"))
    record = InboundEmail.objects.get()
    agent.user_permissions.add(Permission.objects.get(codename="change_inboundemail"))
    agent = type(agent).objects.get(pk=agent.pk)

    outcome = inbound_email_retry(inbound_email=record, actor=agent)

    record.refresh_from_db()
    assert outcome.status == InboundEmail.Status.FAILED
    assert record.status == InboundEmail.Status.FAILED and record.attempts == 2
    assert bytes(record.raw_message)


def test_retry_is_refused_without_permission_or_for_a_message_that_did_not_fail(org_user, agent):
    """Only staff who may change inbound email retry, and only failed messages."""
    case = CaseFactory(caller=org_user)
    inbound_email_process(raw=_reply(case, message_id="ok-1"))
    record = InboundEmail.objects.get()
    with pytest.raises(ActionNotPermitted):
        inbound_email_retry(inbound_email=record, actor=org_user)
    agent.user_permissions.add(Permission.objects.get(codename="change_inboundemail"))
    agent = type(agent).objects.get(pk=agent.pk)
    with pytest.raises(ValidationFailed, match="only failed"):
        inbound_email_retry(inbound_email=record, actor=agent)


def test_nul_in_subject_and_from_is_stripped_and_the_reply_is_attached(org_user):
    """A NUL in Subject or From (which PostgreSQL cannot store) is stripped in parsing."""
    case = CaseFactory(caller=org_user)
    raw = _reply(
        case,
        message_id="nul-1",
        subject=f"Re: [{case.number}] More\x00 information",
        sender=org_user.email.replace("@", "\x00@"),
        body="The logs\x00 are attached.",
    )
    parsed = inbound_email_parse(raw)
    assert "\x00" not in parsed.subject + parsed.from_address + parsed.body

    outcome = inbound_email_process(raw=raw)

    assert outcome.status == InboundEmail.Status.ATTACHED, outcome.reason
    record = InboundEmail.objects.get()
    assert record.subject == f"Re: [{case.number}] More information"
    assert record.from_address == org_user.email


def test_gateway_hand_over_of_a_poison_message_is_accepted_and_kept_failed(
    org_user, journal_refuses_poison
):
    """§10.2: the inbound-email API answers 202 `failed` and keeps the message for a retry,
    so the gateway does not hand it over again and again."""
    gateway = UserFactory(email="mail-gateway@mhhs.example", kind=User.Kind.INTEGRATION)
    gateway.user_permissions.add(Permission.objects.get(codename="add_inboundemail"))
    case = CaseFactory(caller=org_user)
    raw = _reply(case, message_id="api-poison", body=f"Logs {POISON_WORD}")

    response = api_client(gateway).post(
        "/api/v1/inbound-email/", data=raw, content_type="message/rfc822"
    )

    assert response.status_code == 202
    assert response.json()["status"] == InboundEmail.Status.FAILED
    record = InboundEmail.objects.get()
    assert record.source == InboundEmail.Source.API
    assert bytes(record.raw_message) == raw


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a connection-class error is raised on PostgreSQL"
)
def test_database_unavailable_stops_the_poll_and_leaves_messages_unseen(
    settings,
    imap_server,  # noqa: F811
    org_user,
):
    """§10.2: when the database itself fails (not one message), nothing is marked seen, so
    every message is read again by the next poll."""
    case = CaseFactory(caller=org_user)
    imap_server.messages[1] = {"raw": _reply(case, message_id="db-down"), "flags": set()}
    settings.IMAP_URL = _url(imap_server)
    table = InboundEmail._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION db_down() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'server closed the connection' USING ERRCODE = '08006'; "
            "END $$ LANGUAGE plpgsql"
        )
        cursor.execute(
            f"CREATE TRIGGER db_down BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION db_down()"
        )

    summary = inbound_email_poll_imap_task()

    assert summary.startswith("unavailable: database")
    assert imap_server.messages[1]["flags"] == set()


def test_service_managers_retry_failed_emails_by_role(org_user, agent):
    """The Service manager role carries the retry; a first-line agent's role does not."""
    manager = UserFactory(email="sm@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER])
    case = CaseFactory(caller=org_user)
    inbound_email_process(raw=_reply(case, message_id="ok-2"))
    record = InboundEmail.objects.get()
    assert manager.has_perm("comms.change_inboundemail")
    assert not agent.has_perm("comms.change_inboundemail")
    with pytest.raises(ValidationFailed, match="only failed"):
        inbound_email_retry(inbound_email=record, actor=manager)
