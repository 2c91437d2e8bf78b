"""Reopening by comment (§10.3): a comment on a Resolved case reopens it with the resolution
clock carried on; a comment on a Closed case is a request the desk answers by reopening the case
or raising a new case linked to it, and the participant is told which."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from cases.models import Case, ReopenRequest
from cases.reopening import (
    reopen_request_latest_for,
    reopen_request_queue_for,
    reopen_request_raise_case,
    reopen_request_reopen,
)
from cases.services import case_classify, case_comment_add, case_transition
from comms.models import Notification, OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from sla.calendar import LONDON
from sla.models import TicketSLA
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry, TicketLink
from tickets.priority import Impact, Urgency
from tickets.selectors import journal_for

pytestmark = pytest.mark.django_db


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def resolved(case, agent):
    case = case_transition(case=case, actor=agent, name="start")
    return case_transition(case=case, actor=agent, name="resolve", notes="Certificate renewed.")


def closed(case, agent):
    return case_transition(case=resolved(case, agent), actor=agent, name="close")


def templates_to(address: str) -> list[str]:
    return list(
        OutboundMessage.objects.filter(to_email=address)
        .order_by("id")
        .values_list("template", flat=True)
    )


def resolution_clock(case) -> TicketSLA:
    return TicketSLA.objects.get(
        ticket_type=ContentType.objects.get_for_model(case),
        ticket_id=case.pk,
        definition__name="Case P3 resolution",
    )


def customer_entries(case) -> list[str]:
    return [e.body for e in journal_for(case, include_work_notes=False)]


# --- a comment on a Resolved case -----------------------------------------------------------


def test_comment_on_a_resolved_case_reopens_it_and_carries_the_clock_on(org_user, agent):
    """§10.3 "reopening the case if further work is needed": In Progress, reopen count + 1,
    and the resolution clock carries on from where it stopped (the resolved days excluded)."""
    with time_machine.travel(london(2026, 12, 3, 10, 0), tick=False) as travel:
        case = CaseFactory(caller=org_user)
        case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.HIGH)
        case = case_transition(case=case, actor=agent, name="start")
        travel.move_to(london(2026, 12, 4, 10, 0))
        case = case_transition(case=case, actor=agent, name="resolve", notes="Fixed.")
        travel.move_to(london(2026, 12, 8, 10, 0))
        entry = case_comment_add(case=case, actor=org_user, body="It failed again at 09:40.")

    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.reopen_count == 1
    assert entry.kind == JournalEntry.Kind.COMMENT and entry.body == "It failed again at 09:40."
    clock = resolution_clock(case)
    assert clock.stopped_at is None and clock.elapsed == timedelta(hours=9)
    assert clock.deadline == london(2026, 12, 14, 10, 0)
    # Whoever works the case hears of it: the desk mailbox while it is unassigned.
    assert "case_resolution_rejected" in templates_to("servicedesk@mhhs.example")


def test_comment_by_email_on_a_resolved_case_leaves_the_words_to_decide(org_user, agent):
    """§10.3 "confirm ... by responding to the notification email": a reply by email is read
    for rejection or confirmation (comms.inbound.decision); a plain one does not reopen."""
    from cases.services import case_participant_comment

    case = resolved(CaseFactory(caller=org_user), agent)
    case_participant_comment(case, actor=org_user, body="Thanks, all good now.")
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED


def test_desk_comment_on_a_resolved_case_does_not_reopen_it(org_user, agent):
    """Only the participant side reopens by comment; the desk's words go to the caller."""
    case = resolved(CaseFactory(caller=org_user), agent)
    case_comment_add(case=case, actor=agent, body="Let us know if it happens again.")
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED


def test_an_empty_comment_does_not_reopen(org_user, agent):
    case = resolved(CaseFactory(caller=org_user), agent)
    with pytest.raises(ValidationFailed):
        case_comment_add(case=case, actor=org_user, body="   ")
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED


# --- a comment on a Closed case: the request ------------------------------------------------


