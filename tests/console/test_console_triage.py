"""First-line triage in the console (§4.1): the queue, and the three outcomes through POSTs."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.models import ServiceDesk
from cases.models import Case
from cases.services import case_transition
from comms.models import OutboundMessage
from incidents.models import Incident
from incidents.services import linked_cases
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.priority import Impact, Priority, Urgency
from tickets.selectors import journal_for


def _triage_url(case) -> str:
    return reverse("admin:cases_case_triage", args=[case.pk])


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


def test_triage_queue_lists_new_cases_oldest_first_and_marks_overdue(agent_client, org_user, agent):
    """§4.1: every portal case is triaged within 15 minutes; the oldest comes first and one
    waiting longer than that is marked overdue."""
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=20), tick=False):
        oldest = CaseFactory(caller=org_user, short_description="Settlement run missing")
    with time_machine.travel(now - timedelta(minutes=5), tick=False):
        recent = CaseFactory(caller=org_user, short_description="Report format question")
    started = CaseFactory(caller=org_user)
    case_transition(case=started, actor=agent, name="start")

    response = agent_client.get(reverse("admin:cases_case_triage_queue"))

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [row["number"] for row in rows] == [oldest.number, recent.number]
    assert rows[0]["overdue"] and rows[0]["minutes"] >= 20
    assert not rows[1]["overdue"] and rows[1]["minutes"] < 15
    html = response.content.decode()
    assert html.index(oldest.number) < html.index(recent.number)
    oldest_row = html[html.index(f'data-case="{oldest.number}"') :].split("</tr>")[0]
    recent_row = html[html.index(f'data-case="{recent.number}"') :].split("</tr>")[0]
    assert "overdue" in oldest_row and "triage-overdue" in html
    assert "overdue" not in recent_row
    assert _triage_url(oldest) in oldest_row


def test_reroute_from_console_resolves_case_and_gives_the_desk_contacts(
    agent_client, case, django_capture_on_commit_callbacks
):
    """§4.1 step 2, §3.11/§18.4: not for this desk → the raiser is told which desk to contact
    (a customer-visible comment with its email and phone) and the case resolves re-routed."""
    desk = ServiceDesk.objects.get(name="DCC Service Desk")
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            _triage_url(case),
            {"outcome": "reroute", "reroute-desk": desk.pk, "reroute-note": "Quote your MPxN."},
        )

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cases_case_triage_queue")
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED
    assert case.triage_outcome == Case.TriageOutcome.REROUTED
    assert case.rerouted_to == desk
    comment = journal_for(case, include_work_notes=True).get(kind=JournalEntry.Kind.COMMENT)
    assert desk.email in comment.body and desk.phone in comment.body
    assert "Quote your MPxN." in comment.body
    assert OutboundMessage.objects.filter(
        template="case_rerouted", to_email=case.caller.email, ticket_id=case.pk
    ).exists()


def test_reroute_without_a_desk_shows_the_error_on_the_form(agent_client, case):
    """§4.1: re-routing needs a desk from the directory; the page says so, not a 500."""
    response = agent_client.post(_triage_url(case), {"outcome": "reroute", "reroute-desk": ""})

    assert response.status_code == 200
    assert response.context["reroute_form"].errors["desk"] == ["Choose a desk."]
    case.refresh_from_db()
    assert case.state == Case.State.NEW and not case.triage_outcome


def test_request_from_console_sets_type_p4_and_in_progress(agent_client, case):
    """§4.1 step 5, §7.2, §3.9: a service request has a type and is always P4."""
    response = agent_client.post(
        _triage_url(case), {"outcome": "request", "request-request_type": "complex"}
    )

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.triage_outcome == Case.TriageOutcome.REQUEST
    assert case.request_type == Case.RequestType.COMPLEX
    assert case.priority == Priority.P4
    assert case.state == Case.State.IN_PROGRESS


def test_incident_from_console_links_incident_with_matrix_priority(
    agent_client, case, resolver_group
):
    """§4.1 step 4, §3.8: the incident goes to the resolver group with the matrix priority
    (Medium impact + High urgency = P2); the case stays with the desk, In Progress."""
    response = agent_client.post(
        _triage_url(case),
        {
            "outcome": "incident",
            "incident-assignment_group": resolver_group.pk,
            "incident-impact": Impact.MEDIUM,
            "incident-urgency": Urgency.HIGH,
        },
    )

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:incidents_incident_change", args=[incident.pk])
    assert incident.priority == Priority.P2
    assert incident.assignment_group == resolver_group
    assert list(linked_cases(incident)) == [case]
    case.refresh_from_db()
    assert case.triage_outcome == Case.TriageOutcome.INCIDENT
    assert case.state == Case.State.IN_PROGRESS
    page = agent_client.get(response["Location"])
    messages = [str(m) for m in page.context["messages"]]
    assert any(incident.number in m and case.number in m for m in messages)
    assert case.number in page.content.decode()


def test_incident_without_group_or_impact_shows_errors_not_500(agent_client, case):
    """§5.4: an incident needs a resolver group, impact and urgency; the form says so."""
    response = agent_client.post(_triage_url(case), {"outcome": "incident"})

    assert response.status_code == 200
    errors = response.context["incident_form"].errors
    assert "assignment_group" in errors and "impact" in errors
    assert not Incident.objects.exists()


def test_triaging_twice_shows_a_message_not_500(agent_client, case):
    """§4.1: a case is triaged once; a second outcome is refused in plain words."""
    agent_client.post(_triage_url(case), {"outcome": "request", "request-request_type": "standard"})

    response = agent_client.post(
        _triage_url(case), {"outcome": "request", "request-request_type": "custom"}, follow=True
    )

    assert response.status_code == 200
    assert any("already been triaged" in str(m) for m in response.context["messages"])
    case.refresh_from_db()
    assert case.request_type == Case.RequestType.STANDARD


def test_resolver_cannot_triage(resolver_client, case, resolver_group):
    """§4.1: first-line triage is the desk's; a resolver who can see the case is refused."""
    Case.objects.filter(pk=case.pk).update(assignment_group=resolver_group)

    response = resolver_client.post(
        _triage_url(case), {"outcome": "request", "request-request_type": "standard"}, follow=True
    )

    assert response.status_code == 200
    assert any("first-line" in str(m) for m in response.context["messages"])
    case.refresh_from_db()
    assert not case.triage_outcome
