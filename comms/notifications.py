"""Who is told what, in one place (§3.1, §5.17, §10.2, §10.3, Appendix G).

Every email about a ticket carries its number, its status and a link to the portal — never
the description, comments or anything a user typed (§10.5.5). Work notes never leave the desk.
"""

from django.conf import settings
from django.urls import reverse

from .services import outbound_message_queue


def _ticket_context(ticket, *, link: str) -> dict:
    return {
        "number": ticket.number,
        "status": ticket.get_state_display(),
        "link": f"{settings.PORTAL_BASE_URL}{link}",
    }


def _case_link(case) -> str:
    return reverse("portal:case_detail", kwargs={"number": case.number})


def _console_link(ticket) -> str:
    meta = ticket._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[ticket.pk])


def _to_caller(case, template: str, **extra) -> None:
    if case.caller and case.caller.email:
        outbound_message_queue(
            template=template,
            to_email=case.caller.email,
            context={**_ticket_context(case, link=_case_link(case)), **extra},
            ticket=case,
        )


def case_raised(case) -> None:
    """Acknowledgement to the raiser (§3.1) and an alert to service management (§5.17)."""
    _to_caller(case, "case_acknowledged")
    outbound_message_queue(
        template="case_new_alert",
        to_email=settings.SERVICE_MANAGEMENT_EMAIL,
        context=_ticket_context(case, link=_console_link(case)),
        ticket=case,
    )


def case_status_changed(case, *, old_state: str) -> None:
    """The caller hears of every status change (§10.2); resolution invites confirmation (§10.3)."""
    State = type(case).State
    if case.state == old_state:
        return
    if case.state == State.RESOLVED:
        template = "case_rerouted" if case.triage_outcome == "rerouted" else "case_resolved"
        extra = {}
        if case.triage_outcome == "rerouted" and case.rerouted_to_id:
            desk = case.rerouted_to
            extra = {"desk_name": desk.name, "desk_contacts": desk.contact_lines()}
        _to_caller(case, template, **extra)
    elif case.state == State.CLOSED:
        _to_caller(case, "case_closed")
    elif case.state == State.ON_HOLD and case.hold_reason == type(case).HoldReason.AWAITING_CALLER:
        _to_caller(case, "case_information_requested")
    else:
        _to_caller(case, "case_status_changed", old_status=State(old_state).label)


def case_comment_added(case, *, by_desk: bool, author=None) -> None:
    """A desk comment tells the caller; a caller's comment tells whoever works the case."""
    if by_desk:
        _to_caller(case, "case_comment_added")
        return
    recipient = case.assigned_to.email if case.assigned_to_id else settings.SERVICE_MANAGEMENT_EMAIL
    outbound_message_queue(
        template="case_caller_replied",
        to_email=recipient,
        context=_ticket_context(case, link=_console_link(case)),
        ticket=case,
    )


def incident_assigned(incident) -> None:
    """The resolver group (its mailbox, else its members) hears of a new assignment (§5.17)."""
    group = incident.assignment_group
    if group is None:
        return
    context = _ticket_context(incident, link=_console_link(incident))
    context["group"] = group.name
    recipients = [group.email] if group.email else [m.email for m in group.members.all() if m.email]
    for email in recipients:
        outbound_message_queue(
            template="incident_assigned", to_email=email, context=context, ticket=incident
        )
