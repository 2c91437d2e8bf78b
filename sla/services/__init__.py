"""Writes of the SLA engine (docs/architecture.md §3): clocks follow tickets; agreed targets are entered.

`machine` holds the clock arithmetic the live engine and the replay share.
"""

from .clocks import ticket_sla_agree_target, ticket_sla_sync

__all__ = ["ticket_sla_agree_target", "ticket_sla_sync"]
