from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations (issue 14): health and readiness, metrics, request ids in logs and the
    console's system status page. It reads every other app and no app imports it."""

    name = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Celery signal receivers: request ids into tasks, task metrics, periodic-run records.
        from . import celery_signals  # noqa: F401