def test_comment_on_a_closed_case_is_a_request_to_reopen_it(
    org_user, agent, django_capture_on_commit_callbacks
):
    """§10.3 "they can request that the ticket be reopened ... by commenting on the closed
    ticket": kept as a comment, queued for the desk, and the desk mailbox told; the case stays
    Closed."""
    case = closed(CaseFactory(caller=org_user), agent)
    with django_capture_on_commit_callbacks(execute=True):
        entry = case_comment_add(case=case, actor=org_user, body="The error is back since 07:00.")
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED
    request = ReopenRequest.objects.get()
    assert (request.case, request.requester, request.body, request.status) == (
        case,
        org_user,
        "The error is back since 07:00.",
        ReopenRequest.Status.PENDING,
    )
    assert entry.body == "The error is back since 07:00."
    assert any("Request to reopen this case sent" in body for body in customer_entries(case))
    assert templates_to("servicedesk@mhhs.example")[-1] == "case_reopen_requested"
    assert list(reopen_request_queue_for(agent)) == [request]
    assert reopen_request_latest_for(case) == request


def test_request_goes_to_the_assignee_when_the_case_has_one(org_user, agent):
    """Appendix G: the caller's words go to whoever works the case."""
    from cases.assessment import case_assign

    case = CaseFactory(caller=org_user)
    case = case_assign(case=case, actor=agent, assigned_to=agent)
    case = closed(case, agent)
    case_comment_add(case=case, actor=org_user, body="Back again.")
    assert Notification.objects.filter(user=agent, event="case_reopen_requested").exists()
    assert "case_reopen_requested" not in templates_to("servicedesk@mhhs.example")


def test_a_second_comment_joins_the_waiting_request(org_user, parent_user, agent):
    """One request waits per case; later words (a colleague's too) join its history."""
    case = closed(CaseFactory(caller=org_user), agent)
    case_comment_add(case=case, actor=org_user, body="It is back.")
    case_comment_add(case=case, actor=parent_user, body="Seen here as well.")
    assert ReopenRequest.objects.count() == 1
    assert [e.body for e in journal_for(case, include_work_notes=False).filter(kind="comment")] == [
        "It is back.",
        "Seen here as well.",
    ]


def test_the_desk_cannot_comment_on_a_closed_case(org_user, agent):
    case = closed(CaseFactory(caller=org_user), agent)
    with pytest.raises(TransitionNotAllowed):
        case_comment_add(case=case, actor=agent, body="Noted.")
    assert not ReopenRequest.objects.exists()


def test_a_participant_without_an_organisation_cannot_ask(org_user, agent):
    case = closed(CaseFactory(caller=org_user), agent)
    org_user.organisation = None
    org_user.save(update_fields=["organisation"])
    with pytest.raises(ActionNotPermitted, match="not yet attached"):
        case_comment_add(case=case, actor=org_user, body="Back again.")
    assert not ReopenRequest.objects.exists()


# --- the desk's answer ----------------------------------------------------------------------


def test_desk_reopens_the_case_and_the_caller_is_told(
    org_user, agent, django_capture_on_commit_callbacks, mailoutbox
):
    """§10.3: the desk reopens it: In Progress, reopen count + 1, the resolution clock carried
    on; the caller reads it in the case's history and by email."""
    with time_machine.travel(london(2026, 12, 3, 10, 0), tick=False) as travel:
        case = CaseFactory(caller=org_user)
        case_classify(case=case, actor=agent, impact=Impact.LOW, urgency=Urgency.HIGH)
        case = case_transition(case=case, actor=agent, name="start")
        travel.move_to(london(2026, 12, 4, 10, 0))
        case = resolved_closed = case_transition(
            case=case, actor=agent, name="resolve", notes="Fixed."
        )
        case = case_transition(case=resolved_closed, actor=org_user, name="close")
        travel.move_to(london(2026, 12, 8, 10, 0))
        case_comment_add(case=case, actor=org_user, body="Back again.")
        with django_capture_on_commit_callbacks(execute=True):
            reopened = reopen_request_reopen(request=ReopenRequest.objects.get(), actor=agent)

    assert reopened.state == Case.State.IN_PROGRESS and reopened.reopen_count == 1
    assert reopened.closed_at is None and reopened.active
    request = ReopenRequest.objects.get()
    assert request.status == ReopenRequest.Status.REOPENED
    assert request.decided_by == agent and request.decided_at is not None
    assert request.resulting_case is None
    assert "The service desk reopened this case at your request." in customer_entries(reopened)
    clock = resolution_clock(reopened)
    assert clock.stopped_at is None and clock.elapsed == timedelta(hours=9)
    assert clock.deadline == london(2026, 12, 14, 10, 0)
    assert templates_to(org_user.email)[-1] == "case_reopened"
    assert any("has been reopened" in m.subject for m in mailoutbox if m.to == [org_user.email])


