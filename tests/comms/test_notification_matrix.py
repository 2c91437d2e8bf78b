"""The notification matrix (§3.1, §5.17, §10.2, §10.3, Appendix G): each event produces exactly
the expected emails and portal notifications, and no others.

Each row builds its state through services, marks the outbox and the notification centre,
runs one event with after-commit callbacks executed, and compares what was written. Events
whose service hook does not exist yet (reassignment, person assignment, SLA and triage
sweeps, the auto-close reminder) call the notification function the hook will call.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles
from accounts.models import ServiceDesk
from cases.assessment import case_assign
from cases.models import Case, ProposedUpdate, ReopenRequest
from cases.proposed_updates import case_update_send
from cases.reopening import reopen_request_raise_case, reopen_request_reopen
from cases.services import (
    case_comment_add,
    case_confirm_resolution,
    case_raise_incident,
    case_reject_resolution,
    case_reroute,
    case_transition,
)
from comms import notifications
from comms.models import Notification, OutboundMessage
from incidents.services import incident_assign, incident_transition
from tests.factories.accounts import ResolverGroupFactory, UserFactory
from tests.factories.cases import CaseFactory

SM = "sm"  # the service management mailbox, settings.SERVICE_MANAGEMENT_EMAIL
DESK = "desk"  # the service desk's mailbox, settings.SERVICE_DESK_EMAIL


@dataclass
class World:
    caller: object
    agent: object
    resolver: object
    mailbox_group: object  # has a shared mailbox; `resolver` is its member
    member_group: object  # no mailbox: its members are emailed
    member_a: object
    member_b: object
    sm_email: str
    desk_email: str
    objects: dict = field(default_factory=dict)

    def address(self, who: str) -> str:
        if who == SM:
            return self.sm_email
        if who == DESK:
            return self.desk_email
        if who == "mailbox":
            return self.mailbox_group.email
        return getattr(self, who).email


@pytest.fixture
def world(org_user, agent, resolver, resolver_group, settings):
    member_a = UserFactory(email="mia.member@mhhs.example", is_staff=True, roles=[roles.RESOLVER])
    member_b = UserFactory(email="max.member@mhhs.example", is_staff=True, roles=[roles.RESOLVER])
    member_group = ResolverGroupFactory(
        name="Market Systems Resolvers", email="", members=[member_a, member_b]
    )
    return World(
        caller=org_user,
        agent=agent,
        resolver=resolver,
        mailbox_group=resolver_group,
        member_group=member_group,
        member_a=member_a,
        member_b=member_b,
        sm_email=settings.SERVICE_MANAGEMENT_EMAIL,
        desk_email=settings.SERVICE_DESK_EMAIL,
    )


# --- building blocks: each returns the case or incident the event acts on --------------------


def new_case(w):
    return CaseFactory(caller=w.caller)


def started(w):
    return case_transition(case=new_case(w), actor=w.agent, name="start")


def assigned_to_agent(w):
    # The agent takes the case: nobody is told of their own choice.
    return case_assign(case=started(w), actor=w.agent, assigned_to=w.agent)


def awaiting_caller(w):
    return case_transition(
        case=started(w), actor=w.agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER
    )


def resolved(w):
    return case_transition(case=started(w), actor=w.agent, name="resolve", notes="Fixed")


def incident_for(w, group):
    return case_raise_incident(
        case=new_case(w), actor=w.agent, assignment_group=group, impact=3, urgency=3
    )


def incident_with_assignee(w):
    incident = incident_for(w, w.mailbox_group)
    return incident_assign(
        incident=incident, actor=w.agent, assignment_group=w.mailbox_group, assigned_to=w.resolver
    )


def incident_started(w):
    return incident_transition(
        incident=incident_for(w, w.mailbox_group), actor=w.resolver, name="start"
    )


def incident_resolution_proposed(w):
    incident = incident_transition(
        incident=incident_started(w),
        actor=w.resolver,
        name="resolve",
        notes="Queue restarted",
        code="solved",
    )
    return ProposedUpdate.objects.get(incident=incident)


def moved_to_member_group(w):
    incident = incident_for(w, w.mailbox_group)
    return incident_assign(incident=incident, actor=w.agent, assignment_group=w.member_group)


def closed(w):
    return case_confirm_resolution(case=resolved(w), actor=w.caller)


def reopen_requested(w):
    case = closed(w)
    case_comment_add(case=case, actor=w.caller, body="It is back")
    return ReopenRequest.objects.get(case=case)


def desk_lead(w):
    return UserFactory(
        email="dee.lead@mhhs.example", is_staff=True, roles=[roles.SERVICE_DESK_AGENT]
    )


DEADLINE = timezone.now() + timedelta(hours=1)


@dataclass(frozen=True)
class Row:
    event: str
    setup: object
    act: object
    emails: list  # (template, who)
    notified: list = ()  # (event, who)


ROWS = [
    Row(
        "caller comments on a resolved case, which reopens",
        resolved,
        lambda w, c: case_comment_add(case=c, actor=w.caller, body="Still failing"),
        [("case_status_changed", "caller"), ("case_resolution_rejected", DESK)],
        [("case_status_changed", "caller")],
    ),
    Row(
        "caller asks to reopen a closed case",
        closed,
        lambda w, c: case_comment_add(case=c, actor=w.caller, body="It is back"),
        [("case_reopen_requested", DESK)],
    ),
    Row(
        "desk reopens a closed case at the caller's request",
        reopen_requested,
        lambda w, r: reopen_request_reopen(request=r, actor=w.agent),
        [("case_reopened", "caller")],
        [("case_reopened", "caller")],
    ),
    Row(
        "desk answers a request to reopen with a new linked case",
        reopen_requested,
        lambda w, r: reopen_request_raise_case(request=r, actor=w.agent),
        [
            ("case_acknowledged", "caller"),
            ("case_new_alert", SM),
            ("case_reopen_new_case", "caller"),
        ],
        [("case_acknowledged", "caller"), ("case_reopen_new_case", "caller")],
    ),
    Row(
        "case assigned to an agent by a colleague",
        started,
        lambda w, c: case_assign(case=c, actor=desk_lead(w), assigned_to=w.agent),
        [("ticket_assigned_to_person", "agent")],
        [("ticket_assigned_to_person", "agent")],
    ),
    Row(
        "case raised",
        lambda w: None,
        lambda w, _: CaseFactory(caller=w.caller),
        [("case_acknowledged", "caller"), ("case_new_alert", SM)],
        [("case_acknowledged", "caller")],
    ),
    Row(
        "work started",
        new_case,
        lambda w, c: case_transition(case=c, actor=w.agent, name="start"),
        [("case_status_changed", "caller")],
        [("case_status_changed", "caller")],
    ),
    Row(
        "on hold awaiting caller asks for information",
        started,
        lambda w, c: case_transition(
            case=c, actor=w.agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER
        ),
        [("case_information_requested", "caller")],
        [("case_information_requested", "caller")],
    ),
    Row(
        "on hold for a vendor is a status change",
        started,
        lambda w, c: case_transition(
            case=c, actor=w.agent, name="hold", reason=Case.HoldReason.AWAITING_VENDOR
        ),
        [("case_status_changed", "caller")],
        [("case_status_changed", "caller")],
    ),
    Row(
        "desk comment",
        started,
        lambda w, c: case_comment_add(case=c, actor=w.agent, body="We are on it"),
        [("case_comment_added", "caller")],
        [("case_comment_added", "caller")],
    ),
    Row(
        "work note never leaves the desk",
        started,
        lambda w, c: case_comment_add(case=c, actor=w.agent, body="vendor ref 88", work_note=True),
        [],
    ),
    Row(
        "caller replies on an unassigned case",
        started,
        lambda w, c: case_comment_add(case=c, actor=w.caller, body="More detail"),
        [("case_caller_replied", DESK)],
    ),
    Row(
        "caller replies on an assigned case",
        assigned_to_agent,
        lambda w, c: case_comment_add(case=c, actor=w.caller, body="More detail"),
        [("case_caller_replied", "agent")],
        [("case_caller_replied", "agent")],
    ),
    Row(
        "caller reply resumes an awaiting-caller hold",
        awaiting_caller,
        lambda w, c: case_comment_add(case=c, actor=w.caller, body="Here are the logs"),
        [("case_caller_replied", DESK), ("case_status_changed", "caller")],
        [("case_status_changed", "caller")],
    ),
    Row(
        "resolution invites confirmation",
        started,
        lambda w, c: case_transition(case=c, actor=w.agent, name="resolve", notes="Fixed"),
        [("case_resolved", "caller")],
        [("case_resolved", "caller")],
    ),
    Row(
        "re-routing advice",
        new_case,
        lambda w, c: case_reroute(case=c, actor=w.agent, desk=ServiceDesk.objects.first()),
        [("case_rerouted", "caller")],
        [("case_rerouted", "caller")],
    ),
    Row(
        "caller rejects the resolution",
        resolved,
        lambda w, c: case_reject_resolution(case=c, actor=w.caller, reason="Still failing"),
        [("case_status_changed", "caller"), ("case_resolution_rejected", DESK)],
        [("case_status_changed", "caller")],
    ),
    Row(
        "caller confirms and the case closes",
        resolved,
        lambda w, c: case_confirm_resolution(case=c, actor=w.caller),
        [("case_closed", "caller")],
        [("case_closed", "caller")],
    ),
    Row(
        "cancellation is a status change",
        new_case,
        lambda w, c: case_transition(
            case=c, actor=w.agent, name="cancel", reason=Case.CancelReason.DUPLICATE
        ),
        [("case_status_changed", "caller")],
        [("case_status_changed", "caller")],
    ),
    Row(
        "auto-close reminder",
        resolved,
        lambda w, c: notifications.case_resolution_reminder(c, 2),
        [("case_resolution_reminder", "caller")],
        [("case_resolution_reminder", "caller")],
    ),
    Row(
        "triage overdue at 15 minutes",
        new_case,
        lambda w, c: notifications.triage_overdue(c, 15),
        [("case_triage_overdue", SM)],
    ),
    Row(
        "triage overdue at 30 minutes",
        new_case,
        lambda w, c: notifications.triage_overdue(c, 30),
        [("case_triage_overdue", SM)],
    ),
    Row(
        "incident raised for a group with a mailbox",
        new_case,
        lambda w, c: case_raise_incident(
            case=c, actor=w.agent, assignment_group=w.mailbox_group, impact=3, urgency=3
        ),
        [("incident_assigned", "mailbox"), ("case_status_changed", "caller")],
        [("incident_assigned", "resolver"), ("case_status_changed", "caller")],
    ),
    Row(
        "incident raised for a group without a mailbox",
        new_case,
        lambda w, c: case_raise_incident(
            case=c, actor=w.agent, assignment_group=w.member_group, impact=3, urgency=3
        ),
        [
            ("incident_assigned", "member_a"),
            ("incident_assigned", "member_b"),
            ("case_status_changed", "caller"),
        ],
        [
            ("incident_assigned", "member_a"),
            ("incident_assigned", "member_b"),
            ("case_status_changed", "caller"),
        ],
    ),
    Row(
        "an incident's resolution is proposed to the desk, never sent to the caller",
        incident_started,
        lambda w, i: incident_transition(
            incident=i, actor=w.resolver, name="resolve", notes="Queue restarted", code="solved"
        ),
        [("case_update_proposed", DESK)],
    ),
    Row(
        "the desk sends the proposed resolution and resolves the case",
        incident_resolution_proposed,
        lambda w, p: case_update_send(
            proposal=p, actor=w.agent, text="We restarted the service.", resolve=True
        ),
        [("case_resolved", "caller")],
        [("case_resolved", "caller")],
    ),
    Row(
        "the desk sends a proposed update as a comment",
        incident_resolution_proposed,
        lambda w, p: case_update_send(proposal=p, actor=w.agent, text="Fixed on our side."),
        [("case_comment_added", "caller")],
        [("case_comment_added", "caller")],
    ),
    Row(
        "incident reassigned to another group",
        moved_to_member_group,
        lambda w, i: notifications.incident_reassigned(i, w.mailbox_group),
        [("incident_reassigned", "member_a"), ("incident_reassigned", "member_b")],
        [("incident_reassigned", "member_a"), ("incident_reassigned", "member_b")],
    ),
    Row(
        "ticket assigned to a person",
        incident_with_assignee,
        lambda w, i: notifications.ticket_assigned_to_person(i),
        [("ticket_assigned_to_person", "resolver")],
        [("ticket_assigned_to_person", "resolver")],
    ),
    Row(
        "SLA at risk goes to the assignee and the desk lead",
        incident_with_assignee,
        lambda w, i: notifications.sla_at_risk(i, "Resolution", DEADLINE),
        [("sla_at_risk", "resolver"), ("sla_at_risk", SM)],
        [("sla_at_risk", "resolver")],
    ),
    Row(
        "SLA breach with no assignee goes to the group's mailbox and the desk lead",
        lambda w: incident_for(w, w.mailbox_group),
        lambda w, i: notifications.sla_breached(i, "Resolution", DEADLINE),
        [("sla_breached", "mailbox"), ("sla_breached", SM)],
        [("sla_breached", "resolver")],
    ),
    Row(
        "SLA breach for a group without a mailbox emails each member",
        lambda w: incident_for(w, w.member_group),
        lambda w, i: notifications.sla_breached(i, "Response", DEADLINE),
        [("sla_breached", "member_a"), ("sla_breached", "member_b"), ("sla_breached", SM)],
        [("sla_breached", "member_a"), ("sla_breached", "member_b")],
    ),
    Row(
        "SLA at risk on an unassigned case goes to the desk lead only",
        started,
        lambda w, c: notifications.sla_at_risk(c, "Response", DEADLINE),
        [("sla_at_risk", SM)],
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.event for row in ROWS])
def test_each_event_notifies_exactly_its_recipients(
    row, world, django_capture_on_commit_callbacks, mailoutbox
):
    """§3.1, §5.17, §10.2, §10.3, Appendix G: the matrix, one event at a time."""
    with django_capture_on_commit_callbacks(execute=True):
        target = row.setup(world)
    last_message = OutboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_notification = (
        Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    )
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        row.act(world, target)

    written = OutboundMessage.objects.filter(pk__gt=last_message)
    assert sorted(written.values_list("template", "to_email")) == sorted(
        (template, world.address(who)) for template, who in row.emails
    )
    assert all(m.status == OutboundMessage.Status.SENT for m in written)
    assert len(mailoutbox) == len(row.emails)
    told = Notification.objects.filter(pk__gt=last_notification).select_related("user")
    assert sorted((n.event, n.user.email) for n in told) == sorted(
        (event, world.address(who)) for event, who in row.notified
    )


def test_every_ticket_email_carries_number_status_and_link_only(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    """§10.5.5, §8: number, status and a portal link; nothing the user typed."""
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseFactory(
            caller=world.caller,
            short_description="Typed subject words",
            description="Typed description words",
        )
        case = case_transition(case=case, actor=world.agent, name="start")
        case_comment_add(case=case, actor=world.agent, body="Typed comment words")
        case = case_transition(case=case, actor=world.agent, name="resolve", notes="Typed notes")
    assert OutboundMessage.objects.count() >= 4
    for message in OutboundMessage.objects.all():
        for text in (message.subject, message.body_text, message.body_html):
            assert "Typed" not in text
        assert case.number in message.subject
        assert case.get_state_display() in message.body_text or "Status" in message.body_text
        assert "http" in message.body_text
    for notification in Notification.objects.all():
        assert "Typed" not in notification.title and notification.ticket_ref == case.number


def test_one_person_is_not_emailed_twice_for_one_event(
    world, settings, django_capture_on_commit_callbacks
):
    """A group mailbox that is also the desk lead's address gets one SLA alert, not two."""
    settings.SERVICE_MANAGEMENT_EMAIL = world.mailbox_group.email
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_for(world, world.mailbox_group)
    OutboundMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.sla_breached(incident, "Resolution", DEADLINE)
    assert list(OutboundMessage.objects.values_list("to_email", flat=True)) == [
        world.mailbox_group.email
    ]


def test_inactive_users_are_not_notified(world, django_capture_on_commit_callbacks):
    """A member who has left (inactive) gets neither email nor notification."""
    world.member_b.is_active = False
    world.member_b.save()
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_for(world, world.member_group)
    assert not OutboundMessage.objects.filter(to_email=world.member_b.email).exists()
    assert not Notification.objects.filter(user=world.member_b).exists()
    assert Notification.objects.filter(user=world.member_a, ticket_ref=incident.number).exists()
