"""The IMAP poller for replies by email (§10.2), against a small IMAP server on loopback."""

import socketserver
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from cases.models import Case
from cases.services import case_transition
from comms.imap import imap_config_from_url
from comms.inbound_tasks import inbound_email_poll_imap_task
from comms.models import InboundEmail, OutboundMessage
from tests.factories.cases import CaseFactory

FIXTURES = Path(__file__).parent / "fixtures"
USER, PASSWORD = "desk@mhhs.example", "s3cret pass"


class FakeImapHandler(socketserver.StreamRequestHandler):
    """Just enough IMAP4rev1 for imaplib: LOGIN, SELECT, UID SEARCH/FETCH/STORE, LOGOUT."""

    def _send(self, *lines: bytes) -> None:
        self.wfile.write(b"".join(line + b"\r\n" for line in lines))

    def handle(self) -> None:
        messages = self.server.messages
        self._send(b"* OK [CAPABILITY IMAP4rev1] fake IMAP ready")
        while line := self.rfile.readline():
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            if command == "CAPABILITY":
                self._send(b"* CAPABILITY IMAP4rev1", f"{tag} OK done".encode())
            elif command == "LOGIN":
                ok = args == f'{USER} "{PASSWORD}"'
                reply = (
                    "OK LOGIN completed" if ok else "NO [AUTHENTICATIONFAILED] Invalid credentials"
                )
                self._send(f"{tag} {reply}".encode())
            elif command == "SELECT":
                self._send(
                    f"* {len(messages)} EXISTS".encode(), f"{tag} OK [READ-WRITE] SELECT".encode()
                )
            elif command == "UID":
                self._uid(tag, args, messages)
            elif command == "LOGOUT":
                self._send(b"* BYE", f"{tag} OK LOGOUT".encode())
                return
            else:
                self._send(f"{tag} OK {command}".encode())

    def _uid(self, tag: str, args: str, messages: dict) -> None:
        sub, _, rest = args.partition(" ")
        sub = sub.upper()
        if sub == "SEARCH":
            unseen = [str(uid) for uid, m in sorted(messages.items()) if "\\Seen" not in m["flags"]]
            self._send(
                ("* SEARCH " + " ".join(unseen)).strip().encode(),
                f"{tag} OK SEARCH completed".encode(),
            )
        elif sub == "FETCH":
            uid = int(rest.split(" ")[0])
            raw = messages[uid]["raw"]
            self.wfile.write(f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n".encode())
            self.wfile.write(raw + b")\r\n")
            self._send(f"{tag} OK FETCH".encode())
        elif sub == "STORE":
            uid_text, _, flags = rest.partition(" +FLAGS ")
            messages[int(uid_text)]["flags"].update(flags.strip("()").split())
            self._send(f"{tag} OK STORE".encode())


@pytest.fixture
def imap_server():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeImapHandler)
    server.daemon_threads = True
    server.messages = {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _url(server) -> str:
    host, port = server.server_address
    return f"imap://desk%40mhhs.example:s3cret%20pass@{host}:{port}/INBOX"


def _reply(case: Case) -> bytes:
    message_id = (
        OutboundMessage.objects.filter(ticket_id=case.pk, to_email=case.caller.email)
        .order_by("-id")
        .values_list("message_id", flat=True)
        .first()
    )
    text = (FIXTURES / "gmail_multipart_reply.eml").read_text()
    for key, value in {
        "CASE": case.number,
        "FROM": case.caller.email,
        "IN_REPLY_TO": message_id,
    }.items():
        text = text.replace("{{" + key + "}}", value)
    return text.encode()


def test_imap_url_is_parsed_with_encoded_credentials_and_defaults():
    config = imap_config_from_url("imaps://desk%40mhhs.example:p%40ss@mail.example")
    assert (config.host, config.port, config.tls, config.mailbox) == (
        "mail.example",
        993,
        True,
        "INBOX",
    )
    assert (config.user, config.password) == ("desk@mhhs.example", "p@ss")
    assert "p@ss" not in repr(config)
    assert imap_config_from_url("imap://u:p@localhost/Replies").port == 143
    for bad in ("pop3://u:p@host", "imaps://host", "imaps://u:p@host:notaport"):
        with pytest.raises(ImproperlyConfigured):
            imap_config_from_url(bad)


def test_task_does_nothing_when_imap_url_is_unset(db, settings, monkeypatch):
    settings.IMAP_URL = ""
    monkeypatch.delenv("IMAP_URL", raising=False)
    assert inbound_email_poll_imap_task() == "disabled: IMAP_URL is not set"
    assert not InboundEmail.objects.exists()


def test_poll_processes_unseen_messages_and_marks_them_seen(
    db, settings, imap_server, org_user, agent
):
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    case = case_transition(
        case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER
    )
    imap_server.messages.update(
        {
            1: {"raw": _reply(case), "flags": set()},
            2: {"raw": b"not an email at all", "flags": set()},
            3: {"raw": b"From: x@y.example\n\nalready read", "flags": {"\\Seen"}},
        }
    )
    settings.IMAP_URL = _url(imap_server)
    summary = inbound_email_poll_imap_task()
    assert summary == "2 message(s) fetched: attached 1; 1 failed (kept for retry)"
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS
    assert InboundEmail.objects.get(status=InboundEmail.Status.ATTACHED).source == "imap"
    assert InboundEmail.objects.get(status=InboundEmail.Status.FAILED).raw_message
    assert imap_server.messages[1]["flags"] == {"\\Seen"}
    assert imap_server.messages[2]["flags"] == {"\\Seen", "\\Flagged"}
    # Nothing unseen is left, so the next poll fetches nothing.
    assert inbound_email_poll_imap_task() == "0 message(s) fetched"


def test_message_seen_again_is_a_duplicate(db, settings, imap_server, org_user):
    """A crash after processing but before \\Seen leaves it unseen: it is acted on once."""
    case = CaseFactory(caller=org_user)
    imap_server.messages[1] = {"raw": _reply(case), "flags": set()}
    settings.IMAP_URL = _url(imap_server)
    inbound_email_poll_imap_task()
    imap_server.messages[1]["flags"].clear()
    assert inbound_email_poll_imap_task() == "1 message(s) fetched: duplicate 1"
    assert InboundEmail.objects.count() == 1


def test_wrong_password_or_server_down_is_reported_not_raised(db, settings, imap_server):
    host, port = imap_server.server_address
    settings.IMAP_URL = f"imap://{USER}:wrong@{host}:{port}/INBOX"
    summary = inbound_email_poll_imap_task()
    assert summary.startswith("unavailable:") and "Invalid credentials" in summary
    imap_server.shutdown()
    imap_server.server_close()
    assert inbound_email_poll_imap_task().startswith("unavailable:")


def test_task_name_is_stable_for_the_beat_schedule():
    assert inbound_email_poll_imap_task.name == "comms.inbound_tasks.inbound_email_poll_imap_task"
