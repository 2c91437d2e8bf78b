"""Reply by email works through the ticket-type registry (issue 8): communications name no
ticket type. Matching takes any registered type's number (`number_pattern`) and refuses the
numbers and emails of types that take no replies; effects use the type's `comment` and
`follow_up` services, else the kernel's, and refuse what the type cannot do.

These run on the real types: cases (participants may see them; a comment service and a
follow-up) and incidents (staff-only; neither). A test-only type reuses the same functions.
"""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from cases.models import Case
from cases.services import case_raise_incident, case_transition
from comms.inbound import (
    ParsedEmail,
    Refused,
    inbound_email_process,
    match_ticket,
    reply_types,
    sender_may_reply,
)
from comms.inbound.effects import apply_reply
from comms.models import InboundEmail, OutboundMessage
from incidents.models import Incident
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry, TicketLink
from tickets.registry import number_pattern, ticket_type_for
from tickets.selectors import journal_for
from tickets.services import ticket_act

# The wording of refusals names the registered types: as the portal has them (cases only).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portal_ticket_types")]


def parsed(
    *, subject: str = "", in_reply_to: tuple[str, ...] = (), sender: str = ""
) -> ParsedEmail:
    return ParsedEmail(
        message_id="<test@example.com>",
        in_reply_to=list(in_reply_to),
        references=[],
        from_addresses=[sender] if sender else [],
        subject=subject,
        body="",
        attachments=[],
        raw_size=100,
    )


@pytest.fixture
def incident(org_user, agent, resolver_group):
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    return case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=3, urgency=3
    )


# --- matching ------------------------------------------------------------------------------


def test_cases_take_replies_and_incidents_do_not():
    """The registry says which types take replies: every type participants may see."""
    assert [t.model for t in reply_types()] == [Case]
    assert not ticket_type_for(Incident).takes_email_replies


def test_the_subject_reference_is_any_registered_number(org_user, incident):
    """`number_pattern` finds both prefixes; the case is matched (in any letter case)."""
    case = CaseFactory(caller=org_user)
    found = {
        prefix.upper() for prefix, _ in number_pattern().findall(f"{case.number} {incident.number}")
    }
    assert found == {"CS", "INC"}
    assert match_ticket(parsed(subject=f"Re: [{case.number}] Status")) == case
    assert match_ticket(parsed(subject=f"Re: {case.number.lower()} status")) == case


def test_an_incident_number_is_refused_as_internal_naming_the_accepted_prefixes(incident):
    with pytest.raises(Refused) as refused:
        match_ticket(parsed(subject=f"Re: [{incident.number}] any news?"))
    reason = refused.value.reason
    assert incident.number in reason and "internal reference" in reason
    assert "only case numbers (CS…) are taken by email" in reason


def test_a_case_number_beside_an_incident_number_is_the_reference(org_user, incident):
    case = CaseFactory(caller=org_user)
    assert match_ticket(parsed(subject=f"{case.number} (was {incident.number})")) == case


def test_several_case_numbers_are_refused(org_user):
    one, two = CaseFactory(caller=org_user), CaseFactory(caller=org_user)
    with pytest.raises(Refused, match="several cases"):
        match_ticket(parsed(subject=f"{one.number} and {two.number}"))


def test_a_reply_to_an_email_about_an_incident_is_refused(incident):
    sent = OutboundMessage.objects.filter(ticket_id=incident.pk).exclude(message_id="").first()
    with pytest.raises(Refused, match="only cases take replies by email"):
        match_ticket(parsed(subject="Re: no number", in_reply_to=(sent.message_id,)))


def test_no_reference_names_what_is_taken():
    with pytest.raises(Refused, match="No case reference"):
        match_ticket(parsed(subject="A question"))


def test_nobody_may_reply_to_a_staff_only_ticket_even_its_caller(org_user, incident):
    """An incident's caller is the case's caller; still no reply by email reaches it."""
    assert incident.caller == org_user
    assert not sender_may_reply(sender=org_user, ticket=incident)
    assert sender_may_reply(sender=org_user, ticket=CaseFactory(caller=org_user))


def test_visibility_is_checked_on_the_tickets_own_model(org_user, other_org_user):
    case = CaseFactory(caller=org_user)
    assert not sender_may_reply(sender=other_org_user, ticket=case)


# --- effects -------------------------------------------------------------------------------


def test_a_type_without_a_comment_service_comments_through_the_kernel(org_user, incident):
    """Incidents declare no `comment`: the kernel's `ticket_comment_add` writes it."""
    assert ticket_type_for(incident).comment is None
    effect = apply_reply(
        ticket=incident, sender=org_user, text="More detail", parsed=parsed(subject="x")
    )
    assert effect.status == InboundEmail.Status.ATTACHED
    assert effect.reason == f"Comment added to {incident.number}"
    assert effect.journal_entry.kind == JournalEntry.Kind.COMMENT
    assert effect.journal_entry.body == "More detail"


def test_a_closed_ticket_whose_type_has_no_follow_up_refuses_the_reply(org_user, agent, incident):
    """Incidents declare no `follow_up`: a reply after they are finished is refused, with the
    reason, and nothing is written."""
    cancelled = ticket_act(ticket=incident, name="cancel", actor=agent, reason="duplicate")
    entries = journal_for(cancelled, include_work_notes=True).count()
    with pytest.raises(Refused) as refused:
        apply_reply(ticket=cancelled, sender=org_user, text="Again", parsed=parsed(subject="x"))
    reason = refused.value.reason
    assert reason == (
        f"{incident.number} is cancelled: it takes no more replies, and a reply by email opens "
        "no follow-up for incidents; raise a new one in the portal."
    )
    assert refused.value.ticket == cancelled
    assert journal_for(cancelled, include_work_notes=True).count() == entries
    assert not TicketLink.objects.filter(kind=TicketLink.Kind.FOLLOW_UP).exists()


def test_the_case_follow_up_is_recorded_with_its_type(org_user, agent):
    """The follow-up is any type's ticket: the record keeps its content type (a case here)."""
    old = CaseFactory(caller=org_user, short_description="DIP messages rejected")
    old = case_transition(case=old, actor=agent, name="cancel", reason="duplicate")
    raw = (
        f"From: {org_user.email}\nTo: desk@mhhs.example\nMessage-ID: <fu@example.com>\n"
        f"Subject: Re: [{old.number}] Status\n\nIt was not a duplicate.\n"
    ).encode()
    outcome = inbound_email_process(raw=raw)
    assert outcome.status == InboundEmail.Status.NEW_CASE
    assert outcome.reason == (
        f"{old.number} is cancelled: opened follow-up case {outcome.created_case_number}"
    )
    record = InboundEmail.objects.get()
    assert record.created_ticket_type == ContentType.objects.get_for_model(Case)
    assert record.created_ticket == Case.objects.get(number=outcome.created_case_number)


def test_the_migration_marks_earlier_follow_ups_as_cases(org_user):
    """Before issue 8 only cases opened follow-ups: existing rows get the case type."""
    migration = importlib.import_module("comms.migrations.0007_inbound_email_created_ticket_type")
    case = CaseFactory(caller=org_user)
    row = InboundEmail.objects.create(
        message_id="<old@example.com>", status=InboundEmail.Status.NEW_CASE, created_case_id=case.pk
    )
    other = InboundEmail.objects.create(message_id="<plain@example.com>", status="attached")
    migration.existing_follow_ups_are_cases(django_apps, SimpleNamespace(connection=connection))
    row.refresh_from_db()
    other.refresh_from_db()
    assert row.created_ticket == case and other.created_ticket_type is None
