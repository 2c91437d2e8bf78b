"""The one small hierarchy of domain errors; messages are written for the person who acted.

Views show them as form errors or messages, the API maps `status` to the HTTP code, and the
admin shows them through `message_user`. A refused action is never a 500.
"""


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class ValidationFailed(DomainError):
    code = "validation_failed"


class ActionNotPermitted(DomainError):
    status = 403
    code = "not_permitted"


class TicketNotFound(DomainError):
    status = 404
    code = "not_found"


class TransitionNotAllowed(DomainError):
    status = 409
    code = "transition_not_allowed"


class ConcurrentUpdate(DomainError):
    status = 409
    code = "changed_by_someone_else"
