"""Reply by email (§10.2, §10.3): an inbound message becomes a comment on the right case.

Every entry point (`manage.py ingest_email`, the IMAP poller, the API) calls
`inbound_email_process`, which parses the message, matches it to a case, checks the sender,
acts through the case services, and records the outcome in one `InboundEmail` row. The rules:

Matching. The subject's case number ("[CS0001234]", also bare "CS0001234", after any
"Re:"/"Fwd:") and the Message-IDs in In-Reply-To and References, looked up in the outbox
(`OutboundMessage.message_id`: a reply names the email we sent). In-Reply-To wins over
References, and the newest Reference over older ones. If the subject and the headers name
different tickets the message is refused as spoofed. INC, PRB and CHG numbers are internal:
only case numbers are customer-facing, so a message naming one (and no case), or replying to an
email about one, is refused. No reference at all: refused (new cases are raised in the portal).

Sender. The From address (one address, compared case-insensitively) must be an active user
who is the case's caller, or a participant who may see the case under §10.4
(`tickets.selectors.visible_tickets`: the case's organisation or an ancestor of it). Desk
staff are refused unless they are the caller: a From header is too weak to act as staff,
who work in the console behind MFA (§10.5.2). Automatic mail (out-of-office replies,
bounces, bulk: `Auto-Submitted`, `X-Autoreply`, `Precedence`, delivery reports) is refused,
so an out-of-office reply never resumes a case On Hold — Awaiting Caller. A message whose
`Authentication-Results` says `dmarc=fail` is refused.

Reply text. text/plain is preferred; an HTML-only message is converted to text (block
elements end lines; `<blockquote>` quotes and `<hr>` separators mark history). Removed:
lines quoted with ">", "On … wrote:" attributions, and everything from the first Outlook
history block ("-----Original Message-----", a "From:" line followed by "Sent:"/"Date:",
a "________" rule), a signature delimiter ("-- ") or a mobile footer ("Sent from my iPhone",
"Get Outlook for iOS"). A forward (subject "Fw:"/"Fwd:", or a "Forwarded message" marker)
keeps the forwarded message's header and text, since passing it on is the point; its own
history is still stripped. No text left and no attachment: refused ("no new text").

Effects, by the case's state. Open (New, In Progress, On Hold): a customer-visible comment;
On Hold — Awaiting Caller goes back to In Progress (`case_comment_add`). Resolved: the
"decision text" is the subject (without prefixes and the case number) plus the reply's first
line. It rejects the resolution (`case_reject_resolution`, the reply as the reason) when it
says "not fixed/resolved/solved/working/sorted" (also "isn't", "hasn't been", "wasn't" …),
"still broken/failing/happening/not working/an issue/a problem", "doesn't work", "reject" or
"reopen". Otherwise it confirms (`case_confirm_resolution`, after adding the reply as a
comment) only when it says "confirm"/"confirmed" without a negation in the few words before
("can't confirm" does not confirm). Anything else is a comment and the case stays Resolved.
Closed or Cancelled: a new case (channel email, same organisation, category and party,
subject "Follow-up to CSxxxxxxx: <original subject>", the reply as description), linked from
the old case with a `follow_up` TicketLink (old → new, like case → incident) and a system
entry on both.

Attachments get the upload validation (`case_attachment_add`); one that fails is named in a
system entry on the case and the comment is kept. MPANs in a reply are fine: the portal is
where they belong (§10.5.5); only outgoing email must never carry one.

Idempotency. `InboundEmail.message_id` is unique: the same message delivered twice is
recorded and acted on once; the second delivery reports `duplicate`. A message without a
Message-ID gets a stable one from a hash of its sender, date, subject and body. A row left
in status `error` (an unexpected failure) is processed again when the message comes back;
when the database itself is unavailable nothing is recorded and the error propagates, so the
mail server, the IMAP poller or the gateway delivers the message again later. A refused
message keeps only its headers and the reason, never its body.
"""

