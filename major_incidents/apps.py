from django.apps import AppConfig


class MajorIncidentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "major_incidents"
    verbose_name = "Major incidents"

    def ready(self) -> None:
        """The incident page's major-incident panel (propose, the candidacy's state, the war
        room once promoted) through the kernel's console seam (`tickets.extensions`)."""
        from tickets.extensions import ConsoleExtension, register_console_extension

        from .promotion import incident_panel_context

        register_console_extension(
            ConsoleExtension(
                name="major_incidents",
                detail_context=incident_panel_context,
                panel_template="admin/major_incidents/_incident_major_panel.html",
            )
        )
