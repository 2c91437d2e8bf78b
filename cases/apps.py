from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        """Service requests are cases: communications raise and resolve the ones carrying
        distribution-list membership requests through this desk (§5.21), without importing
        cases."""
        from comms.service_requests import service_request_desk_register

        from .follow_up import CaseServiceRequestDesk

        service_request_desk_register(CaseServiceRequestDesk())
        # The self-help deflection report (§11.2.2) registers itself in the console.
        from . import admin_knowledge  # noqa: F401
