"""The seam through which communications raise and close service requests, without knowing
which ticket app holds them (issue 8: `comms` imports only `tickets`, `accounts`, `core`).

Distribution-list membership requests (§5.21, `comms.lists`) are carried by a service request
the desk works like any other. Communications declare what they need — a `ServiceRequestDesk`
that raises one and later resolves it — and the ticket app that holds service requests
registers its implementation when it is ready (cases: `CasesConfig.ready` registers
`cases.follow_up.CaseServiceRequestDesk`). With none registered, requests cannot be raised.
"""

from typing import Protocol

from accounts.models import Organisation
from tickets.models import Category, Ticket


class ServiceRequestDesk(Protocol):
    """What `comms.lists` asks of the app holding service requests."""

    def raise_request(
        self,
        *,
        actor,
        organisation: Organisation,
        category: Category,
        short_description: str,
        description: str,
    ) -> Ticket:
        """Raise a service request for `actor` (a participant of `organisation`); returns the
        ticket, which the membership request keeps. Refusals raise a DomainError."""
        ...

    def resolve_request(self, *, ticket: Ticket, actor, notes: str) -> None:
        """Resolve the request with `notes` (the desk's decision), taking it through whatever
        its lifecycle needs first (triage, start). `actor` is the desk agent deciding."""
        ...


_desk: ServiceRequestDesk | None = None


def service_request_desk_register(desk: ServiceRequestDesk | None) -> None:
    """Called once by the ticket app that holds service requests (its AppConfig.ready);
    None unregisters (tests)."""
    global _desk
    _desk = desk


def service_request_desk() -> ServiceRequestDesk | None:
    """The registered desk, None when no ticket app has registered one."""
    return _desk
