"""Polling a mailbox for replies by email (§10.2), configured by one URL.

`IMAP_URL` is `imaps://user:password@host:993/INBOX` (TLS) or `imap://…` (plain, for a
server on the same host). User and password are percent-encoded when they hold special
characters ("%40" for "@"). The default mailbox is INBOX.

Each unseen message is fetched without marking it (BODY.PEEK), handed to
`comms.inbound.inbound_email_process`, and only then flagged \\Seen, so a crash or a database
outage leaves it unseen for the next poll; processing is idempotent on the Message-ID, so a
message seen twice is acted on once.

A message that cannot be processed (not an email, a header or body nothing can read, a
database error on that message) is a poison message: it is stored raw as a `failed`
`InboundEmail` for the console's Retry action, flagged \\Seen and \\Flagged, and the poll
carries on with the next message (issue 7). Only a database that is unavailable altogether
stops the poll, leaving the rest unseen for the next one.
"""

import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError

from .inbound import inbound_email_process, inbound_email_record_failure
from .models import InboundEmail

logger = logging.getLogger(__name__)

IMAP_TIMEOUT_SECONDS = 30
DEFAULT_BATCH = 50


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str
    mailbox: str
    tls: bool

    def __repr__(self) -> str:  # never log the password
        scheme = "imaps" if self.tls else "imap"
        return f"ImapConfig({scheme}://{self.user}@{self.host}:{self.port}/{self.mailbox})"


def imap_config_from_url(url: str) -> ImapConfig:
    """Parse `imaps://user:pass@host:993/INBOX`; raise ImproperlyConfigured on anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ImproperlyConfigured("IMAP_URL must start with imaps:// or imap://")
    if not parts.hostname or parts.username is None or parts.password is None:
        raise ImproperlyConfigured("IMAP_URL must name a host, a user and a password")
    tls = parts.scheme == "imaps"
    try:
        port = parts.port or (993 if tls else 143)
    except ValueError as exc:
        raise ImproperlyConfigured(f"IMAP_URL has an invalid port: {exc}") from exc
    return ImapConfig(
        host=parts.hostname,
        port=port,
        user=unquote(parts.username),
        password=unquote(parts.password),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX",
        tls=tls,
    )


@dataclass
class ImapPollResult:
    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    failed: int = 0

    def __str__(self) -> str:
        counts = ", ".join(f"{status} {count}" for status, count in sorted(self.outcomes.items()))
        text = f"{self.fetched} message(s) fetched"
        if counts:
            text += f": {counts}"
        if self.failed:
            text += f"; {self.failed} failed (kept for retry)"
        return text


def _connect(config: ImapConfig) -> imaplib.IMAP4:
    if config.tls:
        return imaplib.IMAP4_SSL(
            config.host,
            config.port,
            ssl_context=ssl.create_default_context(),
            timeout=IMAP_TIMEOUT_SECONDS,
        )
    return imaplib.IMAP4(config.host, config.port, timeout=IMAP_TIMEOUT_SECONDS)


def _check(response, what: str):
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what} failed: {data!r}")
    return data


def _message_bytes(data) -> bytes | None:
    for item in data or ():
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _quote_mailbox(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_./-]+", name) else '"' + name.replace('"', '\\"') + '"'


def _keep_failed(uid, raw: bytes, exc: Exception) -> bool:
    """Store a message that could not be processed; True once it is safely kept.

    If even that fails it is left unseen (flagged only), so it is not lost and is tried again
    next poll, after the other messages.
    """
    logger.warning("IMAP message %s could not be processed: %s", uid, exc)
    try:
        inbound_email_record_failure(raw=raw, source=InboundEmail.Source.IMAP, error=exc)
    except (OperationalError, InterfaceError):
        raise
    except Exception:  # noqa: BLE001 - logged; the message stays unseen for the next poll
        logger.exception("IMAP message %s could not be kept as failed", uid)
        return False
    return True


def inbound_email_poll_imap(*, url: str, limit: int = DEFAULT_BATCH) -> ImapPollResult:
    """Fetch up to `limit` unseen messages and process each; returns what became of them.

    Connection and protocol failures raise `imaplib.IMAP4.error` or `OSError`; a message
    already processed stays recorded, the rest are fetched again next time.
    """
    config = imap_config_from_url(url)
    result = ImapPollResult()
    client = _connect(config)
    try:
        _check(client.login(config.user, config.password), "LOGIN")
        _check(client.select(_quote_mailbox(config.mailbox)), f"SELECT {config.mailbox}")
        found = _check(client.uid("SEARCH", None, "UNSEEN"), "SEARCH")
        uids = (found[0] or b"").split()[:limit] if found else []
        for uid in uids:
            raw = _message_bytes(_check(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH"))
            if raw is None:
                continue
            result.fetched += 1
            flags = "(\\Seen)"
            try:
                outcome = inbound_email_process(raw=raw, source=InboundEmail.Source.IMAP)
            except (OperationalError, InterfaceError):
                raise  # the database is down: this and the rest stay unseen for the next poll
            except Exception as exc:  # noqa: BLE001 - a poison message must not stop the poll
                flags = "(\\Seen \\Flagged)" if _keep_failed(uid, raw, exc) else "(\\Flagged)"
                result.failed += 1
            else:
                result.outcomes[outcome.status] = result.outcomes.get(outcome.status, 0) + 1
            _check(client.uid("STORE", uid, "+FLAGS", flags), "STORE")
        with contextlib.suppress(imaplib.IMAP4.error):
            client.close()
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return result
