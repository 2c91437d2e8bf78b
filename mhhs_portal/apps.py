from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """The Django admin, re-titled and guarded, is the service desk's agent console."""

    default_site = "mhhs_portal.admin_site.ConsoleAdminSite"

    def ready(self) -> None:
        """After every app's admin module is loaded (autodiscover), a ticket type whose app
        registers no admin gets the kernel's generic ticket admin."""
        super().ready()
        from django.contrib import admin

        from tickets.admin import register_generic_ticket_admins

        register_generic_ticket_admins(admin.site)
