"""Celery entry point for the IMAP poller of reply by email (§10.2); beat runs it.

Configured by `IMAP_URL` (see `comms.imap`): from settings when it defines `IMAP_URL`,
otherwise from the environment. Unset, the task does nothing and says so.
"""

import imaplib
import logging
import os

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from . import imap

logger = logging.getLogger(__name__)

# One poll at a time: beat may fire again while a slow mailbox is still being read.
POLL_LOCK = "comms:inbound-email-imap-poll"
POLL_LOCK_SECONDS = 10 * 60


def imap_url() -> str:
    return (getattr(settings, "IMAP_URL", None) or os.environ.get("IMAP_URL", "")).strip()


@shared_task(ignore_result=True)
def inbound_email_poll_imap_task(limit: int = imap.DEFAULT_BATCH) -> str:
    url = imap_url()
    if not url:
        logger.info("IMAP_URL is not set: polling for replies by email is off.")
        return "disabled: IMAP_URL is not set"
    if not cache.add(POLL_LOCK, "1", POLL_LOCK_SECONDS):
        return "skipped: another poll is running"
    try:
        result = imap.inbound_email_poll_imap(url=url, limit=limit)
    except (imaplib.IMAP4.error, OSError) as exc:
        # The next beat run tries again; nothing was lost, unseen messages stay unseen.
        logger.warning("IMAP poll failed: %s", exc)
        return f"unavailable: {exc}"
    except (OperationalError, InterfaceError) as exc:
        # The database is down: the message being read and the rest stay unseen for the next
        # run. (A message that fails on its own is kept as failed and the poll goes on.)
        logger.warning("IMAP poll stopped, database unavailable: %s", exc)
        return f"unavailable: database: {exc}"
    finally:
        cache.delete(POLL_LOCK)
    logger.info("IMAP poll: %s", result)
    return str(result)
