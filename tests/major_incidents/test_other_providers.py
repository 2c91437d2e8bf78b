"""Major incidents led by another central service provider (§5.24): recorded by the desk,
linked to its incidents and cases, updates relayed without taking ownership, resolved and
closed when the lead provider says so."""

from datetime import timedelta

import pytest
from django.urls import reverse

from cases.models import ProposedUpdate
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from incidents.models import Incident
from incidents.services import incident_transition
from major_incidents.models import (
    CommsMessage,
    LinkedTicket,
    MajorIncident,
    ServiceImpact,
    TimelineEntry,
)
from major_incidents.other_providers import (
    lead_provider_suggestions,
    other_provider_major_incident_close,
    other_provider_major_incident_record,
    other_provider_major_incident_resolve,
    other_provider_ticket_link,
    other_provider_update_relay,
)
from tests.conftest import mfa_client
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry, Service


@pytest.fixture
def css_outage(incident_manager, comms_list):
    return other_provider_major_incident_record(
        actor=incident_manager,
        lead_provider="DCC - Incident Management",
        external_reference="DCC-MI-778",
        title="CSS switching outage",
        public_title="Central Switching Service unavailable",
        public_summary="Switches cannot be completed.",
        services=[Service.objects.get(code="cra")],
        manager=incident_manager,
    )


def test_recording_another_providers_major_incident(css_outage, incident_manager):
    assert css_outage.led_by_other_provider and css_outage.incident is None
    assert css_outage.lead_provider == "DCC - Incident Management"
    assert css_outage.external_reference == "DCC-MI-778"
    assert css_outage.manager == incident_manager
    assert css_outage.next_comms_due_at is not None
    assert css_outage.service_impacts.get().status == ServiceImpact.Status.MAJOR_OUTAGE
    assert "led by DCC - Incident Management" in css_outage.timeline.get().body


def test_the_directorys_desks_are_offered_as_lead_providers(db):
    assert "DCC Service Desk" in list(lead_provider_suggestions())


def test_only_a_major_incident_manager_records_one(agent):
    with pytest.raises(ActionNotPermitted):
        other_provider_major_incident_record(
            actor=agent, lead_provider="DCC", title="x", public_title="y", manager=agent
        )


def test_the_lead_provider_must_be_named(incident_manager):
    with pytest.raises(ValidationFailed) as refused:
        other_provider_major_incident_record(
            actor=incident_manager,
            lead_provider=" ",
            title="x",
            public_title="y",
            manager=incident_manager,
        )
    assert "lead_provider" in refused.value.field_errors


def test_the_manager_must_be_able_to_run_major_incidents(incident_manager, agent):
    with pytest.raises(ValidationFailed) as refused:
        other_provider_major_incident_record(
            actor=incident_manager, lead_provider="DCC", title="x", public_title="y", manager=agent
        )
    assert "manager" in refused.value.field_errors


def test_the_desks_incidents_and_cases_are_linked_by_number(
    css_outage, incident, incident_manager, org_user
):
    case = CaseFactory(caller=org_user)
    other_provider_ticket_link(
        major_incident=css_outage, actor=incident_manager, number=incident.number
    )
    other_provider_ticket_link(
        major_incident=css_outage, actor=incident_manager, number=case.number.lower()
    )
    other_provider_ticket_link(
        major_incident=css_outage, actor=incident_manager, number=case.number
    )
    assert list(css_outage.linked_incidents.all()) == [incident]
    linked = LinkedTicket.objects.get(major_incident=css_outage)
    assert (linked.number, linked.ticket) == (case.number, case)
    assert css_outage.timeline.filter(kind=TimelineEntry.Kind.ACTION).count() == 2


def test_an_unknown_number_is_refused_naming_the_field(css_outage, incident_manager):
    with pytest.raises(ValidationFailed) as refused:
        other_provider_ticket_link(
            major_incident=css_outage, actor=incident_manager, number="INC9999999"
        )
    assert "number" in refused.value.field_errors


def test_relayed_updates_reach_linked_incidents_as_caller_updates_checked_by_the_desk(
    css_outage, incident, incident_manager, django_capture_on_commit_callbacks
):
    """§5.24, Appendix G: the lead provider's words go to the comms list framed as theirs, and
    to the callers of the linked incident's cases only through the desk's check."""
    other_provider_ticket_link(
        major_incident=css_outage, actor=incident_manager, number=incident.number
    )
    group, assignee = incident.assignment_group_id, incident.assigned_to_id
    with django_capture_on_commit_callbacks(execute=True):
        sent = other_provider_update_relay(
            major_incident=css_outage,
            actor=incident_manager,
            body="The CSS has been failed over; switches are being replayed.",
        )
    assert sent.kind == CommsMessage.Kind.RELAYED
    assert sent.body.startswith("Update from DCC - Incident Management:")
    assert sent.list_message.distribution_list.name == "Major Incident comms"
    comment = JournalEntry.objects.filter(
        ticket_id=incident.pk, kind=JournalEntry.Kind.COMMENT
    ).get()
    assert "failed over" in comment.body and comment.body.startswith("Update from DCC")
    proposed = ProposedUpdate.objects.filter(proposed_text__contains="failed over")
    assert proposed.count() == 1 and proposed.get().status == ProposedUpdate.Status.PENDING
    incident.refresh_from_db()
    assert (incident.assignment_group_id, incident.assigned_to_id) == (group, assignee)
    assert css_outage.timeline.filter(kind=TimelineEntry.Kind.RELAYED).exists()
    css_outage.refresh_from_db()
    assert css_outage.next_comms_due_at == sent.sent_at + timedelta(
        minutes=css_outage.update_interval_minutes
    )


