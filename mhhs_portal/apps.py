from django.contrib.admin.apps import AdminConfig


class ConsoleAdminConfig(AdminConfig):
    """The Django admin, re-titled and guarded, is the service desk's agent console."""

    default_site = "mhhs_portal.admin_site.ConsoleAdminSite"
