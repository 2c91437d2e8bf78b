"""Who is told when the kernel announces a ticket event (`tickets.signals`).

A ticket type that declares `notifications` in its registry entry gets exactly those handlers
(an event it leaves out tells nobody); a type that declares none gets the portal's default
notifications (`comms.notifications.ticket_*`). Connected in `CommsConfig.ready`.
"""

from . import notifications


def _handler(ticket_type, event: str, default: str):
    if ticket_type.uses_default_notifications:
        return getattr(notifications, default)
    return ticket_type.notification(event)


def on_ticket_created(sender, *, ticket, ticket_type, actor=None, **kwargs) -> None:
    handler = _handler(ticket_type, "created", "ticket_raised")
    if handler is not None:
        handler(ticket)


def on_ticket_transitioned(sender, *, ticket, ticket_type, old_state, **kwargs) -> None:
    handler = _handler(ticket_type, "transitioned", "ticket_status_changed")
    if handler is not None:
        handler(ticket, old_state=old_state)


def on_ticket_commented(sender, *, ticket, ticket_type, actor, by_desk, **kwargs) -> None:
    handler = _handler(ticket_type, "commented", "ticket_comment_added")
    if handler is not None:
        handler(ticket, by_desk=by_desk, author=actor)


def on_ticket_alert(sender, *, ticket, event: str, context: dict, **kwargs) -> None:
    """Alerts outside the lifecycle (the SLA sweep's at risk / breached)."""
    senders = {"sla_at_risk": notifications.sla_at_risk, "sla_breached": notifications.sla_breached}
    senders[event](ticket, context["target"], context["deadline"])
