"""What the kernel announces, so the apps above it react without the kernel importing them.

Sent inside the caller's transaction, in this order for a transition: `ticket_changed` (the
SLA engine brings the clocks up to date), then `ticket_transitioned` (communications tell
people), then the type's link rules run. For a new ticket: `ticket_created` (communications),
then `ticket_changed` (SLA), so an acknowledgement is on record before the clocks look for it.

Every receiver gets `ticket` (the saved ticket) and `ticket_type` (its registry entry); the
others' extra arguments are listed with each signal.
"""

from django.dispatch import Signal

# A ticket was raised: actor.
ticket_created = Signal()

# A ticket's recorded fields changed (created, transitioned, classified, triaged).
ticket_changed = Signal()

# A lifecycle transition ran: actor, action (lifecycle.Action), old_state, arguments.
ticket_transitioned = Signal()

# A comment was added through the kernel: actor, entry (JournalEntry), by_desk.
ticket_commented = Signal()

# Someone must be told about a ticket outside its lifecycle (an SLA at risk or breached):
# event ("sla_at_risk", "sla_breached"), context (dict of the event's words and values).
ticket_alert = Signal()
