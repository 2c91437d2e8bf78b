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

Where each part lives:

- `parsing`: reading the RFC 822 message into a `ParsedEmail` (ids, sender, subject, body,
  attachments, automatic-mail and DMARC signals). No database.
- `reply_text`: HTML to text and the reply's own text (quotes, attributions, Outlook history,
  signatures removed; forwards kept) (§10.2). No database.
- `decision`: what a reply to a Resolved case asks for (§10.3). No database.
- `matching`: which case the message is about, and whether its sender may reply to it (§10.4).
- `effects`: what an accepted reply does to the case, through the case services (§10.3,
  §10.5.5 for attachments).
- `service`: `inbound_email_process`, the one entry point: refusal checks, idempotency on the
  Message-ID, and the `InboundEmail` record of every outcome; `inbound_email_record_failure`
  and `inbound_email_retry` for a message that cannot be processed (kept raw as `failed`, so it
  never blocks the ones after it, and retried from the console).
- `errors`: the two errors the rest share.

Every public name is re-exported here; import from `comms.inbound`, not from the modules.
"""

from .decision import COMMENT, CONFIRM, REJECT, resolution_decision, subject_clean
from .errors import InboundEmailUnreadable, Refused
from .matching import sender_may_reply
from .parsing import EmailAttachment, ParsedEmail, inbound_email_parse
from .reply_text import OUTLOOK_RULE, html_to_text, reply_text_extract
from .service import (
    MAX_REPLY_CHARS,
    InboundOutcome,
    inbound_email_max_bytes,
    inbound_email_process,
    inbound_email_record_failure,
    inbound_email_retry,
)

__all__ = [
    "COMMENT",
    "CONFIRM",
    "MAX_REPLY_CHARS",
    "OUTLOOK_RULE",
    "REJECT",
    "EmailAttachment",
    "InboundEmailUnreadable",
    "InboundOutcome",
    "ParsedEmail",
    "Refused",
    "html_to_text",
    "inbound_email_max_bytes",
    "inbound_email_parse",
    "inbound_email_process",
    "inbound_email_record_failure",
    "inbound_email_retry",
    "reply_text_extract",
    "resolution_decision",
    "sender_may_reply",
    "subject_clean",
]
