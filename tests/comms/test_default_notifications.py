"""The default notifications for a ticket type that declares none (issue 8), and the seam the
cases app fills for distribution-list service requests: communications name no ticket type.

The defaults are driven on the real types, which read only their registry entries: a case
(participants may see it, a portal page) and an incident (staff-only, no portal page).
"""

from dataclasses import replace

import pytest
from django.urls import reverse

from cases.follow_up import CaseServiceRequestDesk
from cases.services import case_raise_incident, case_transition
from comms import centre, notifications, ticket_events
from comms.centre import notification_preferences_for
from comms.lists import (
    MAJOR_INCIDENT_COMMS,
    distribution_list_approve,
    distribution_list_request_membership,
)
from comms.models import DistributionList, Notification, OutboundMessage
from comms.service_requests import service_request_desk, service_request_desk_register
from core.errors import ValidationFailed
from tests.factories.accounts import ResolverGroupFactory, UserFactory
from tests.factories.cases import CaseFactory
from tickets.registry import ticket_type_for, ticket_types

pytestmark = pytest.mark.django_db


def _written(since: int = 0) -> list[tuple[str, str]]:
    return sorted(OutboundMessage.objects.filter(pk__gt=since).values_list("template", "to_email"))


def _told(since: int = 0) -> list[tuple[str, str]]:
    return sorted(Notification.objects.filter(pk__gt=since).values_list("event", "user__email"))


def _marks() -> tuple[int, int]:
    last = OutboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    told = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return last, told


@pytest.fixture
def case(org_user, agent):
    return case_transition(
        case=CaseFactory(caller=org_user, description="Typed words"), actor=agent, name="start"
    )


@pytest.fixture
def incident(case, agent, resolver_group):
    return case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=3, urgency=3
    )


# --- raised ----------------------------------------------------------------------------------


def test_raised_acknowledges_the_caller_of_a_participant_type_with_its_portal_link(case, org_user):
    mark, told = _marks()
    notifications.ticket_raised(case)
    assert _written(mark) == [("ticket_acknowledged", org_user.email)]
    assert _told(told) == [("ticket_acknowledged", org_user.email)]
    message = OutboundMessage.objects.get(pk__gt=mark)
    assert reverse("portal:case_detail", kwargs={"number": case.number}) in message.body_text
    assert f"your case {case.number}" in message.body_text
    assert "Typed" not in message.body_text + message.body_html + message.subject


def test_raised_tells_the_group_of_a_staff_only_type_and_never_its_caller(
    incident, resolver_group, resolver
):
    mark, told = _marks()
    notifications.ticket_raised(incident)
    assert _written(mark) == [("ticket_assigned_to_group", resolver_group.email)]
    assert _told(told) == [("ticket_assigned_to_group", resolver.email)]
    message = OutboundMessage.objects.get(pk__gt=mark)
    assert message.subject == f"[{incident.number}] Incident assigned to {resolver_group.name}"
    assert "/admin/incidents/incident/" in message.body_text


def test_a_participant_type_without_a_portal_page_links_the_notification_centre(case, monkeypatch):
    """Participants never open the console, so without a portal page the link is where they
    read their notifications."""
    entry = replace(ticket_type_for(case), portal_url="")
    monkeypatch.setattr(notifications, "ticket_type_for", lambda ticket: entry)
    mark, _ = _marks()
    notifications.ticket_raised(case)
    message = OutboundMessage.objects.get(pk__gt=mark)
    assert reverse("comms:notification_list") in message.body_text
    assert "/admin/" not in message.body_text


# --- status changes --------------------------------------------------------------------------


def test_status_change_tells_the_caller_of_a_participant_type(case, org_user):
    mark, _ = _marks()
    notifications.ticket_status_changed(case, old_state="new")
    assert _written(mark) == [("ticket_status_changed", org_user.email)]
    message = OutboundMessage.objects.get(pk__gt=mark)
    assert "from New to In Progress" in message.body_text
    notifications.ticket_status_changed(case, old_state=case.state)
    assert _written(mark) == [("ticket_status_changed", org_user.email)]  # no change, no message


def test_status_change_of_a_staff_only_type_tells_the_assignee_else_the_group(
    incident, resolver, resolver_group, org_user
):
    mark, _ = _marks()
    notifications.ticket_status_changed(incident, old_state="in_progress")
    assert _written(mark) == [("ticket_status_changed_staff", resolver_group.email)]
    incident.assigned_to = resolver
    mark, _ = _marks()
    notifications.ticket_status_changed(incident, old_state="in_progress")
    assert _written(mark) == [("ticket_status_changed_staff", resolver.email)]
    assert not OutboundMessage.objects.filter(
        template__startswith="ticket_status", to_email=org_user.email
    ).exists()


# --- comments --------------------------------------------------------------------------------


def test_a_desk_comment_tells_the_caller_only_on_a_participant_type(case, incident, org_user):
    mark, _ = _marks()
    notifications.ticket_comment_added(case, by_desk=True)
    notifications.ticket_comment_added(incident, by_desk=True)
    assert _written(mark) == [("ticket_comment_added", org_user.email)]


