"""Which ticket a reply is about, and whether its sender may reply to it (§10.2, §10.4).

Any registered ticket type can be replied to by email if its registry entry says it takes
email replies (`TicketType.takes_email_replies`: every type whose participants may see it);
nothing here names a concrete type. The ticket comes from the subject's ticket number (any
registered type's number, `tickets.registry.number_pattern`) and from In-Reply-To/References
looked up in the outbox (`OutboundMessage.message_id`: a reply names the email we sent);
In-Reply-To wins over References, the newest Reference over older ones. Subject and headers
naming different tickets is refused as spoofed. Numbers of types that take no email replies
(staff-only types such as incidents, INC…) are internal references and refused, and so is a
reply to an email about such a ticket; no reference at all is refused. The sender is the one
From address, an active user who is the ticket's caller or a non-staff participant who may
see it (`tickets.selectors.visible_tickets` on the ticket's own model). Every refusal raises
`Refused`, with the ticket when known so the record names it.
"""

from django.contrib.contenttypes.models import ContentType

from accounts.models import User
from tickets.registry import (
    TicketType,
    UnknownTicketType,
    number_pattern,
    ticket_type_for,
    ticket_type_for_number,
    ticket_types,
)
from tickets.selectors import visible_tickets

from ..models import OutboundMessage
from .errors import Refused
from .parsing import ParsedEmail


def reply_types() -> list[TicketType]:
    """The registered ticket types that take replies by email, in registry order."""
    return [ticket_type for ticket_type in ticket_types() if ticket_type.takes_email_replies]


def takes_email_replies(ticket) -> bool:
    """Whether a ticket's type takes replies by email; False for a model no type owns."""
    try:
        return ticket_type_for(ticket).takes_email_replies
    except UnknownTicketType:
        return False


def _names(words: list[str]) -> str:
    """ "cases", "cases and widgets", "cases, widgets and gadgets"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _accepted_numbers() -> str:
    """ "only case numbers (CS…) are taken by email", naming every type that takes replies."""
    types = reply_types()
    if not types:
        return "no ticket numbers are taken by email"
    kinds = " or ".join(ticket_type.verbose_name for ticket_type in types)
    prefixes = ", ".join(f"{ticket_type.prefix}…" for ticket_type in types)
    return f"only {kinds} numbers ({prefixes}) are taken by email"


def _accepted_kinds() -> str:
    """ "cases": the plural names of the types that take replies by email."""
    plurals = [str(ticket_type.model._meta.verbose_name_plural) for ticket_type in reply_types()]
    return _names(plurals) or "no tickets"


def _subject_ticket(subject: str):
    """The ticket the subject names, None when it names none; refuses internal references,
    several tickets, and a number that does not exist."""
    references = {
        f"{prefix.upper()}{digits}" for prefix, digits in number_pattern().findall(subject)
    }
    accepted: dict[str, TicketType] = {}
    for number in references:
        ticket_type = ticket_type_for_number(number)
        if ticket_type is not None and ticket_type.takes_email_replies:
            accepted[number] = ticket_type
    numbers = sorted(accepted)
    if len(numbers) > 1:
        plurals = {str(accepted[n].model._meta.verbose_name_plural) for n in numbers}
        kinds = plurals.pop() if len(plurals) == 1 else "tickets"
        raise Refused(f"The subject names several {kinds} ({', '.join(numbers)}).")
    if not numbers:
        if references:
            raise Refused(
                f"The subject names {', '.join(sorted(references))}, an internal reference: "
                f"{_accepted_numbers()}."
            )
        return None
    number = numbers[0]
    ticket = accepted[number].model.objects.filter(number=number).first()
    if ticket is None:
        raise Refused(f"The subject names {number}, which does not exist.")
    return ticket


def _header_ticket(parsed: ParsedEmail):
    """The ticket of the email this one replies to, found through our outbox; refused when
    its type takes no replies by email."""
    candidates = [*parsed.in_reply_to, *reversed(parsed.references)]
    if not candidates:
        return None
    sent = {
        row["message_id"]: row
        for row in OutboundMessage.objects.filter(
            message_id__in=candidates, ticket_id__isnull=False
        ).values("message_id", "ticket_type_id", "ticket_id")
    }
    for message_id in candidates:
        row = sent.get(message_id)
        if row is None:
            continue
        model = ContentType.objects.get_for_id(row["ticket_type_id"]).model_class()
        ticket = model.objects.filter(pk=row["ticket_id"]).first() if model else None
        if ticket is None:
            continue
        if not takes_email_replies(ticket):
            raise Refused(
                f"The message replies to an email about {ticket.number}; only "
                f"{_accepted_kinds()} take replies by email."
            )
        return ticket
    return None


def match_ticket(parsed: ParsedEmail):
    """The ticket a message replies to, of a type that takes replies by email; else Refused."""
    by_subject = _subject_ticket(parsed.subject)
    by_headers = _header_ticket(parsed)
    if by_subject and by_headers and by_subject != by_headers:
        raise Refused(
            f"Spoofed reference: the subject names {by_subject.number} but the message replies "
            f"to an email about {by_headers.number}.",
            ticket=by_headers,
        )
    ticket = by_subject or by_headers
    if ticket is None:
        types = reply_types()
        kind = types[0].verbose_name if len(types) == 1 else "ticket"
        raise Refused(
            f"No {kind} reference: the subject has no {kind} number and the message does not "
            "reply to one of our emails."
        )
    return ticket


def message_sender(parsed: ParsedEmail) -> User:
    """The one active portal user the From address belongs to; else Refused."""
    if not parsed.from_addresses:
        raise Refused("The message has no sender address.")
    if len(parsed.from_addresses) > 1:
        raise Refused("The message has several From addresses.")
    users = list(User.objects.filter(email__iexact=parsed.from_address, is_active=True)[:2])
    if len(users) != 1:
        raise Refused(f"Unknown sender: {parsed.from_address} is not an active portal user.")
    return users[0]


def sender_may_reply(*, sender, ticket) -> bool:
    """The caller, or a participant who may see the ticket (§10.4); never staff by email."""
    if not takes_email_replies(ticket):
        return False
    if sender.pk == ticket.caller_id:
        return True
    if sender.is_staff:
        return False
    model = type(ticket)
    return visible_tickets(model.objects.filter(pk=ticket.pk), user=sender).exists()