def test_a_colleague_who_asked_is_told_of_the_reopening_too(org_user, parent_user, agent):
    case = closed(CaseFactory(caller=org_user), agent)
    case_comment_add(case=case, actor=parent_user, body="Back again.")
    reopen_request_reopen(request=ReopenRequest.objects.get(), actor=agent)
    assert templates_to(parent_user.email) == ["case_reopened"]
    assert templates_to(org_user.email)[-1] == "case_reopened"


def test_desk_raises_a_new_linked_case_and_the_requester_is_told(
    org_user, agent, django_capture_on_commit_callbacks
):
    """§10.3 "a new ticket can be created referencing the original issue": raised for the
    requester with their words, linked from the closed case, which stays Closed."""
    old = closed(CaseFactory(caller=org_user, short_description="DIP messages rejected"), agent)
    case_comment_add(case=old, actor=org_user, body="A different error now: E456.")
    with django_capture_on_commit_callbacks(execute=True):
        new = reopen_request_raise_case(request=ReopenRequest.objects.get(), actor=agent)

    old.refresh_from_db()
    assert old.state == Case.State.CLOSED
    assert new.state == Case.State.NEW and new.caller == org_user
    assert new.short_description == f"Follow-up to {old.number}: DIP messages rejected"
    assert new.description == "A different error now: E456."
    assert new.channel == Case.Channel.PORTAL and new.organisation == old.organisation
    link = TicketLink.objects.get(kind=TicketLink.Kind.FOLLOW_UP)
    assert (link.from_id, link.to_id) == (old.pk, new.pk)
    request = ReopenRequest.objects.get()
    assert request.status == ReopenRequest.Status.NEW_CASE_RAISED
    assert request.resulting_case == new and request.decided_by == agent
    assert any(new.number in body for body in customer_entries(old))
    assert any(old.number in body for body in customer_entries(new))
    sent = OutboundMessage.objects.filter(to_email=org_user.email, template="case_reopen_new_case")
    (message,) = sent
    assert message.ticket_id == new.pk and new.number in message.subject
    assert Notification.objects.filter(
        user=org_user, event="case_reopen_new_case", ticket_ref=new.number
    ).exists()


def test_a_request_is_answered_once(org_user, agent):
    case = closed(CaseFactory(caller=org_user), agent)
    case_comment_add(case=case, actor=org_user, body="Back again.")
    request = ReopenRequest.objects.get()
    reopen_request_reopen(request=request, actor=agent)
    with pytest.raises(TransitionNotAllowed, match="already been answered"):
        reopen_request_raise_case(request=request, actor=agent)
    assert Case.objects.count() == 1


def test_only_the_desk_answers_requests(org_user, agent, resolver):
    case = closed(CaseFactory(caller=org_user), agent)
    case_comment_add(case=case, actor=org_user, body="Back again.")
    request = ReopenRequest.objects.get()
    for actor in (org_user, resolver):
        with pytest.raises(ActionNotPermitted):
            reopen_request_reopen(request=request, actor=actor)
        with pytest.raises(ActionNotPermitted):
            reopen_request_raise_case(request=request, actor=actor)
    assert ReopenRequest.objects.get().status == ReopenRequest.Status.PENDING


def test_a_closed_case_does_not_reopen_without_a_request(org_user, agent):
    """The lifecycle's "reopen" answers a request; it is no free-standing action."""
    case = closed(CaseFactory(caller=org_user), agent)
    with pytest.raises(TransitionNotAllowed, match="no request to reopen"):
        case_transition(case=case, actor=agent, name="reopen")
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED


def test_a_new_case_for_a_requester_who_left_is_refused_in_words(org_user, parent_user, agent):
    """The new case is raised for the requester; one who can no longer raise cases for the
    organisation is refused, and the request waits for another answer."""
    case = closed(CaseFactory(caller=org_user), agent)
    case_comment_add(case=case, actor=parent_user, body="Back again.")
    parent_user.organisation = None
    parent_user.save(update_fields=["organisation"])
    with pytest.raises(ValidationFailed, match="Reopen the case instead"):
        reopen_request_raise_case(request=ReopenRequest.objects.get(), actor=agent)
    assert ReopenRequest.objects.get().status == ReopenRequest.Status.PENDING
    assert Case.objects.count() == 1