import hashlib
import logging
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction

from accounts.models import User
from cases.models import Case
from cases.services import (
    case_attachment_add,
    case_comment_add,
    case_confirm_resolution,
    case_create,
    case_reject_resolution,
)
from tickets.errors import DomainError, ValidationFailed
from tickets.models import JournalEntry, TicketLink
from tickets.selectors import journal_for, visible_tickets
from tickets.services import journal_entry_add, ticket_link

from .models import InboundEmail, OutboundMessage

logger = logging.getLogger(__name__)

# A reply is a comment, not a document; longer text is cut with a note saying so.
MAX_REPLY_CHARS = 20_000


def inbound_email_max_bytes() -> int:
    """`INBOUND_EMAIL_MAX_BYTES`, else four uploads' worth: base64 makes files a third larger,
    which leaves room for a few attachments at the upload limit."""
    return getattr(settings, "INBOUND_EMAIL_MAX_BYTES", 4 * settings.ATTACHMENT_MAX_BYTES)


class InboundEmailUnreadable(ValidationFailed):
    """The input is not an email at all (empty, or no From and no Message-ID header)."""

    code = "unreadable_email"


# --- parsing ---------------------------------------------------------------------------------


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


def _header(message: EmailMessage, name: str) -> str:
    """A header as text; a value the parser chokes on is read raw rather than failing."""
    try:
        values = message.get_all(name) or []
        return " ".join(str(value) for value in values).strip()
    except Exception:  # noqa: BLE001 - malformed header: fall back to its raw text
        return " ".join(
            str(value) for key, value in message.raw_items() if key.lower() == name.lower()
        ).strip()


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
        return html_to_text(text)
    return text


# Detached signatures of signed mail are not files the sender meant to send.
_SKIPPED_TYPES = {
    "application/pgp-signature",
    "application/pkcs7-signature",
    "application/x-pkcs7-signature",
}


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
                EmailAttachment(part.get_filename() or "attached-message.eml", content_type, data)
            )
            return
        if part.is_multipart():
            for sub in part.iter_parts():
                visit(sub)
            return
        if content_type in _SKIPPED_TYPES:
            return
        try:
            filename = part.get_filename()
        except Exception:  # noqa: BLE001 - a malformed filename parameter
            filename = None
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
    if not (message.get("From") or message.get("Message-ID")):
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


# --- HTML to text ----------------------------------------------------------------------------

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "div",
        "dl",
        "dt",
        "dd",
        "fieldset",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    ]
)
_VOID_TAGS = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    ]
)
_INVISIBLE_TAGS = frozenset({"head", "script", "style", "title", "template"})
# Gmail marks its own signature; blockquotes are quoted history in every mail client.
_SKIPPED_CLASSES = ("gmail_signature",)
_HTML_SPACE = re.compile(r"[ \t\r\n\f]+")
OUTLOOK_RULE = "_" * 32


