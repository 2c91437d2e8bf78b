"""When the first message of a template was recorded for a ticket.

The SLA engine stops an acknowledgement clock when the acknowledgement is on record (§3.1);
the record is communications' outbox. Neither imports the other: communications registers
its lookup here when it starts, and the SLA engine asks through `first_messages`.
"""

from collections.abc import Callable, Iterable
from datetime import datetime

FirstMessages = Callable[..., dict[str, datetime]]

_lookup: FirstMessages | None = None


def register_message_log(lookup: FirstMessages) -> None:
    """Called once by the app that keeps the outbox (`comms`, in its AppConfig.ready)."""
    global _lookup
    _lookup = lookup


def first_messages(
    *, ticket_type, ticket_id: int, templates: Iterable[str], until: datetime | None = None
) -> dict[str, datetime]:
    """{template: when its first message for the ticket was recorded}; empty without an outbox."""
    if _lookup is None:
        return {}
    return _lookup(ticket_type=ticket_type, ticket_id=ticket_id, templates=templates, until=until)
