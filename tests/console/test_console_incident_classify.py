"""The incident page's classification (§3.8) and work-note (Appendix G) forms in the console."""

import pytest
from django.urls import reverse

from cases.services import case_raise_incident
from comms.models import OutboundMessage
from incidents.models import Incident
from incidents.services import incident_transition
from tests.conftest import mfa_client
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.priority import Priority
from tickets.selectors import journal_for


@pytest.fixture
def incident(org_user, agent, resolver_group):
    return case_raise_incident(
        case=CaseFactory(caller=org_user),
        actor=agent,
        assignment_group=resolver_group,
        impact=2,
        urgency=2,
    )


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def classify_url(incident) -> str:
    return reverse("admin:incidents_incident_classify", args=[incident.pk])


def work_note_url(incident) -> str:
    return reverse("admin:incidents_incident_work_note", args=[incident.pk])


def work_notes(incident) -> list[str]:
    return list(
        journal_for(incident, include_work_notes=True)
        .filter(kind=JournalEntry.Kind.WORK_NOTE)
        .values_list("body", flat=True)
    )


def test_incident_page_shows_classification_and_work_note_forms(resolver_client, incident):
    """§3.8, Appendix G: the page offers re-prioritisation and work notes to those who work it."""
    response = resolver_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Classification" in html and "Add work note" in html
    assert classify_url(incident) in html and work_note_url(incident) in html
    assert response.context["classify_form"].initial == {"impact": 2, "urgency": 2}
    assert Priority.P3.label in html


def test_classify_form_sets_priority_and_redirects_with_message(agent_client, incident):
    """§3.8: the matrix gives the priority; the agent is told the clocks follow."""
    response = agent_client.post(classify_url(incident), {"impact": 1, "urgency": 1}, follow=True)

    assert response.status_code == 200
    incident.refresh_from_db()
    assert incident.priority == Priority.P1
    assert (
        f"{incident.number} is now {Priority.P1.label}; its SLA clocks follow the new priority."
        in _messages(response)
    )
    assert f"Priority set to {Priority.P1.label}" in response.content.decode()


def test_classify_form_with_bad_input_shows_message_not_500(agent_client, incident):
    """§3.8: impact and urgency are 1, 2 or 3; bad input comes back as a message."""
    response = agent_client.post(classify_url(incident), {"impact": "9", "urgency": ""})

    assert response.status_code == 302
    page = agent_client.get(response.url)
    assert any(message.startswith("Choose impact and urgency.") for message in _messages(page))
    incident.refresh_from_db()
    assert incident.priority == Priority.P3


def test_classify_form_on_cancelled_incident_shows_refusal(agent_client, agent, incident):
    """§5.13: a cancelled incident keeps its priority; the refusal is a message, not a 500."""
    incident_transition(incident=incident, actor=agent, name="cancel", reason="duplicate")

    response = agent_client.post(classify_url(incident), {"impact": 1, "urgency": 1}, follow=True)

    assert response.status_code == 200
    assert f"You can't re-prioritise {incident.number}: it is Cancelled." in _messages(response)
    assert "classify_form" not in response.context
    incident.refresh_from_db()
    assert incident.priority == Priority.P3


def test_classify_by_staff_without_change_permission_is_refused(cab_member, incident):
    """§3.8: reading an incident does not allow re-prioritising it."""
    client = mfa_client(cab_member)

    response = client.post(classify_url(incident), {"impact": 1, "urgency": 1}, follow=True)

    assert response.status_code == 200
    assert "You are not allowed to re-prioritise incidents." in _messages(response)
    incident.refresh_from_db()
    assert incident.priority == Priority.P3


def test_work_note_form_adds_a_desk_only_note(
    resolver_client, incident, django_capture_on_commit_callbacks
):
    """Appendix G: work notes stay with the desk; nobody is emailed."""
    before = OutboundMessage.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = resolver_client.post(
            work_note_url(incident), {"body": "Adapter restarted."}, follow=True
        )

    assert response.status_code == 200
    assert "Work note added; it stays with the desk." in _messages(response)
    assert work_notes(incident) == ["Adapter restarted."]
    assert OutboundMessage.objects.count() == before


def test_empty_work_note_shows_error_not_500(resolver_client, incident):
    """Appendix G: a work note has text; the refusal is a message."""
    response = resolver_client.post(work_note_url(incident), {"body": "  "}, follow=True)

    assert response.status_code == 200
    assert "Write the work note before adding it." in _messages(response)
    assert work_notes(incident) == []


def test_get_on_the_form_views_redirects_to_the_incident(agent_client, incident):
    """The form views only take POSTs; a GET goes back to the incident page."""
    change = reverse("admin:incidents_incident_change", args=[incident.pk])
    assert agent_client.get(classify_url(incident)).url == change
    assert agent_client.get(work_note_url(incident)).url == change


def test_closed_incident_page_offers_no_forms(agent_client, agent, incident):
    """§5.12: nothing is added to a closed incident."""
    incident = incident_transition(incident=incident, actor=agent, name="start")
    incident = incident_transition(
        incident=incident, actor=agent, name="resolve", notes="Done.", code="solved"
    )
    incident = incident_transition(incident=incident, actor=agent, name="close")
    assert incident.state == Incident.State.CLOSED

    page = agent_client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert "classify_form" not in page.context and "work_note_form" not in page.context

    response = agent_client.post(work_note_url(incident), {"body": "Late."}, follow=True)
    assert f"You can't add a work note to {incident.number}: it is Closed." in _messages(response)
    assert work_notes(incident) == []