def test_finished_linked_incidents_get_no_relayed_update(
    css_outage, incident, incident_manager, org_user, agent, resolver_group
):
    other_provider_ticket_link(
        major_incident=css_outage, actor=incident_manager, number=incident.number
    )
    incident_transition(
        incident=incident, actor=incident_manager, name="cancel", reason="duplicate"
    )
    other_provider_update_relay(major_incident=css_outage, actor=incident_manager, body="Fixed.")
    assert not JournalEntry.objects.filter(
        ticket_id=incident.pk, kind=JournalEntry.Kind.COMMENT, body__contains="Fixed."
    ).exists()


def test_a_desk_led_major_incident_takes_no_relays(major, incident_manager):
    with pytest.raises(TransitionNotAllowed, match="led by this desk"):
        other_provider_update_relay(major_incident=major, actor=incident_manager, body="x")


def test_an_empty_relay_is_refused(css_outage, incident_manager):
    with pytest.raises(ValidationFailed) as refused:
        other_provider_update_relay(major_incident=css_outage, actor=incident_manager, body=" ")
    assert "body" in refused.value.field_errors


def test_resolved_then_closed_when_the_lead_provider_says_so(css_outage, incident_manager):
    with pytest.raises(TransitionNotAllowed, match="resolved first"):
        other_provider_major_incident_close(major_incident=css_outage, actor=incident_manager)
    other_provider_major_incident_resolve(major_incident=css_outage, actor=incident_manager)
    css_outage.refresh_from_db()
    assert css_outage.state == MajorIncident.State.RESOLVED
    assert css_outage.next_comms_due_at is None
    assert css_outage.service_impacts.get().status == ServiceImpact.Status.OPERATIONAL
    other_provider_major_incident_close(major_incident=css_outage, actor=incident_manager)
    css_outage.refresh_from_db()
    assert css_outage.state == MajorIncident.State.CLOSED and css_outage.closed_at
    with pytest.raises(TransitionNotAllowed):
        other_provider_update_relay(major_incident=css_outage, actor=incident_manager, body="x")


def test_the_console_form_records_one(incident_manager, comms_list):
    client = mfa_client(incident_manager)
    form_url = reverse("admin:major_incidents_majorincident_other_provider")
    page = client.get(form_url)
    assert page.status_code == 200
    assert 'list="lead-provider-suggestions"' in page.content.decode()
    assert "DCC Service Desk" in page.content.decode()
    response = client.post(
        form_url,
        {
            "lead_provider": "Central Switching Service provider",
            "external_reference": "CSS-1",
            "title": "CSS down",
            "public_title": "Switching delays",
            "services": [Service.objects.get(code="cra").pk],
            "service_status": "degraded",
            "manager": incident_manager.pk,
        },
    )
    assert response.status_code == 302
    recorded = MajorIncident.objects.get()
    assert recorded.led_by_other_provider and recorded.lead_provider.startswith("Central")
    bad = client.post(form_url, {"title": "x"})
    assert bad.status_code == 400


def test_the_console_form_is_for_managers_only(agent_client):
    form_url = reverse("admin:major_incidents_majorincident_other_provider")
    assert agent_client.get(form_url).status_code == 403


def test_the_war_room_of_another_providers_major_incident_relays_and_links(
    css_outage, incident, incident_manager
):
    client = mfa_client(incident_manager)
    base = "admin:major_incidents_majorincident_"
    war_room = reverse(f"{base}change", args=[css_outage.pk])
    html = client.get(war_room).content.decode()
    assert "Relay an update from DCC - Incident Management" in html
    assert (
        client.post(
            reverse(f"{base}link", args=[css_outage.pk]), {"number": incident.number}
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse(f"{base}relay", args=[css_outage.pk]), {"body": "Fix deployed."}
        ).status_code
        == 302
    )
    assert (
        client.post(
            reverse(f"{base}provider_state", args=[css_outage.pk]), {"action": "resolve"}
        ).status_code
        == 302
    )
    css_outage.refresh_from_db()
    assert css_outage.state == MajorIncident.State.RESOLVED
    assert Incident.objects.get(pk=incident.pk) in css_outage.linked_incidents.all()


@pytest.mark.parametrize("size", [1, 10])
def test_the_war_room_of_another_providers_major_incident_costs_the_same_at_any_size(
    css_outage, incident_manager, org_user, agent, resolver_group, size, django_assert_num_queries
):
    """docs/conventions.md §7: linked incidents, cases and relays do not add queries per row."""
    from tests.factories.incidents import raised_incident

    for _ in range(size):
        linked = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        other_provider_ticket_link(
            major_incident=css_outage, actor=incident_manager, number=linked.number
        )
        other_provider_ticket_link(
            major_incident=css_outage,
            actor=incident_manager,
            number=CaseFactory(caller=org_user).number,
        )
    other_provider_update_relay(major_incident=css_outage, actor=incident_manager, body="Fixing.")
    client = mfa_client(incident_manager)
    war_room = reverse("admin:major_incidents_majorincident_change", args=[css_outage.pk])
    client.get(war_room)  # warm the session and the access cache
    # 1 session, 2 user, 3 the major incident, 4 services, 5 timeline events, 6 comms sent,
    # 7 public updates, 8 linked incidents, 9 linked cases, 10 whether the initial
    # notification is out, 11 the services offered by the status form (no incident of its
    # own: no journal, nobody engaged here), 12 its industry circulars, 13 its review.
    with django_assert_num_queries(13):
        assert client.get(war_room).status_code == 200
