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
        self._answer_registrations()
        self._keep_the_bell_count_current()

    @staticmethod
    def _answer_registrations() -> None:
        """Tell the person when their registration is approved or refused (§10.1); accounts
        announces it inside the deciding transaction, so the rows commit with the decision."""
        from accounts import signals as account_signals

        from . import notifications

        def approved(sender, registration, **kwargs):
            notifications.registration_approved(registration)

        def refused(sender, registration, **kwargs):
            notifications.registration_refused(registration)

        account_signals.registration_approved.connect(
            approved, weak=False, dispatch_uid="comms-registration-approved"
        )
        account_signals.registration_refused.connect(
            refused, weak=False, dispatch_uid="comms-registration-refused"
        )

    @staticmethod
    def _keep_the_bell_count_current() -> None:
        """A notification saved or deleted by any path drops its user's kept unread count
        (`centre.notification_unread_count_for`); the services' bulk updates drop it
        themselves."""
        from django.db.models.signals import post_delete, post_save

        from .centre import notification_unread_changed
        from .models import Notification

        def changed(sender, instance, **kwargs):
            notification_unread_changed(instance.user_id)

        for signal in (post_save, post_delete):
            signal.connect(changed, sender=Notification, weak=False, dispatch_uid=f"bell-{signal}")
