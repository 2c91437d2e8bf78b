"""Reply by email (§10.2, §10.3): an inbound message becomes a comment on the right ticket.

Every entry point (`manage.py ingest_email`, the IMAP poller, the API) calls
`inbound_email_process`, which parses the message, matches it to a ticket, checks the sender,
acts through the ticket type's registry entry and the kernel, and records the outcome in one
`InboundEmail` row. Nothing here names a concrete ticket type: every type registered in
`tickets.registry` whose participants may see it takes replies by email
(`TicketType.takes_email_replies`), cases today. The rules:

Matching. The subject's ticket number (any registered type's, `number_pattern`:
"[CS0001234]", also bare "CS0001234", after any "Re:"/"Fwd:") and the Message-IDs in
In-Reply-To and References, looked up in the outbox (`OutboundMessage.message_id`: a reply
names the email we sent). In-Reply-To wins over References, and the newest Reference over
older ones. If the subject and the headers name different tickets the message is refused as
spoofed. Numbers of staff-only types (INC…) are internal: a message naming one (and no ticket
that takes replies), or replying to an email about one, is refused, naming the accepted
prefixes. No reference at all: refused (new cases are raised in the portal).

Sender. The From address (one address, compared case-insensitively) must be an active user
who is the ticket's caller, or a participant who may see it under §10.4
(`tickets.selectors.visible_tickets` on the ticket's own model: its organisation or an
ancestor of it). Desk staff are refused unless they are the caller: a From header is too weak
to act as staff, who work in the console behind MFA (§10.5.2). Automatic mail (out-of-office
replies, bounces, bulk: `Auto-Submitted`, `X-Autoreply`, `Precedence`, delivery reports) is
refused, so an out-of-office reply never resumes a ticket On Hold — Awaiting Caller. A message
whose `Authentication-Results` says `dmarc=fail` is refused.

Reply text. text/plain is preferred; an HTML-only message is converted to text (block
elements end lines; `<blockquote>` quotes and `<hr>` separators mark history). Removed:
lines quoted with ">", "On … wrote:" attributions, and everything from the first Outlook
history block ("-----Original Message-----", a "From:" line followed by "Sent:"/"Date:",
a "________" rule), a signature delimiter ("-- ") or a mobile footer ("Sent from my iPhone",
"Get Outlook for iOS"). A forward (subject "Fw:"/"Fwd:", or a "Forwarded message" marker)
keeps the forwarded message's header and text, since passing it on is the point; its own
history is still stripped. No text left and no attachment: refused ("no new text").

Effects, by the ticket's state. Open (New, In Progress, On Hold): a customer-visible comment
through the type's `comment` service (cases: `case_participant_comment`), else the kernel's
`ticket_comment_add`; On Hold — Awaiting Caller goes back to In Progress. Resolved: the
"decision text" is the subject (without prefixes and the ticket number) plus the reply's first
line. It rejects the resolution (the kernel's "reject_resolution" transition, the reply as its
note) when it says "not fixed/resolved/solved/working/sorted" (also "isn't", "hasn't been",
"wasn't" …), "still broken/failing/happening/not working/an issue/a problem", "doesn't work",
"reject" or "reopen". Otherwise it confirms ("close", after adding the reply as a comment)
only when it says "confirm"/"confirmed" without a negation in the few words before ("can't
confirm" does not confirm). Anything else, or an action the type's lifecycle lacks, is a
comment and the ticket stays Resolved. Closed, for a type that declares `reopen_request`
(cases: `cases.reopening`): a request to reopen it, through the same service as a comment in
the portal, for the desk to decide (§10.3). Otherwise Closed or Cancelled: the type's
`follow_up` opens a new ticket (cases: `cases.follow_up.case_follow_up_from_reply`, a case with channel email, same
organisation, category and party, subject "Follow-up to CSxxxxxxx: <original subject>", the
reply as description), linked from the old one with a `follow_up` TicketLink (old → new, like
case → incident) and a system entry on both; a type without `follow_up` refuses the reply.

Attachments get the kernel's upload validation (`tickets.services.attachment_add`, with a
system entry); one that fails is named in a system entry on the ticket and the comment is
kept. MPANs in a reply are fine: the portal is where they belong (§10.5.5); only outgoing
email must never carry one.

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
- `decision`: what a reply to a Resolved ticket asks for (§10.3). No database.
- `matching`: which ticket the message is about, and whether its sender may reply to it
  (§10.4); `reply_types` lists the registered types that take replies.
- `effects`: what an accepted reply does to the ticket, through its type's registry entry and
  the kernel (§10.3, §10.5.5 for attachments).
- `service`: `inbound_email_process`, the one entry point: refusal checks, idempotency on the
  Message-ID, and the `InboundEmail` record of every outcome; `inbound_email_record_failure`
  and `inbound_email_retry` for a message that cannot be processed (kept raw as `failed`, so it
  never blocks the ones after it, and retried from the console).
- `errors`: the two errors the rest share.

Every public name is re-exported here; import from `comms.inbound`, not from the modules.
"""

from .decision import COMMENT, CONFIRM, REJECT, resolution_decision, subject_clean
from .errors import InboundEmailUnreadable, Refused
from .matching import match_ticket, reply_types, sender_may_reply
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
    "match_ticket",
    "reply_text_extract",
    "reply_types",
    "resolution_decision",
    "sender_may_reply",
    "subject_clean",
]
