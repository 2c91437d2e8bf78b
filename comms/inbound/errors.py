"""The errors reply by email raises (§10.2).

`InboundEmailUnreadable` is the one error an entry point sees: the input is not an email (the
command exits non-zero, the API answers 400, the IMAP poller flags the message). `Refused` never
leaves the package: `inbound_email_process` records it as a refused `InboundEmail`.
"""

from core.errors import ValidationFailed


class InboundEmailUnreadable(ValidationFailed):
    """The input is not an email at all (empty, or no From and no Message-ID header)."""

    code = "unreadable_email"


class Refused(Exception):
    """The message is refused and logged; `ticket` is what it claimed to reply to, if known."""

    def __init__(self, reason: str, ticket=None):
        super().__init__(reason)
        self.reason = reason
        self.ticket = ticket
