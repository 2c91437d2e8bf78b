from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "comms"
    verbose_name = "Communications"

    def ready(self) -> None:
        """Listen to the kernel's ticket events and answer the SLA engine's outbox lookup,
        so neither the kernel nor the SLA engine imports communications."""
        from tickets import signals
        from tickets.message_log import register_message_log

        from . import ticket_events
        from .services import first_messages

        signals.ticket_created.connect(ticket_events.on_ticket_created, dispatch_uid="comms")
        signals.ticket_transitioned.connect(
            ticket_events.on_ticket_transitioned, dispatch_uid="comms"
        )
        signals.ticket_commented.connect(ticket_events.on_ticket_commented, dispatch_uid="comms")
        signals.ticket_alert.connect(ticket_events.on_ticket_alert, dispatch_uid="comms")
        register_message_log(first_messages)
