from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    name = "problems"
    verbose_name = "Problems"

    def ready(self) -> None:
        """An incident's console page lists the problems raised from it and offers to raise
        one (§5.5 steps 16–18), through the kernel's console seam: incidents, below this app,
        never import it."""
        from tickets.extensions import ConsoleExtension, register_console_extension

        from .selectors import incident_problems_context

        register_console_extension(
            ConsoleExtension(name="problems", detail_context=incident_problems_context)
        )
