"""Reading an RFC 822 message (§10.2) into a `ParsedEmail`. Pure parsing: no database.

The Message-IDs of the message, In-Reply-To and References (a message without a Message-ID
gets a stable one hashed from its sender, date, subject and body); the From addresses; the
subject; the body (text/plain preferred, else the HTML converted by `reply_text.html_to_text`);
the attachments (detached signatures and the body's HTML twin left out; an attached message
kept whole, as a .eml file); and the signals the service refuses on: automatic mail
(Auto-Submitted, X-Autoreply, Precedence, delivery reports) and `dmarc=fail` in
Authentication-Results.
Malformed headers and MIME trees are read leniently; only input that is not an email at all
raises `InboundEmailUnreadable`. NUL characters, which no header or text may hold (PostgreSQL
refuses them), are stripped from every header, the body and attachment names (issue 7).
"""

import hashlib
import mimetypes
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from .errors import InboundEmailUnreadable
from .reply_text import html_to_text

# A "Fw:"/"Fwd:" subject (after any "Re:") marks a forward, whose forwarded text is kept.
_FORWARD_PREFIX = re.compile(r"^\s*((re|aw|sv)\s*:\s*)*(fw|fwd|wg|tr)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class EmailAttachment:
    name: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    from_addresses: list[str]
    subject: str
    body: str
    attachments: list[EmailAttachment]
    raw_size: int
    automatic: str = ""
    dmarc_failed: bool = False

    @property
    def from_address(self) -> str:
        return self.from_addresses[0] if len(self.from_addresses) == 1 else ""

    @property
    def is_forward(self) -> bool:
        return bool(_FORWARD_PREFIX.match(self.subject))


_MSGID = re.compile(r"<([^<>\s]+)>")


def _message_ids(value: str) -> list[str]:
    """Message-IDs in a header, as "<id>"; a lone bracketless token is taken as one too."""
    found = [f"<{token}>" for token in _MSGID.findall(value or "")]
    if not found and value and value.strip() and " " not in value.strip():
        found = [f"<{value.strip().strip('<>')}>"]
    return found


def _without_nul(text: str) -> str:
    return text.replace("\x00", "")


def _header(message: EmailMessage, name: str) -> str:
    """A header as text, NULs removed; a value the parser chokes on is read raw rather than
    failing."""
    try:
        values = message.get_all(name) or []
        text = " ".join(str(value) for value in values)
    except Exception:  # noqa: BLE001 - malformed header: fall back to its raw text
        text = " ".join(
            str(value) for key, value in message.raw_items() if key.lower() == name.lower()
        )
    return _without_nul(text).strip()


def _part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except Exception:  # noqa: BLE001 - unknown charset or broken encoding: decode leniently
        payload = part.get_payload(decode=True) or b""
        return payload.decode(part.get_content_charset() or "utf-8", errors="replace")
    if isinstance(content, bytes):
        return content.decode("utf-8", errors="replace")
    return str(content)


def _body_part(message: EmailMessage) -> EmailMessage | None:
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None and _part_text(plain).strip():
        return plain
    return message.get_body(preferencelist=("html", "plain"))


def _body_text(part: EmailMessage | None) -> str:
    if part is None:
        return ""
    text = _part_text(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return _without_nul(text)


# Detached signatures of signed mail are not files the sender meant to send.
_SKIPPED_TYPES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
}


def _filename(part: EmailMessage) -> str | None:
    try:
        return _without_nul(part.get_filename() or "") or None
    except Exception:  # noqa: BLE001 - a malformed filename parameter
        return None


def _attachments(message: EmailMessage, body: EmailMessage | None) -> list[EmailAttachment]:
    found: list[EmailAttachment] = []

    def visit(part: EmailMessage) -> None:
        if part is body:
            return
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            try:
                data = inner.as_bytes() if hasattr(inner, "as_bytes") else b""
            except Exception:  # noqa: BLE001 - an attached message we cannot re-serialise
                data = b""
            found.append(
                EmailAttachment(_filename(part) or "attached-message.eml", content_type, data)
            )
            return
        if part.is_multipart():
            for sub in part.iter_parts():
                visit(sub)
            return
        if content_type in _SKIPPED_TYPES:
            return
        filename = _filename(part)
        if (
            part.get_content_maintype() == "text"
            and not filename
            and part.get_content_disposition() != "attachment"
        ):
            return  # the other alternative of the body (the HTML twin of the text)
        data = part.get_payload(decode=True) or b""
        if not filename:
            extension = mimetypes.guess_extension(content_type) or ""
            filename = f"attachment-{len(found) + 1}{extension}"
        found.append(EmailAttachment(filename, content_type, data))

    visit(message)
    return found


_AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_DAEMON_SENDERS = re.compile(r"^(mailer-daemon|postmaster)@", re.IGNORECASE)


def _automatic_reason(message: EmailMessage, from_addresses: list[str]) -> str:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"automatic message (Auto-Submitted: {auto_submitted})"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "automatic reply (X-Autoreply)"
    precedence = _header(message, "Precedence").lower()
    if precedence in _AUTOMATIC_PRECEDENCE:
        return f"automatic message (Precedence: {precedence})"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    if any(_DAEMON_SENDERS.match(address) for address in from_addresses):
        return "delivery report"
    return ""


def _synthetic_message_id(raw: bytes, message: EmailMessage) -> str:
    """Stable across re-deliveries: Received headers differ, sender/date/subject/body don't."""
    separator = raw.find(b"\n\n")
    body = raw[separator:] if separator >= 0 else b""
    digest = hashlib.sha256()
    for name in ("From", "Date", "Subject"):
        digest.update(_header(message, name).encode("utf-8", "replace") + b"\0")
    digest.update(body.replace(b"\r\n", b"\n"))
    return f"<{digest.hexdigest()[:48]}@inbound.invalid>"


def inbound_email_parse(raw: bytes | str) -> ParsedEmail:
    """Read an RFC 822 message; raises InboundEmailUnreadable if it is not one."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if not raw or not raw.strip():
        raise InboundEmailUnreadable("The message is empty.")
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # noqa: BLE001 - the stdlib parser rarely raises; treat as garbage
        raise InboundEmailUnreadable(f"The message could not be parsed: {exc}") from exc
    if not (_header(message, "From") or _header(message, "Message-ID")):
        raise InboundEmailUnreadable(
            "This is not an email: it has no From or Message-ID header. Send the whole RFC 822 "
            "message, headers first."
        )
    from_addresses = [
        address.lower()
        for _, address in getaddresses([_header(message, "From")])
        if address and "@" in address
    ]
    ids = _message_ids(_header(message, "Message-ID"))
    message_id = ids[0] if ids else _synthetic_message_id(raw, message)
    if len(message_id) > 255:
        message_id = f"<{hashlib.sha256(message_id.encode()).hexdigest()[:48]}@long-id.invalid>"
    try:
        body_part = _body_part(message)
    except Exception:  # noqa: BLE001 - a broken MIME tree: no body, the rules refuse it
        body_part = None
    authentication = _header(message, "Authentication-Results").lower()
    return ParsedEmail(
        message_id=message_id,
        in_reply_to=_message_ids(_header(message, "In-Reply-To")),
        references=_message_ids(_header(message, "References")),
        from_addresses=from_addresses,
        subject=" ".join(_header(message, "Subject").split()),
        body=_body_text(body_part),
        attachments=_attachments(message, body_part),
        raw_size=len(raw),
        automatic=_automatic_reason(message, from_addresses),
        dmarc_failed=bool(re.search(r"\bdmarc=fail\b", authentication)),
    )
