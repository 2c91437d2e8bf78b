from django.apps import AppConfig


class ChangesConfig(AppConfig):
    name = "changes"
    verbose_name = "Changes"

    def ready(self) -> None:
        """Incident and problem pages list the changes that fix them and offer to raise one
        (§5.5 steps 11–13, §6.4), through the kernel's console seam: those apps, below this
        one, never import it."""
        from tickets.extensions import ConsoleExtension, register_console_extension

        from .selectors import linked_changes_context

        register_console_extension(
            ConsoleExtension(name="changes", detail_context=linked_changes_context)
        )
        # The CAB's console registration lives beside the CAB code, not in admin.py (§8.9).
        from . import cab_admin  # noqa: F401