class _HtmlText(HTMLParser):
    """Renders line breaks as a mail client does: a block boundary starts one new line,
    a paragraph leaves a blank line, and `<br>` always breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.trailing_newlines = 1  # the start of the text counts as a fresh line
        self.skip_depth = 0

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        stripped = text.rstrip("\n")
        if stripped:
            self.trailing_newlines = len(text) - len(stripped)
        else:
            self.trailing_newlines += len(text)

    def _break(self, lines: int) -> None:
        if self.trailing_newlines < lines:
            self._emit("\n" * (lines - self.trailing_newlines))

    def _skipping(self, tag: str, attrs) -> bool:
        if tag in _INVISIBLE_TAGS or tag == "blockquote":
            return True
        classes = (dict(attrs).get("class") or "").split()
        return any(name in classes for name in _SKIPPED_CLASSES)

    def handle_starttag(self, tag: str, attrs) -> None:
        if self.skip_depth:
            if tag not in _VOID_TAGS:
                self.skip_depth += 1
            return
        if tag not in _VOID_TAGS and self._skipping(tag, attrs):
            self.skip_depth = 1
            return
        if tag == "br":
            self._emit("\n")
        elif tag == "hr":
            self._break(1)
            self._emit(f"{OUTLOOK_RULE}\n")
        elif tag == "li":
            self._break(1)
            self._emit("- ")
        elif tag in ("td", "th"):
            self._emit(" ")
        elif tag in _BLOCK_TAGS:
            self._break(2 if tag == "p" else 1)

    def handle_startendtag(self, tag: str, attrs) -> None:
        if not self.skip_depth:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.skip_depth:
            if tag not in _VOID_TAGS:
                self.skip_depth -= 1
            return
        if tag in _BLOCK_TAGS and tag != "li":
            self._break(2 if tag == "p" else 1)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        text = _HTML_SPACE.sub(" ", data)
        if text.strip() or not self.trailing_newlines:
            self._emit(text)


def html_to_text(html: str) -> str:
    """Text of an HTML email as a reader sees it, without quoted history or styles."""
    parser = _HtmlText()
    parser.feed(html or "")
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- reply extraction ------------------------------------------------------------------------

_FORWARD_PREFIX = re.compile(r"^\s*((re|aw|sv)\s*:\s*)*(fw|fwd|wg|tr)\s*:", re.IGNORECASE)
_REPLY_PREFIXES = re.compile(r"^\s*((re|fw|fwd|aw|sv|wg|tr)(\s*\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_FORWARD_MARKER = re.compile(
    r"^\s*(-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:)\s*$", re.IGNORECASE
)
_ORIGINAL_MESSAGE = re.compile(r"^\s*-{2,}\s*original message\s*-{2,}\s*$", re.IGNORECASE)
_RULE = re.compile(r"^\s*_{10,}\s*$")
_ON_WROTE = re.compile(r"^\s*On\s.*\bwrote:\s*$", re.IGNORECASE)
_ON_START = re.compile(r"^\s*On\s.{4,}", re.IGNORECASE)
_WROTE_END = re.compile(r".*\bwrote:\s*$", re.IGNORECASE)
_OUTLOOK_FROM = re.compile(r"^\s*\*?From:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date):\*?\s+\S", re.IGNORECASE)
_OUTLOOK_HEADER = re.compile(r"^\s*\*?(From|Sent|Date|To|Cc|Subject):\*?\s", re.IGNORECASE)
_MOBILE_FOOTER = re.compile(
    r"^\s*(sent from my \w+|sent from (outlook|mail) for (ios|android)|get outlook for (ios|android))",
    re.IGNORECASE,
)


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _is_attribution(lines: list[str], index: int) -> int:
    """Lines taken by an "On … wrote:" attribution starting here (Gmail may wrap it), or 0."""
    if _ON_WROTE.match(lines[index]):
        return 1
    if (
        _ON_START.match(lines[index])
        and index + 1 < len(lines)
        and _WROTE_END.match(lines[index + 1])
    ):
        return 2
    return 0


def _is_history_block(lines: list[str], index: int) -> bool:
    """Outlook and forward markers: everything from here on is the earlier message."""
    line = lines[index]
    if _ORIGINAL_MESSAGE.match(line) or _FORWARD_MARKER.match(line) or _RULE.match(line):
        return True
    if _OUTLOOK_FROM.match(line):
        following = [text for text in lines[index + 1 : index + 6] if text.strip()][:3]
        return any(_OUTLOOK_NEXT.match(text) for text in following)
    return False


def _is_signature(line: str) -> bool:
    return line in ("-- ", "--") or bool(_MOBILE_FOOTER.match(line))


def _own_text(lines: list[str]) -> tuple[list[str], int]:
    """The sender's own lines, and the index where quoted history (if any) begins."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_history_block(lines, index):
            return kept, index
        if _is_signature(line):
            following = next(
                (i for i in range(index, len(lines)) if _is_history_block(lines, i)), len(lines)
            )
            return kept, following
        attribution = _is_attribution(lines, index)
        if attribution:
            after = next((text for text in lines[index + attribution :] if text.strip()), "")
            if not _is_quote(after):
                return kept, index  # unquoted history follows: it is all history
            index += attribution
            continue
        if not _is_quote(line):
            kept.append(line)
        index += 1
    return kept, len(lines)


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def reply_text_extract(body: str, *, forward: bool = False) -> str:
    """The new text of a reply: quoted history and signatures removed (rules in the module doc).

    In a forward (`forward=True` from a "Fw:"/"Fwd:" subject, or a "Forwarded message" marker
    as the first boundary) the forwarded message's header block and text are kept after the
    sender's own note, with the forwarded message's own history stripped in turn.
    """
    lines = (body or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    own, history_at = _own_text(lines)
    if history_at >= len(lines):
        return _tidy(own)
    # A "Forwarded message" marker as the first boundary is a forward whatever the subject.
    if not (forward or _FORWARD_MARKER.match(lines[history_at])):
        return _tidy(own)
    rest = lines[history_at:]
    if _FORWARD_MARKER.match(rest[0]) or _ORIGINAL_MESSAGE.match(rest[0]) or _RULE.match(rest[0]):
        rest = rest[1:]
    header: list[str] = []
    index = 0
    while index < len(rest) and not rest[index].strip():
        index += 1
    while index < len(rest) and _OUTLOOK_HEADER.match(rest[index]):
        header.append(rest[index].strip().replace("*", ""))
        index += 1
    forwarded, _ = _own_text(rest[index:])
    marker = "\n".join(["---------- Forwarded message ----------", *header])
    return "\n\n".join(part for part in (_tidy(own), marker, _tidy(forwarded)) if part)


# --- the resolution decision (§10.3) ---------------------------------------------------------

_REJECT = re.compile(
    r"""\b(
        not\s+(been\s+|yet\s+)?(fixed|resolved|solved|working|sorted)
      | (isn't|isnt|is\s+not|hasn't|hasnt|has\s+not|wasn't|wasnt|was\s+not|aren't|are\s+not
         |haven't|havent|have\s+not)\s+(been\s+)?(fixed|resolved|solved|working|sorted)
      | still\s+(broken|failing|happening|occurring|not\s+working|an?\s+(issue|problem))
      | (doesn't|doesnt|does\s+not|don't|dont|do\s+not)\s+work
      | reject(s|ed|ing)?
      | re-?open(s|ed|ing)?
    )\b""",
    re.IGNORECASE | re.VERBOSE,
)
_CONFIRM = re.compile(r"\bconfirm(s|ed|ing)?\b", re.IGNORECASE)
_NEGATION = re.compile(
    r"\b(not|never|cannot|can't|cant|unable|won't|don't|didn't|couldn't)\b", re.IGNORECASE
)
_CASE_TAG = re.compile(r"\[?\b(?:CS|INC|PRB|CHG)\d{7,}\b\]?", re.IGNORECASE)

REJECT = "reject"
CONFIRM = "confirm"
COMMENT = "comment"


def subject_clean(subject: str) -> str:
    """The subject without "Re:"/"Fwd:" prefixes and ticket numbers."""
    subject = _CASE_TAG.sub(" ", _REPLY_PREFIXES.sub("", subject or ""))
    return " ".join(subject.split())


def resolution_decision(*, subject: str, text: str) -> str:
    """What a reply to a Resolved case asks for: REJECT, CONFIRM or COMMENT (§10.3)."""
    first_line = next((line for line in (text or "").splitlines() if line.strip()), "")
    decision = f"{subject_clean(subject)}\n{first_line}".replace("\u2019", "'")
    if _REJECT.search(decision):
        return REJECT
    for match in _CONFIRM.finditer(decision):
        before = decision[max(0, match.start() - 25) : match.start()].split("\n")[-1]
        if not _NEGATION.search(before):
            return CONFIRM
    return COMMENT


# --- matching --------------------------------------------------------------------------------

_SUBJECT_REFERENCE = re.compile(r"\b(CS|INC|PRB|CHG)(\d{7,})\b", re.IGNORECASE)


class Refused(Exception):
    """The message is refused and logged; `ticket` is what it claimed to reply to, if known."""

    def __init__(self, reason: str, ticket=None):
        super().__init__(reason)
        self.reason = reason
        self.ticket = ticket


def _subject_case(subject: str) -> Case | None:
    references = {
        f"{prefix.upper()}{digits}" for prefix, digits in _SUBJECT_REFERENCE.findall(subject)
    }
    cases = sorted(number for number in references if number.startswith(Case.NUMBER_PREFIX))
    if len(cases) > 1:
        raise Refused(f"The subject names several cases ({', '.join(cases)}).")
    if not cases:
        if references:
            raise Refused(
                f"The subject names {', '.join(sorted(references))}, an internal reference: "
                "only case numbers (CS…) are taken by email."
            )
        return None
    case = Case.objects.filter(number=cases[0]).first()
    if case is None:
        raise Refused(f"The subject names {cases[0]}, which does not exist.")
    return case


def _header_ticket(parsed: ParsedEmail):
    """The ticket of the email this one replies to, found through our outbox."""
    candidates = [*parsed.in_reply_to, *reversed(parsed.references)]
    if not candidates:
        return None
    sent = {
        row["message_id"]: row
        for row in OutboundMessage.objects.filter(
            message_id__in=candidates, ticket_id__isnull=False
        ).values("message_id", "ticket_type_id", "ticket_id")
    }
    for message_id in candidates:
        row = sent.get(message_id)
        if row is None:
            continue
        model = ContentType.objects.get_for_id(row["ticket_type_id"]).model_class()
        ticket = model.objects.filter(pk=row["ticket_id"]).first() if model else None
        if ticket is None:
            continue
        if not isinstance(ticket, Case):
            raise Refused(
                f"The message replies to an email about {ticket.number}; only cases take "
                "replies by email."
            )
        return ticket
    return None


def _match_case(parsed: ParsedEmail) -> Case:
    by_subject = _subject_case(parsed.subject)
    by_headers = _header_ticket(parsed)
    if by_subject and by_headers and by_subject.pk != by_headers.pk:
        raise Refused(
            f"Spoofed reference: the subject names {by_subject.number} but the message replies "
            f"to an email about {by_headers.number}.",
            ticket=by_headers,
        )
    case = by_subject or by_headers
    if case is None:
        raise Refused(
            "No case reference: the subject has no case number and the message does not reply "
            "to one of our emails."
        )
    return case


def _sender(parsed: ParsedEmail) -> User:
    if not parsed.from_addresses:
        raise Refused("The message has no sender address.")
    if len(parsed.from_addresses) > 1:
        raise Refused("The message has several From addresses.")
    users = list(User.objects.filter(email__iexact=parsed.from_address, is_active=True)[:2])
    if len(users) != 1:
        raise Refused(f"Unknown sender: {parsed.from_address} is not an active portal user.")
    return users[0]


def sender_may_reply(*, sender, case: Case) -> bool:
    """The caller, or a participant who may see the case (§10.4); never staff by email."""
    if sender.pk == case.caller_id:
        return True
    if sender.is_staff:
        return False
    return visible_tickets(Case.objects.filter(pk=case.pk), user=sender).exists()


# --- effects ---------------------------------------------------------------------------------


@dataclass
class _Effect:
    status: str
    reason: str
    journal_entry: JournalEntry | None = None
    created_case: Case | None = None
    notes: list[str] = field(default_factory=list)


def _upload(attachment: EmailAttachment) -> SimpleUploadedFile:
    name = attachment.name.replace("\x00", "")[-200:] or "attachment"
    return SimpleUploadedFile(name, attachment.data, content_type=attachment.content_type)


def _attach_all(*, case: Case, sender, attachments: list[EmailAttachment]) -> list[str]:
    """Keep what passes upload validation; name the rest in a system entry. Returns notes."""
    kept, refused = [], []
    for attachment in attachments:
        try:
            with transaction.atomic():
                case_attachment_add(case=case, actor=sender, upload=_upload(attachment))
            kept.append(attachment.name)
        except ValidationFailed as exc:
            refused.append(exc.message)
    if refused:
        journal_entry_add(
            ticket=case,
            kind=JournalEntry.Kind.SYSTEM,
            body="Not kept from the email reply: " + " ".join(refused),
        )
    notes = []
    if kept:
        notes.append(f"{len(kept)} attachment(s) kept")
    if refused:
        notes.append(f"{len(refused)} attachment(s) refused: " + " ".join(refused))
    return notes


def _comment_body(text: str, attachments: list[EmailAttachment]) -> str:
    if text:
        return text
    return "Files sent by email: " + ", ".join(a.name for a in attachments) + "."


def _follow_up(*, case: Case, sender, text: str, parsed: ParsedEmail) -> _Effect:
    """A reply to a Closed or Cancelled case opens a new case that refers to it (§10.3)."""
    subject = f"Follow-up to {case.number}: {case.short_description}"
    if len(subject) > 160:
        subject = subject[:159] + "…"
    new_case = case_create(
        actor=sender,
        organisation=case.organisation,
        category=case.category,
        short_description=subject,
        description=_comment_body(text, parsed.attachments),
        party_id=case.party_id,
        no_party_id=not case.party_id,
        unregistered_organisation_name=case.unregistered_organisation_name,
        market_participant_id=case.market_participant_id,
        cra_market_role=case.cra_market_role,
        channel=Case.Channel.EMAIL,
    )
    ticket_link(from_ticket=case, to_ticket=new_case, kind=TicketLink.Kind.FOLLOW_UP)
    state = case.get_state_display().lower()
    journal_entry_add(
        ticket=case,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"A reply by email after this case was {state} opened follow-up case {new_case.number}.",
    )
    entry = journal_entry_add(
        ticket=new_case,
        kind=JournalEntry.Kind.SYSTEM,
        body=f"Follow-up to {case.number}, opened from a reply by email after it was {state}.",
    )
    notes = _attach_all(case=new_case, sender=sender, attachments=parsed.attachments)
    return _Effect(
        status=InboundEmail.Status.NEW_CASE,
        reason=f"{case.number} is {state}: opened follow-up case {new_case.number}",
        journal_entry=entry,
        created_case=new_case,
        notes=notes,
    )


def _latest_comment(case: Case, sender) -> JournalEntry | None:
    return (
        journal_for(case, include_work_notes=False)
        .filter(kind=JournalEntry.Kind.COMMENT, author=sender)
        .order_by("-id")
        .first()
    )


def _apply(*, case: Case, sender, text: str, parsed: ParsedEmail) -> _Effect:
    if case.state in (Case.State.CLOSED, Case.State.CANCELLED):
        return _follow_up(case=case, sender=sender, text=text, parsed=parsed)
    body = _comment_body(text, parsed.attachments)
    attached = InboundEmail.Status.ATTACHED
    if case.state == Case.State.RESOLVED:
        decision = resolution_decision(subject=parsed.subject, text=text)
        if decision == REJECT:
            reopened = case_reject_resolution(case=case, actor=sender, reason=body)
            notes = _attach_all(case=reopened, sender=sender, attachments=parsed.attachments)
            return _Effect(
                attached,
                f"Resolution rejected: {case.number} reopened (In Progress)",
                _latest_comment(reopened, sender),
                notes=notes,
            )
        if decision == CONFIRM:
            entry = case_comment_add(case=case, actor=sender, body=body)
            notes = _attach_all(case=case, sender=sender, attachments=parsed.attachments)
            case_confirm_resolution(case=case, actor=sender)
            return _Effect(
                attached, f"Resolution confirmed: {case.number} closed", entry, notes=notes
            )
    awaiting = (
        case.state == Case.State.ON_HOLD and case.hold_reason == Case.HoldReason.AWAITING_CALLER
    )
    entry = case_comment_add(case=case, actor=sender, body=body)
    notes = _attach_all(case=case, sender=sender, attachments=parsed.attachments)
    reason = f"Comment added to {case.number}"
    if awaiting:
        reason += " (On Hold — Awaiting Caller → In Progress)"
    return _Effect(attached, reason, entry, notes=notes)


def _reply_text(parsed: ParsedEmail) -> str:
    text = reply_text_extract(parsed.body, forward=parsed.is_forward)
    if len(text) > MAX_REPLY_CHARS:
        text = (
            text[:MAX_REPLY_CHARS].rstrip()
            + f"\n\n[The rest of this email was cut: it was longer than {MAX_REPLY_CHARS:,} characters.]"
        )
    return text


def _check(parsed: ParsedEmail) -> tuple[Case, User, str]:
    """Every refusal rule, before anything is written; returns the case, sender and text."""
    if parsed.raw_size > inbound_email_max_bytes():
        raise Refused(
            f"The message is {parsed.raw_size / 1048576:.1f} MB; the limit is "
            f"{inbound_email_max_bytes() / 1048576:.0f} MB."
        )
    if parsed.automatic:
        raise Refused(f"Not a person's reply: {parsed.automatic}.")
    if parsed.dmarc_failed:
        raise Refused("The sender's domain failed DMARC authentication.")
    case = _match_case(parsed)
    try:
        sender = _sender(parsed)
    except Refused as exc:
        exc.ticket = case  # recorded, so the desk sees who tried to reply to what
        raise
    if not sender_may_reply(sender=sender, case=case):
        raise Refused(
            f"{parsed.from_address} may not reply to {case.number}: only its caller and users of "
            "its organisation (or a parent organisation) may.",
            ticket=case,
        )
    text = _reply_text(parsed)
    if not text and not parsed.attachments:
        raise Refused("No new text: nothing is left once quoted history is removed.", ticket=case)
    return case, sender, text


# --- the service -----------------------------------------------------------------------------


@dataclass(frozen=True)
class InboundOutcome:
    """What became of one message; `duplicate` when it had been processed before."""

    status: str
    reason: str
    message_id: str
    inbound_email_id: int | None = None
    ticket_number: str | None = None
    created_case_number: str | None = None
    journal_entry_id: int | None = None

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "reason": self.reason,
            "message_id": self.message_id,
            "inbound_email_id": self.inbound_email_id,
            "ticket": self.ticket_number,
            "created_case": self.created_case_number,
            "journal_entry_id": self.journal_entry_id,
        }

    def summary(self) -> str:
        return f"{self.status}: {self.reason} [{self.message_id}]"


