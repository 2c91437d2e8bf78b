from django.apps import AppConfig


class MajorIncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "major_incidents"
    verbose_name = "Major incidents"

    def ready(self) -> None:
        """Listen to the kernel's ticket events (docs/architecture.md §1)."""
        from tickets.signals import ticket_transitioned

        from .lifecycle import on_ticket_transitioned

        # A major incident follows its incident's lifecycle; the review opens on resolution.
        ticket_transitioned.connect(on_ticket_transitioned, dispatch_uid="major-incident-lifecycle")
