"""When each periodic task last ran, and when a worker last answered (issue 14)."""

from django.db import models


class PeriodicTaskRun(models.Model):
    """One row per periodic task, upserted by the worker as the task starts and ends.

    The readiness probe reads the worker heartbeat and the sweeps from here, and the system
    status page shows every task of the beat schedule; a row per task (not per run) keeps the
    table as small as the schedule.
    """

    task = models.CharField(max_length=200, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_duration = models.DurationField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["task"]
        permissions = [("view_system_status", "Can see the system status page")]

    def __str__(self) -> str:
        return self.task
