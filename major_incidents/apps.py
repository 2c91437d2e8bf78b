from django.apps import AppConfig


class MajorIncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "major_incidents"
    verbose_name = "Major incidents"

    def ready(self) -> None:
        """Listen to the kernel (docs/architecture.md §1): the incident page's major-incident
        panel (propose, the candidacy's state, the war room once promoted) through the console
        seam (`tickets.extensions`), and the incident's lifecycle through its signal."""
        from tickets.extensions import ConsoleExtension, register_console_extension
        from tickets.signals import ticket_transitioned

        from .lifecycle import on_ticket_transitioned
        from .promotion import incident_panel_context

        register_console_extension(
            ConsoleExtension(
                name="major_incidents",
                detail_context=incident_panel_context,
                panel_template="admin/major_incidents/_incident_major_panel.html",
            )
        )
        # A major incident follows its incident's lifecycle; the review opens on resolution.
        ticket_transitioned.connect(on_ticket_transitioned, dispatch_uid="major-incident-lifecycle")
