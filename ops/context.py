"""The request a log line belongs to, kept in context variables so that code far from the
view (services, tasks run by the worker) logs it without passing it around."""

import re
import uuid
from contextvars import ContextVar

from django.utils.functional import empty

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)
organisation_id_var: ContextVar[int | None] = ContextVar("organisation_id", default=None)
# The request being served, so a log filter can read its user once authentication has run,
# without making the log line the thing that loads the user.
current_request_var: ContextVar = ContextVar("current_request", default=None)

# A caller's id is echoed and logged: keep it short and plain so it cannot forge log lines.
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,100}")


def request_id_from(header_value: str | None) -> str:
    """The caller's X-Request-ID when it is a plain token, otherwise a new one."""
    if header_value and _ACCEPTABLE_ID.fullmatch(header_value):
        return header_value
    return uuid.uuid4().hex


def request_user(request):
    """The request's user if authentication already loaded it; never loads it for a log line."""
    user = vars(request).get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty:
        return getattr(request, "_cached_user", None)
    return wrapped


def current_identity() -> tuple[str | None, int | None, int | None]:
    """(request id, user id, organisation id) of the request or task being served."""
    user_id, organisation_id = user_id_var.get(), organisation_id_var.get()
    request = current_request_var.get()
    if request is not None and user_id is None:
        user = request_user(request)
        if user is not None and getattr(user, "is_authenticated", False):
            user_id, organisation_id = user.pk, getattr(user, "organisation_id", None)
    return request_id_var.get(), user_id, organisation_id
