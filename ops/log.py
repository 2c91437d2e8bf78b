"""Log records as the desk may keep them (issue 14): one JSON object per line when
LOG_FORMAT=json, each with the request id, user id and organisation id, and never an MPAN
(§10.5.5), a password, a token or an email body.

Both filters sit on the handler (settings.LOGGING), so every logger that reaches it is
covered, Django's, Celery's and ours alike.
"""

import json
import logging
import re
from datetime import UTC, datetime

from comms.mpan import contains_mpan, find_mpans

from .context import current_identity, request_user

MPAN_REDACTED = "[MPAN redacted]"
SECRET_REDACTED = "[redacted]"
WITHHELD = "[withheld: the message held an MPAN]"

# Attribute or key names whose values are never logged: credentials and email content.
SECRET_KEYS = frozenset(
    {
        "password",
        "password1",
        "password2",
        "new_password",
        "old_password",
        "token",
        "access_token",
        "refresh_token",
        "secret",
        "secret_key",
        "api_key",
        "authorization",
        "cookie",
        "sessionid",
        "csrfmiddlewaretoken",
        "totp",
        "code",
        "body",
        "body_text",
        "body_html",
        "email_body",
        "raw",
        "raw_message",
    }
)
# `password=…`, `"token": "…"`, `Authorization: Bearer …` written inside a message.
_SECRET_IN_TEXT = re.compile(
    r"(?P<key>\b(?:password\d?|passwd|token|access_token|secret(?:_key)?|api_key|sessionid"
    r"|csrfmiddlewaretoken)\b[\"']?\s*[:=]\s*[\"']?)(?P<value>[^\s\"'&,;}]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"\b(Bearer|Token)\s+[A-Za-z0-9._~+/=\-]{6,}", re.IGNORECASE)
# Digits with the separators people write MPANs with, as `comms.mpan.find_mpans` accepts them.
_DIGITS_WITH_SEPARATORS = re.compile(r"[0-9][0-9 \-/\u00a0]*[0-9]")
_SEPARATORS = re.compile(r"[^0-9]")


def redact_mpans(text: str) -> str:
    """`text` with each MPAN the desk's detector finds replaced; if the detector still finds
    one afterwards (an MPAN written in a way the replacement does not see), the whole text
    is withheld: a log line never carries an MPAN."""
    if not text or not contains_mpan(text):
        return text
    cores = find_mpans(text)

    def replace(match: re.Match) -> str:
        digits = _SEPARATORS.sub("", match.group())
        return MPAN_REDACTED if any(core in digits for core in cores) else match.group()

    redacted = _DIGITS_WITH_SEPARATORS.sub(replace, text)
    return WITHHELD if contains_mpan(redacted) else redacted


def redact_secrets(text: str) -> str:
    text = _SECRET_IN_TEXT.sub(lambda m: m.group("key") + SECRET_REDACTED, text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {SECRET_REDACTED}", text)


def redact(text: str) -> str:
    return redact_secrets(redact_mpans(text))


def _clean(value, depth: int = 0):
    """A copy of a logged argument with secret keys' values and MPANs taken out."""
    if depth > 4:
        return "…"
    if isinstance(value, dict):
        return {
            k: SECRET_REDACTED if str(k).lower() in SECRET_KEYS else _clean(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_clean(v, depth + 1) for v in value)
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact(str(value))


class RedactFilter(logging.Filter):
    """Takes MPANs, credentials and email bodies out of a record before any handler writes it.

    The message is rendered once here (with its arguments) and redacted as a whole, so an MPAN
    split across the format string and an argument is still found; `extra` attributes named
    like a secret are blanked.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is logged as it came, never dropped
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        for key in list(vars(record)):
            if key.lower() in SECRET_KEYS:
                setattr(record, key, SECRET_REDACTED)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RequestContextFilter(logging.Filter):
    """Adds `request_id`, `user_id` and `organisation_id` to every record (empty outside a
    request or a task started by one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id, user_id, organisation_id = current_identity()
        # Django logs a 4xx or 5xx answer after the middleware has finished, with the request
        # attached: the id is read from it.
        request = getattr(record, "request", None)
        if record.request_id is None and request is not None:
            record.request_id = getattr(request, "request_id", None)
            user = request_user(request) if hasattr(request, "__dict__") else None
            if user_id is None and user is not None and getattr(user, "is_authenticated", False):
                user_id, organisation_id = user.pk, getattr(user, "organisation_id", None)
        record.request_id = record.request_id or "-"
        record.user_id = user_id
        record.organisation_id = organisation_id
        return True


# LogRecord's own attributes; anything else on a record came from `extra=` and is logged.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "user_id",
    "organisation_id",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request
    context, the exception if any, and the record's `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        document = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            # The plain format shows "-" outside a request; JSON says null.
            "request_id": None if getattr(record, "request_id", "-") == "-" else record.request_id,
            "user_id": getattr(record, "user_id", None),
            "organisation_id": getattr(record, "organisation_id", None),
        }
        for key, value in vars(record).items():
            if key == "request" and hasattr(value, "path"):
                document["http"] = {"method": value.method, "path": redact(value.path)}
            elif key not in _RECORD_FIELDS and not key.startswith("_"):
                document[key] = _clean(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["exception"] = record.exc_text
        if record.stack_info:
            document["stack"] = record.stack_info
        return json.dumps(document, default=str, ensure_ascii=False)
