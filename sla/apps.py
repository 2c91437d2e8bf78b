from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "Service levels"

    def ready(self) -> None:
        """Clocks follow every recorded change of every registered ticket type: the kernel
        announces it (`tickets.signals.ticket_changed`) and the sync runs in its transaction."""
        from tickets.signals import ticket_changed

        from .services.clocks import on_ticket_changed

        ticket_changed.connect(on_ticket_changed, dispatch_uid="sla")
