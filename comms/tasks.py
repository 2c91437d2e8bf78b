"""Celery entry points for the outbox; each loads by id and calls one service."""

from celery import shared_task
from django.db import OperationalError

from . import services


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def outbound_message_deliver_task(message_pk: int) -> str:
    message = services.outbound_message_deliver(message_pk=message_pk)
    return message.status if message else "not-claimed"


@shared_task
def outbound_message_resend_pending_task() -> int:
    return services.outbound_message_resend_pending()
