"""A case linked to a problem at triage (§6.4 steps 1–4) and what its caller hears of the
problem: its customer-visible progress updates (§6.4 step 7) and its resolution (§6.4 step 9).

The case's link rules (`Case.TICKET_TYPE`) call these handlers when the problem gets a
customer-visible update (`problems.services.problem_progress_update_add`) or is resolved. The
caller reads each as a comment on their own case and is emailed as for any desk comment; the
case itself stays with the desk, which confirms and resolves it with the caller (§10.3).
"""

from comms import notifications
from tickets.models import JournalEntry
from tickets.services import journal_entry_add

from .models import Case


def _tell_caller(case: Case, *, body: str, author=None) -> JournalEntry:
    entry = journal_entry_add(ticket=case, kind=JournalEntry.Kind.COMMENT, body=body, author=author)
    notifications.case_comment_added(case, by_desk=True)
    return entry


def case_told_of_problem_update(case: Case, *, source, result, arguments) -> None:
    """Comment rule: the problem's customer-visible progress update reaches the caller."""
    entry = arguments["entry"]
    _tell_caller(
        case,
        body=f"An update on the underlying problem we are investigating for this case:\n\n"
        f"{entry.body}",
        author=arguments.get("actor"),
    )


def case_told_of_problem_resolution(case: Case, *, source, result, arguments) -> None:
    """Link rule: the problem is resolved; the caller hears how, and that the desk will
    confirm with them before the case is closed."""
    lines = [
        "The underlying problem behind this case has been resolved.",
        "",
        arguments.get("notes", "").strip() or source.resolution_notes,
    ]
    if source.is_known_error and source.workaround:
        lines += [
            "",
            f"Until a permanent fix is in place, please use this workaround: {source.workaround}",
        ]
    lines += [
        "",
        "The service desk will check with you that everything works before closing this case.",
    ]
    _tell_caller(case, body="\n".join(lines))
