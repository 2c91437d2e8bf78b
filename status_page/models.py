"""The public status page's own records (§5.21, §5.22): email subscriptions per service."""

import secrets

from django.db import models
from django.utils import timezone

from tickets.models import Service


def new_token() -> str:
    return secrets.token_urlsafe(24)


class StatusSubscription(models.Model):
    """One email address and the services it follows on the status page (§5.21: "add your
    email against the systems you would like notifications for"). Mail goes only to a
    confirmed, not unsubscribed row; the token is part of every signed link, so a link stops
    working when the token is replaced."""

    email = models.EmailField(unique=True)
    services = models.ManyToManyField(Service, related_name="status_subscriptions", blank=True)
    token = models.CharField(max_length=64, default=new_token)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # When the last confirmation email was sent and how many were sent that UK day: asking
    # again and again for the same address mails it at most a few times (abuse).
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmations_sent = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email"]
        indexes = [
            # Serves "who follows these services": confirmed and still subscribed rows.
            models.Index(
                fields=["confirmed_at"],
                name="status_sub_live",
                condition=models.Q(confirmed_at__isnull=False, unsubscribed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_live(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
