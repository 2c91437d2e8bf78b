"""Which case a reply is about, and whether its sender may reply to it (§10.2, §10.4).

The case comes from the subject's case number and from In-Reply-To/References looked up in
the outbox (`OutboundMessage.message_id`: a reply names the email we sent); In-Reply-To wins
over References, the newest Reference over older ones. Subject and headers naming different
tickets is refused as spoofed; INC, PRB and CHG numbers are internal and refused; no reference
at all is refused. The sender is the one From address, an active user who is the case's
caller or a non-staff participant who may see the case (`tickets.selectors.visible_tickets`).
Every refusal raises `Refused`, with the ticket when known so the record names it.
"""

import re

from django.contrib.contenttypes.models import ContentType

from accounts.models import User
from cases.models import Case
from tickets.selectors import visible_tickets

from ..models import OutboundMessage
from .errors import Refused
from .parsing import ParsedEmail

_SUBJECT_REFERENCE = re.compile(r"\b(CS|INC|PRB|CHG)(\d{7,})\b", re.IGNORECASE)


def _subject_case(subject: str) -> Case | None:
    references = {
        f"{prefix.upper()}{digits}" for prefix, digits in _SUBJECT_REFERENCE.findall(subject)
    }
    cases = sorted(number for number in references if number.startswith(Case.NUMBER_PREFIX))
    if len(cases) > 1:
        raise Refused(f"The subject names several cases ({', '.join(cases)}).")
    if not cases:
        if references:
            raise Refused(
                f"The subject names {', '.join(sorted(references))}, an internal reference: "
                "only case numbers (CS…) are taken by email."
            )
        return None
    case = Case.objects.filter(number=cases[0]).first()
    if case is None:
        raise Refused(f"The subject names {cases[0]}, which does not exist.")
    return case


def _header_ticket(parsed: ParsedEmail):
    """The ticket of the email this one replies to, found through our outbox."""
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
        if not isinstance(ticket, Case):
            raise Refused(
                f"The message replies to an email about {ticket.number}; only cases take "
                "replies by email."
            )
        return ticket
    return None


def _match_case(parsed: ParsedEmail) -> Case:
    by_subject = _subject_case(parsed.subject)
    by_headers = _header_ticket(parsed)
    if by_subject and by_headers and by_subject.pk != by_headers.pk:
        raise Refused(
            f"Spoofed reference: the subject names {by_subject.number} but the message replies "
            f"to an email about {by_headers.number}.",
            ticket=by_headers,
        )
    case = by_subject or by_headers
    if case is None:
        raise Refused(
            "No case reference: the subject has no case number and the message does not reply "
            "to one of our emails."
        )
    return case


def _sender(parsed: ParsedEmail) -> User:
    if not parsed.from_addresses:
        raise Refused("The message has no sender address.")
    if len(parsed.from_addresses) > 1:
        raise Refused("The message has several From addresses.")
    users = list(User.objects.filter(email__iexact=parsed.from_address, is_active=True)[:2])
    if len(users) != 1:
        raise Refused(f"Unknown sender: {parsed.from_address} is not an active portal user.")
    return users[0]


def sender_may_reply(*, sender, case: Case) -> bool:
    """The caller, or a participant who may see the case (§10.4); never staff by email."""
    if sender.pk == case.caller_id:
        return True
    if sender.is_staff:
        return False
    return visible_tickets(Case.objects.filter(pk=case.pk), user=sender).exists()