def _outcome(record: InboundEmail, *, status: str | None = None, reason: str | None = None):
    ticket = record.ticket if record.ticket_id else None
    created = (
        Case.objects.filter(pk=record.created_case_id).first() if record.created_case_id else None
    )
    return InboundOutcome(
        status=status or record.status,
        reason=reason if reason is not None else record.reason,
        message_id=record.message_id,
        inbound_email_id=record.pk,
        ticket_number=getattr(ticket, "number", None),
        created_case_number=created.number if created else None,
        journal_entry_id=record.journal_entry_id,
    )


def _set_ticket(record: InboundEmail, ticket) -> None:
    if ticket is None:
        record.ticket_type, record.ticket_id = None, None
    else:
        record.ticket_type = ContentType.objects.get_for_model(ticket)
        record.ticket_id = ticket.pk


def _claim(parsed: ParsedEmail, source: str) -> tuple[InboundEmail, InboundEmail | None]:
    """Insert the row for this Message-ID, or return the earlier one (the unique key decides).

    On PostgreSQL a concurrent insert of the same Message-ID waits for the first transaction
    and then fails, so two deliveries processed at once still act once.
    """
    fields = {
        "in_reply_to": (parsed.in_reply_to[0] if parsed.in_reply_to else "")[:255],
        "references": " ".join(parsed.references),
        "from_address": ", ".join(parsed.from_addresses)[:254],
        "subject": parsed.subject[:255],
        "source": source,
        "raw_size": parsed.raw_size,
        "status": InboundEmail.Status.ERROR,
        "reason": "Processing did not finish.",
        "ticket_type": None,
        "ticket_id": None,
        "journal_entry_id": None,
        "created_case_id": None,
    }
    try:
        with transaction.atomic():
            return InboundEmail.objects.create(message_id=parsed.message_id, **fields), None
    except IntegrityError:
        earlier = InboundEmail.objects.select_for_update().get(message_id=parsed.message_id)
        if earlier.status != InboundEmail.Status.ERROR:
            return earlier, earlier
        for name, value in fields.items():
            setattr(earlier, name, value)
        return earlier, None


