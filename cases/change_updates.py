"""A case assigned to Change Management at triage (§4.1 step 3) and what its caller hears of
the change: whether it was made or will not go ahead, in plain words.

The case's link rules (`Case.TICKET_TYPE`) call this handler when the linked change is closed
or cancelled. The change's own record (its number, closure code and notes) stays with the
staff (Appendix G); the caller reads a comment on their own case and is emailed as for any desk
comment. The case itself stays with the desk, which confirms and resolves it (§10.3).
"""

from .models import Case
from .problem_updates import _tell_caller

# Outcomes in which what the caller asked for was done (§8.8).
MADE = ("successful", "successful_with_issues")


def case_told_of_change_outcome(case: Case, *, source, result, arguments) -> None:
    """Link rule: the change raised from the case is closed or cancelled (§8.8)."""
    if source.state == "cancelled":
        body = (
            "The change needed for this case will not go ahead as planned. The service desk "
            "will be in touch to explain why and to agree what happens next."
        )
    elif source.closure_code in MADE:
        body = (
            "The change needed for this case has been made. The service desk will check with "
            "you that everything works before closing this case."
        )
    else:
        body = (
            "The change needed for this case could not be completed as planned. The service "
            "desk will be in touch about what happens next."
        )
    _tell_caller(case, body=body)
