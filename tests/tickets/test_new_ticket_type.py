"""A ticket type added in its own app gets the kernel's services with no change elsewhere
(issue 8 acceptance; docs/architecture.md §2 "Adding a ticket type").

The types are `tests.probe_tickets`: ProbeTicket (the shared lifecycle, participants see it)
and ProbeChange (its own states, a required choice argument and a precondition, staff only).
Nothing outside that test app names them.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from comms.inbound import inbound_email_process
from comms.models import InboundEmail, Notification, OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from sla.calendar import CALENDAR_CHOICES
from sla.models import SLADefinition, TicketSLA
from tests.conftest import mfa_client
from tests.factories.access import api_client
from tests.probe_tickets.models import ProbeChange, ProbeTicket
from tickets.models import JournalEntry, TicketLink
from tickets.registry import (
    LinkRule,
    ticket_type_by_label,
    ticket_type_for,
    ticket_type_for_number,
    ticket_types,
)
from tickets.selectors import attachments_for, journal_for
from tickets.services import (
    attachment_add,
    ticket_act,
    ticket_create,
    ticket_link,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def desk(agent):
    """A service desk agent who may work probe tickets (the test app's permissions)."""
    agent.user_permissions.add(*Permission.objects.filter(content_type__app_label="probe_tickets"))
    return type(agent).objects.get(pk=agent.pk)  # fresh permission cache


@pytest.fixture
def probe(desk, org, org_user):
    return ticket_create(
        ProbeTicket,
        actor=desk,
        short_description="Probe",
        description="A test-only ticket type",
        organisation=org,
        caller=org_user,
    )


@pytest.fixture
def change(desk):
    return ticket_create(
        ProbeChange, actor=desk, short_description="Probe change", description="Change it"
    )


# --- the registry ----------------------------------------------------------------------------


def test_a_type_declared_on_its_model_is_registered(db):
    probe_type = ticket_type_for(ProbeTicket)
    assert probe_type in ticket_types()
    assert (probe_type.prefix, probe_type.kind, probe_type.label) == (
        "TST",
        "probeticket",
        "probe_tickets.probeticket",
    )
    assert ticket_type_by_label("probe_tickets.probechange").model is ProbeChange
    assert ticket_type_for_number("TST0000042").model is ProbeTicket
    assert ticket_type_for_number("XYZ0000042") is None


# --- numbering, journal, attachments ---------------------------------------------------------


def test_new_type_is_numbered_with_its_own_prefix_and_journalled(probe, desk, org, org_user):
    second = ticket_create(
        ProbeTicket,
        actor=desk,
        short_description="Second",
        description="x",
        organisation=org,
        caller=org_user,
    )
    assert probe.number == "TST0000001"
    assert second.number == "TST0000002"
    entries = list(journal_for(probe, include_work_notes=True))
    assert [e.body for e in entries] == ["Probe ticket raised."]
    assert entries[0].kind == JournalEntry.Kind.SYSTEM


def test_new_type_takes_attachments_checked_by_content(probe, org_user):
    attachment_add(
        ticket=probe,
        upload=SimpleUploadedFile("screen.png", PNG, content_type="image/png"),
        uploaded_by=org_user,
    )
    assert [a.original_name for a in attachments_for(probe)] == ["screen.png"]
    with pytest.raises(ValidationFailed):
        attachment_add(
            ticket=probe,
            upload=SimpleUploadedFile("evil.png", b"MZ\x90\x00" + b"\x00" * 60),
            uploaded_by=org_user,
        )


# --- the shared lifecycle --------------------------------------------------------------------


def test_new_type_runs_the_shared_lifecycle_with_its_arguments(probe, desk, org_user):
    probe = ticket_act(ticket=probe, name="start", actor=desk)
    with pytest.raises(ValidationFailed) as refused:
        ticket_act(ticket=probe, name="hold", actor=desk)
    assert refused.value.field_errors == {"reason": ["Choose a hold reason."]}
    probe = ticket_act(ticket=probe, name="hold", actor=desk, reason="awaiting_caller")
    assert probe.state == "on_hold"
    probe = ticket_act(ticket=probe, name="resume", actor=desk)
    with pytest.raises(ValidationFailed) as refused:
        ticket_act(ticket=probe, name="resolve", actor=desk, notes="  ")
    assert "notes" in refused.value.field_errors
    probe = ticket_act(ticket=probe, name="resolve", actor=desk, notes="Fixed")
    # §10.3: the caller side confirms the resolution.
    probe = ticket_act(ticket=probe, name="close", actor=org_user)
    assert probe.state == "closed" and probe.closed_at is not None
    bodies = [e.body for e in journal_for(probe, include_work_notes=True)]
    assert "State changed from On Hold to In Progress." in bodies
    assert "State changed from Resolved to Closed." in bodies


def test_new_type_refuses_what_its_lifecycle_does_not_allow(probe, desk, org_user):
    with pytest.raises(TransitionNotAllowed):
        ticket_act(ticket=probe, name="resume", actor=desk)
    with pytest.raises(TransitionNotAllowed):
        ticket_act(ticket=probe, name="assess", actor=desk, risk="low")
    with pytest.raises(ActionNotPermitted):
        ticket_act(ticket=probe, name="start", actor=org_user)


# --- a lifecycle of its own (issue 8 point 2) ------------------------------------------------


def test_a_type_with_its_own_states_runs_its_declared_actions(change, desk):
    assert [a.button for a in ticket_type_for(ProbeChange).lifecycle.actions] == [
        "Assess",
        "Authorise",
        "Close",
        "Cancel",
    ]
    with pytest.raises(ValidationFailed) as refused:
        ticket_act(ticket=change, name="assess", actor=desk, risk="extreme")
    assert refused.value.message == "Choose the risk."
    assert refused.value.field_errors == {"risk": ["Choose a risk."]}
    change = ticket_act(ticket=change, name="assess", actor=desk, risk="high")
    assert (change.state, change.risk) == ("assess", "high")
    # The precondition: no authorisation without an implementation plan.
    with pytest.raises(ValidationFailed) as refused:
        ticket_act(ticket=change, name="authorise", actor=desk)
    assert refused.value.field_errors == {"plan": ["An implementation plan is required."]}
    ProbeChange.objects.filter(pk=change.pk).update(plan="Deploy at 02:00")
    change = ticket_act(ticket=change, name="authorise", actor=desk)
    change = ticket_act(ticket=change, name="close", actor=desk)
    assert change.state == "closed"
    # The shared lifecycle's actions are not this type's.
    with pytest.raises(TransitionNotAllowed, match="not an action"):
        ticket_act(ticket=change, name="start", actor=desk)
    bodies = [e.body for e in journal_for(change, include_work_notes=True)]
    assert "State changed from Assess to Authorise." in bodies


# --- link rules (issue 8 point 3) ------------------------------------------------------------


def test_closing_a_change_resumes_the_tickets_awaiting_it(probe, change, desk):
    probe = ticket_act(ticket=probe, name="start", actor=desk)
    probe = ticket_act(ticket=probe, name="hold", actor=desk, reason="awaiting_change")
    ticket_link(from_ticket=probe, to_ticket=change, kind=TicketLink.Kind.INCIDENT_CHANGE)
    ProbeChange.objects.filter(pk=change.pk).update(plan="Deploy at 02:00")
    for name, arguments in (("assess", {"risk": "low"}), ("authorise", {}), ("close", {})):
        change = ticket_act(ticket=change, name=name, actor=desk, **arguments)
    probe.refresh_from_db()
    assert probe.state == "in_progress"
    bodies = [e.body for e in journal_for(probe, include_work_notes=True)]
    assert f"{change.number} is closed." in bodies


def test_a_link_rule_leaves_tickets_in_other_states_alone(probe, change, desk):
    probe = ticket_act(ticket=probe, name="start", actor=desk)
    ticket_link(from_ticket=probe, to_ticket=change, kind=TicketLink.Kind.INCIDENT_CHANGE)
    ProbeChange.objects.filter(pk=change.pk).update(plan="p")
    for name, arguments in (("assess", {"risk": "low"}), ("authorise", {}), ("close", {})):
        change = ticket_act(ticket=change, name=name, actor=desk, **arguments)
    # target_states keeps the rule off a ticket that is not on hold (resuming it would fail).
    probe.refresh_from_db()
    assert probe.state == "in_progress"


# --- the API router and the console ----------------------------------------------------------


def test_api_offers_the_new_types_transitions_from_their_declaration(probe, change, desk):
    client = api_client(desk)
    url = f"/api/v1/probe-tickets/{probe.number}/"
    response = client.post(url + "start/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "in_progress"
    assert "hold" in response.json()["actions"]
    response = client.post(url + "hold/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"reason": ["This field is required."]}
    response = client.post(url + "hold/", {"reason": "awaiting_vendor"}, format="json")
    assert response.json()["state"] == "on_hold"
    # A type of its own: its slugs, its arguments, its precondition as a 400.
    url = f"/api/v1/probe-changes/{change.number}/"
    assert client.post(url + "start/", {}, format="json").status_code == 404
    response = client.post(url + "assess/", {"risk": "low"}, format="json")
    assert response.json()["state"] == "assess"
    response = client.post(url + "authorise/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"plan": ["An implementation plan is required."]}


def test_api_hides_a_new_type_from_those_who_may_not_see_it(probe, change, other_org_user):
    client = api_client(other_org_user)
    response = client.post(f"/api/v1/probe-tickets/{probe.number}/start/", {}, format="json")
    assert response.status_code in (403, 404)
    assert ProbeTicket.objects.get(pk=probe.pk).state == "new"
    response = client.post(f"/api/v1/probe-changes/{change.number}/assess/", {"risk": "low"})
    assert response.status_code in (403, 404)


def test_console_gives_a_new_type_the_generic_ticket_page(probe, desk):
    client = mfa_client(desk)
    page = client.get(reverse("admin:probe_tickets_probeticket_change", args=[probe.pk]))
    assert page.status_code == 200
    assert b"Start work" in page.content and b"Journal" in page.content
    url = reverse("admin:probe_tickets_probeticket_transition", args=[probe.pk, "hold"])
    form = client.get(url + "?expected_state=new")
    assert form.status_code == 200
    response = client.post(url, {"expected_state": "new", "reason": "awaiting_vendor"})
    assert response.status_code == 302
    assert ProbeTicket.objects.get(pk=probe.pk).state == "new"  # hold is not allowed from New
    url = reverse("admin:probe_tickets_probeticket_transition", args=[probe.pk, "start"])
    client.post(url, {"expected_state": "new"})
    assert ProbeTicket.objects.get(pk=probe.pk).state == "in_progress"
    listing = client.get(reverse("admin:probe_tickets_probeticket_changelist"))
    assert probe.number.encode() in listing.content


# --- SLA, notifications and reply by email, from the declaration alone -----------------------


def test_new_type_gets_sla_clocks_from_a_definition_row(desk, org, org_user):
    definition = SLADefinition(
        name="Probe resolution",
        target_type=SLADefinition.TargetType.RESOLUTION,
        ticket_kind="probeticket",
        calendar=CALENDAR_CHOICES[0][0],
        duration=timedelta(hours=4),
        pause_states=["on_hold"],
        stop_states=["resolved", "closed", "cancelled"],
    )
    definition.full_clean()  # the kind is a choice because the type is registered
    definition.save()
    probe = ticket_create(
        ProbeTicket,
        actor=desk,
        short_description="Timed",
        description="x",
        organisation=org,
        caller=org_user,
    )
    clocks = TicketSLA.objects.filter(
        ticket_type=ContentType.objects.get_for_model(ProbeTicket), ticket_id=probe.pk
    )
    clock = clocks.get()
    assert clock.definition == definition and clock.deadline is not None
    probe = ticket_act(ticket=probe, name="start", actor=desk)
    probe = ticket_act(ticket=probe, name="hold", actor=desk, reason="awaiting_vendor")
    clock.refresh_from_db()
    assert clock.paused_since is not None
    probe = ticket_act(ticket=probe, name="resume", actor=desk)
    ticket_act(ticket=probe, name="resolve", actor=desk, notes="Done")
    clock.refresh_from_db()
    assert clock.stopped_at is not None and clock.paused_since is None


def test_new_type_gets_the_default_notifications(probe, desk, org_user):
    ticket_type = ContentType.objects.get_for_model(ProbeTicket)
    sent = OutboundMessage.objects.filter(ticket_type=ticket_type, ticket_id=probe.pk)
    assert list(sent.values_list("template", "to_email")) == [
        ("ticket_acknowledged", org_user.email)
    ]
    ticket_act(ticket=probe, name="start", actor=desk)
    assert sent.filter(template="ticket_status_changed", to_email=org_user.email).exists()
    assert Notification.objects.filter(user=org_user, event="ticket_status_changed").exists()


def _reply(ticket, sender, body: str, *, message_id: str) -> bytes:
    return (
        f"From: {sender.email}\r\n"
        "To: servicedesk@mhhs.example\r\n"
        f"Subject: Re: [{ticket.number}] update\r\n"
        f"Message-ID: <{message_id}@mail.example>\r\n"
        "Date: Mon, 30 Nov 2026 09:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        f"{body}\r\n"
    ).encode()


def test_reply_by_email_reaches_a_new_type_participants_see(probe, desk, org_user):
    probe = ticket_act(ticket=probe, name="start", actor=desk)
    probe = ticket_act(ticket=probe, name="hold", actor=desk, reason="awaiting_caller")
    outcome = inbound_email_process(raw=_reply(probe, org_user, "Here it is.", message_id="p1"))
    assert outcome.status == InboundEmail.Status.ATTACHED, outcome.reason
    assert outcome.ticket_number == probe.number
    probe.refresh_from_db()
    assert probe.state == "in_progress"  # the caller answered: Awaiting Caller → In Progress
    comments = journal_for(probe, include_work_notes=False).filter(kind="comment")
    assert [(c.body, c.author) for c in comments] == [("Here it is.", org_user)]


def test_reply_by_email_refuses_a_new_staff_only_type(change, org_user):
    outcome = inbound_email_process(raw=_reply(change, org_user, "Hello", message_id="p2"))
    assert outcome.status == InboundEmail.Status.REFUSED
    assert "internal reference" in outcome.reason and change.number in outcome.reason


def test_a_link_rule_runs_on_states_or_on_comments():
    """A rule says when it runs: on entering states, or on a customer-visible comment."""
    LinkRule(kind="k", source="a.a", target="b.b", on_states=("resolved",), run="x.y")
    LinkRule(kind="k", source="a.a", target="b.b", on_states=(), on_comment=True, run="x.y")
    for on_states, on_comment in (((), False), (("resolved",), True)):
        with pytest.raises(ValueError, match="on states or on comments"):
            LinkRule(
                kind="k",
                source="a.a",
                target="b.b",
                on_states=on_states,
                on_comment=on_comment,
                run="x.y",
            )
