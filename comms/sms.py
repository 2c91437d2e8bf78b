"""SMS for distribution lists whose delivery method is SMS (§5.19 "Communication Methods").

The backend is pluggable: `settings.SMS_BACKEND` names a class with `send(*, to, body)`. The
default writes each message to the log, so nothing needs configuring locally; a gateway
adapter replaces it in production. The MPAN rule of §10.5.5 applies to texts as to email.
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from .mpan import contains_mpan

logger = logging.getLogger(__name__)

DEFAULT_BACKEND = "comms.sms.LogSmsBackend"


class LogSmsBackend:
    """Writes the text to the log instead of sending it."""

    def send(self, *, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)


class LocmemSmsBackend:
    """Keeps texts in memory, for tests: `LocmemSmsBackend.outbox` is a list of (to, body)."""

    outbox: list[tuple[str, str]] = []

    def send(self, *, to: str, body: str) -> None:
        type(self).outbox.append((to, body))


def sms_backend():
    return import_string(getattr(settings, "SMS_BACKEND", DEFAULT_BACKEND))()


def sms_send(*, to: str, body: str) -> bool:
    """Send one text; refuses (and logs) a text containing an MPAN. True if handed over."""
    if contains_mpan(body):
        logger.warning("SMS to %s refused: MPAN in content (§10.5.5)", to)
        return False
    try:
        sms_backend().send(to=to, body=body)
    except Exception:  # noqa: BLE001 - any gateway failure is logged, never raised to the sender
        logger.warning("SMS to %s failed", to, exc_info=True)
        return False
    return True