def test_a_caller_comment_tells_the_assignee_else_service_management(
    case, agent, org_user, settings
):
    mark, _ = _marks()
    notifications.ticket_comment_added(case, by_desk=False, author=org_user)
    assert _written(mark) == [("ticket_caller_replied", settings.SERVICE_MANAGEMENT_EMAIL)]
    case.assigned_to = agent
    mark, _ = _marks()
    notifications.ticket_comment_added(case, by_desk=False, author=org_user)
    assert _written(mark) == [("ticket_caller_replied", agent.email)]


# --- dispatch and preferences ----------------------------------------------------------------


def test_a_type_declaring_no_notifications_gets_the_defaults(case, org_user, agent):
    """`comms.ticket_events` sends each kernel event to the defaults for such a type."""
    entry = replace(ticket_type_for(case), notifications=None)
    mark, _ = _marks()
    ticket_events.on_ticket_created(None, ticket=case, ticket_type=entry, actor=org_user)
    ticket_events.on_ticket_transitioned(None, ticket=case, ticket_type=entry, old_state="new")
    ticket_events.on_ticket_commented(
        None, ticket=case, ticket_type=entry, actor=agent, by_desk=True
    )
    assert _written(mark) == [
        ("ticket_acknowledged", org_user.email),
        ("ticket_comment_added", org_user.email),
        ("ticket_status_changed", org_user.email),
    ]


@pytest.mark.usefixtures("portal_ticket_types")
def test_default_events_are_offered_only_while_a_type_uses_them(org_user, agent, monkeypatch):
    def keys(user):
        return {row.event.key for row in notification_preferences_for(user)}

    assert not any(
        key.startswith("ticket_") and key != "ticket_assigned_to_person" for key in keys(agent)
    )
    entries = tuple(replace(t, notifications=None) for t in ticket_types())
    monkeypatch.setattr(centre, "ticket_types", lambda: entries)
    assert {"ticket_acknowledged", "ticket_status_changed", "ticket_comment_added"} <= keys(
        org_user
    )
    assert "ticket_caller_replied" not in keys(org_user)
    assert {"ticket_caller_replied", "ticket_assigned_to_group"} <= keys(agent)


def test_every_default_template_is_an_event():
    for key in (
        "ticket_acknowledged",
        "ticket_assigned_to_group",
        "ticket_status_changed",
        "ticket_status_changed_staff",
        "ticket_comment_added",
        "ticket_caller_replied",
    ):
        assert centre.EVENTS[key].default_types


# --- the service-request seam ----------------------------------------------------------------


def test_the_cases_app_registers_its_service_request_desk():
    assert isinstance(service_request_desk(), CaseServiceRequestDesk)


class RecordingDesk:
    """A stand-in desk: what comms.lists asks of whoever holds service requests."""

    def __init__(self, ticket):
        self.ticket = ticket
        self.calls = []

    def raise_request(self, **kwargs):
        self.calls.append(("raise", kwargs))
        return self.ticket

    def resolve_request(self, **kwargs):
        self.calls.append(("resolve", kwargs))


@pytest.fixture
def desk(org_user):
    original = service_request_desk()
    recording = RecordingDesk(CaseFactory(caller=org_user))
    service_request_desk_register(recording)
    yield recording
    service_request_desk_register(original)


def test_list_requests_go_through_the_registered_desk(desk, org_user, agent):
    mi_list = DistributionList.objects.get(name=MAJOR_INCIDENT_COMMS)
    request = distribution_list_request_membership(
        actor=org_user, distribution_list=mi_list, action="add"
    )
    assert request.case == desk.ticket
    ((kind, raised),) = desk.calls
    assert kind == "raise" and raised["actor"] == org_user
    assert raised["organisation"] == org_user.organisation and raised["category"].is_service_request
    assert raised["short_description"] == f"Add me to the {MAJOR_INCIDENT_COMMS} list"
    distribution_list_approve(membership_request=request, actor=agent)
    kind, resolved = desk.calls[-1]
    assert kind == "resolve" and resolved["ticket"] == desk.ticket and resolved["actor"] == agent
    assert "has been added to the" in resolved["notes"]


def test_without_a_desk_no_request_is_raised(org_user):
    original = service_request_desk()
    service_request_desk_register(None)
    try:
        mi_list = DistributionList.objects.get(name=MAJOR_INCIDENT_COMMS)
        with pytest.raises(ValidationFailed, match="cannot be raised just now"):
            distribution_list_request_membership(
                actor=org_user, distribution_list=mi_list, action="add"
            )
    finally:
        service_request_desk_register(original)


def test_resolver_group_without_mailbox_gets_member_notifications_for_default_raised(case, agent):
    member = UserFactory(email="mo.member@mhhs.example", is_staff=True)
    group = ResolverGroupFactory(name="Members only", email="", members=[member])
    case.assignment_group = group
    mark, _ = _marks()
    notifications.ticket_raised(case)
    assert ("ticket_assigned_to_group", member.email) in _written(mark)
