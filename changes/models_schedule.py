"""Scheduling and reporting of changes (§8.9, §8.10, §8.11): the per-user secret calendar
feed CAB members subscribe to, the subscribers of the Monday reports and the record of each
Monday's run (which also makes the run idempotent)."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["ChangeCalendarFeed", "ChangeReportRun", "ChangeReportSubscription", "ChangeReport"]


class ChangeReport(models.TextChoices):
    """The scheduled reports of the Change Management team (§8.10)."""

    FORWARD_SCHEDULE = "forward_schedule", "Forward Schedule of Change"
    RETROSPECTIVE = "retrospective", "Retrospective Change Report"


def feed_token_hash(raw: str) -> str:
    """The stored form of a feed secret: its SHA-256, so a database read does not reveal it."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ChangeCalendarFeed(models.Model):
    """One user's secret iCalendar address for the change schedule (§8.9.8: CAB members plan
    around the changes due). Only the hash of the secret is kept; revoking keeps the row (who
    had one, when it stopped) and makes the address answer 404."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters of the secret, so the owner can tell which address is live.
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "change calendar feed"

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"Change calendar feed of {self.user} ({state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ChangeReportSubscription(models.Model):
    """An address that receives one of the Monday reports (§8.10: people ask the Change
    Management team to be added or removed; the Change Manager keeps the list)."""

    report = models.CharField(max_length=20, choices=ChangeReport.choices)
    email = models.EmailField()
    name = models.CharField(max_length=120, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["report", "email"]
        constraints = [
            models.UniqueConstraint(fields=["report", "email"], name="changereportsub_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ← {self.get_report_display()}"


class ChangeReportRun(models.Model):
    """One issue of a Monday report (§8.10): the rows as sent, kept so the portal and the CSV
    show exactly what subscribers received. One per report and Monday, so the beat task can
    run again (a retry, a second beat) without sending twice."""

    report = models.CharField(max_length=20, choices=ChangeReport.choices)
    week_of = models.DateField(help_text="The Monday (UK date) the report was issued for.")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    generated_at = models.DateTimeField(default=timezone.now)
    rows = models.JSONField(default=list)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-week_of", "report"]
        constraints = [
            models.UniqueConstraint(fields=["report", "week_of"], name="changereportrun_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_report_display()} of {self.week_of:%d %b %Y}"
