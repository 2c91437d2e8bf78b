"""Access tokens for the REST API (§10.5.2).

A token is shown once, when it is created, and only its SHA-256 digest is stored: the secret
is 256 random bits, so a fast hash is enough (nothing to brute-force), and a lookup by the
public prefix keeps authentication to one indexed read.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords


class AccessToken(models.Model):
    """A person's or an integration account's credential for the API, limited by scopes."""

    class Scope(models.TextChoices):
        """The scopes that are not a ticket type; each registered type's API slug is an area
        scope too ("cases", "incidents"): the full list is `access.scopes.scope_choices()`."""

        READ = "read", "Read (GET)"
        WRITE = "write", "Write (create, comment, transitions)"
        INBOUND_EMAIL = "inbound-email", "Hand over inbound email (mail gateway)"

    ACCESS_SCOPES = (Scope.READ, Scope.WRITE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'CRM sync'.")
    prefix = models.CharField(
        max_length=16, unique=True, editable=False, help_text="Public part of the token."
    )
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty only for integration accounts."
    )
    rate_per_minute = models.PositiveIntegerField(
        "requests per minute",
        null=True,
        blank=True,
        help_text="This client's own API rate; empty: the API's default rate for one user.",
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # Last-used stamps are written with queryset updates, so they add no history rows.
    history = HistoricalRecords(excluded_fields=["last_used_at", "last_used_ip"])

    class Meta:
        ordering = ["-created_at"]
        permissions = [("revoke_accesstoken", "Can revoke any access token")]
        indexes = [
            # Serves the account page's "my tokens" list, newest first.
            models.Index(fields=["user", "-created_at"], name="accesstoken_user_created"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "Revoked"
        if self.is_expired:
            return "Expired"
        return "Active"

    def scope_labels(self) -> list[str]:
        labels = dict(self.Scope.choices)
        return [labels.get(scope, scope) for scope in self.scopes]
