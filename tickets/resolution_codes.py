"""Resolution codes written as free text before they came from a list (issue 10, point 18).

`code_for` reads an old code the way a person would — "fixed", "Work-around", "Known Error",
"NFF" — and gives the code of `Ticket.ResolutionCode` it meant, or "" when it names none of
them. The data migrations of each ticket app use it through `migrate_free_text_codes`; the old
text stays in the ticket's history (simple_history keeps every version as it was).

Plain strings, not the model's choices: a migration must mean the same thing whatever the
model says later.
"""

import re

_SYNONYMS = {
    "solved": (
        "solved",
        "fixed",
        "fix",
        "fix applied",
        "resolved",
        "permanent fix",
        "permanently fixed",
        "solved fix applied",
        "solved permanently",
        "closed",
        "complete",
        "completed",
        "done",
    ),
    "workaround": ("workaround", "work around", "workaround provided", "temporary fix"),
    "known_error": ("known error", "known error permanent fix to follow", "ke"),
    "change": ("change", "fixed by a change", "resolved by change", "resolved by a change"),
    "advice": (
        "advice",
        "advice given",
        "advice or information given",
        "information",
        "information given",
        "info",
        "answered",
        "question answered",
        "how to",
    ),
    "request_fulfilled": ("request fulfilled", "fulfilled", "request completed"),
    "no_fault_found": (
        "no fault found",
        "no fault found working as designed",
        "nff",
        "not a fault",
        "working as designed",
        "by design",
        "no issue",
        "no problem found",
    ),
    "resolved_by_caller": (
        "resolved by the caller",
        "resolved by caller",
        "caller resolved",
        "user resolved",
        "self resolved",
    ),
    "rerouted": (
        "rerouted",
        "re routed",
        "re routed to another service desk",
        "rerouted to another desk",
        "wrong desk",
    ),
}
_BY_WORDS = {words: code for code, all_words in _SYNONYMS.items() for words in all_words}


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).split())


def code_for(text: str) -> str:
    """The list's code an old free-text code meant, or "" if it names none."""
    return _BY_WORDS.get(_words(text), "")


def migrate_free_text_codes(model) -> None:
    """Replace each distinct free-text code of `model`'s rows by the list's code it meant (one
    UPDATE per distinct old value; unreadable ones become empty)."""
    old_codes = (
        model.objects.exclude(resolution_code="")
        .values_list("resolution_code", flat=True)
        .distinct()
        .order_by()
    )
    for old in list(old_codes):
        new = code_for(old)
        if new != old:
            model.objects.filter(resolution_code=old).update(resolution_code=new)
