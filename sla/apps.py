from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "Service levels"

    def ready(self) -> None:
        """Plug the SLA engine into the kernel without the kernel importing it.

        - Clocks follow every recorded change of every registered ticket type: the kernel
          announces it (`tickets.signals.ticket_changed`) and the sync runs in its transaction.
        - Every ticket list in the console gets the "Time to breach" column (looked up for the
          page's rows; sorted through an annotation only when asked), every ticket page its clocks
          (`tickets.extensions.ConsoleExtension`).
        - Every ticket type with an API slug gets `GET /api/v1/{slug}/{number}/slas/`
          (`sla.api.routes`, through `tickets.extensions.register_api_routes`).
        """
        from tickets.extensions import (
            ConsoleExtension,
            register_api_routes,
            register_console_extension,
        )
        from tickets.signals import ticket_changed

        from .admin import time_to_breach_column
        from .api import routes
        from .selectors import sla_summaries_for, sla_timeline_for, with_sla_deadline
        from .services.clocks import on_ticket_changed

        ticket_changed.connect(on_ticket_changed, dispatch_uid="sla")
        register_console_extension(
            ConsoleExtension(
                name="sla",
                annotate_rows=sla_summaries_for,
                sort_annotate=with_sla_deadline,
                detail_context=lambda ticket: {"sla_clocks": sla_timeline_for(ticket)},
                columns=(("time_to_breach", time_to_breach_column),),
                panel_template="sla/_sla_panel.html",
            )
        )
        register_api_routes("sla", routes)
