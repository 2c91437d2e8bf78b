"""What a reply to a Resolved ticket asks for (§10.3): reject, confirm, or just comment.

The decision text is the subject (without "Re:"/"Fwd:" prefixes and ticket numbers of any
registered type, `tickets.registry.number_pattern`) plus the reply's first line. Rejection
wording wins; "confirm" counts only without a negation in the few words before it ("can't
confirm" does not confirm); anything else is a comment and the ticket stays Resolved. Pure
text: no database.
"""

import re

from tickets.registry import number_pattern

_REPLY_PREFIXES = re.compile(r"^\s*((re|fw|fwd|aw|sv|wg|tr)(\s*\[\d+\])?\s*:\s*)+", re.IGNORECASE)
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

REJECT = "reject"
CONFIRM = "confirm"
COMMENT = "comment"


def subject_clean(subject: str) -> str:
    """The subject without "Re:"/"Fwd:" prefixes and ticket numbers ("[CS0001234]")."""
    tag = re.compile(rf"\[?{number_pattern().pattern}\]?", re.IGNORECASE)
    subject = tag.sub(" ", _REPLY_PREFIXES.sub("", subject or ""))
    return " ".join(subject.split())


def resolution_decision(*, subject: str, text: str) -> str:
    """What a reply to a Resolved ticket asks for: REJECT, CONFIRM or COMMENT (§10.3)."""
    first_line = next((line for line in (text or "").splitlines() if line.strip()), "")
    decision = f"{subject_clean(subject)}\n{first_line}".replace("\u2019", "'")
    if _REJECT.search(decision):
        return REJECT
    for match in _CONFIRM.finditer(decision):
        before = decision[max(0, match.start() - 25) : match.start()].split("\n")[-1]
        if not _NEGATION.search(before):
            return CONFIRM
    return COMMENT