def _domain_reason(exc: DomainError) -> str:
    details = "; ".join(
        f"{name}: {' '.join(messages)}" for name, messages in exc.field_errors.items()
    )
    return f"{exc.message} ({details})" if details else exc.message


def inbound_email_process(
    *, raw: bytes | str, source: str = InboundEmail.Source.PIPE
) -> InboundOutcome:
    """Turn one inbound email into a comment, a reopened or closed case, or a follow-up case.

    Raises InboundEmailUnreadable if the input is not an email; every other outcome (refused
    included) is recorded in `InboundEmail` and returned.
    """
    parsed = inbound_email_parse(raw)
    with transaction.atomic():
        record, earlier = _claim(parsed, source)
        if earlier is not None:
            logger.info(
                "inbound email %s already processed (%s)", parsed.message_id, earlier.status
            )
            return _outcome(
                earlier,
                status=InboundEmail.Status.DUPLICATE,
                reason=f"Already processed on {earlier.received_at:%Y-%m-%d %H:%M} "
                f"({earlier.get_status_display().lower()}): {earlier.reason}",
            )
        case = None
        try:
            with transaction.atomic():
                case, sender, text = _check(parsed)
                effect = _apply(case=case, sender=sender, text=text, parsed=parsed)
        except Refused as exc:
            record.status, record.reason = InboundEmail.Status.REFUSED, exc.reason
            _set_ticket(record, exc.ticket)
        except (OperationalError, InterfaceError):
            # The database is unavailable: nothing is recorded, so the mail server, the IMAP
            # poller or the gateway delivers the message again later.
            raise
        except DomainError as exc:
            # A case service said no (the state moved on, a permission): refused in its words.
            record.status, record.reason = InboundEmail.Status.REFUSED, _domain_reason(exc)
            _set_ticket(record, case)
        except Exception as exc:  # noqa: BLE001 - recorded for the desk; the message can be re-fed
            logger.exception("inbound email %s failed", parsed.message_id)
            record.status = InboundEmail.Status.ERROR
            record.reason = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            record.status = effect.status
            record.reason = "; ".join([effect.reason, *effect.notes])
            _set_ticket(record, case)
            record.journal_entry_id = effect.journal_entry.pk if effect.journal_entry else None
            record.created_case_id = effect.created_case.pk if effect.created_case else None
        record.save()
    accepted = record.status in (InboundEmail.Status.ATTACHED, InboundEmail.Status.NEW_CASE)
    (logger.info if accepted else logger.warning)(
        "inbound email %s from %s: %s (%s)",
        record.message_id,
        record.from_address,
        record.status,
        record.reason,
    )
    return _outcome(record)
