"""The case page in the console: lifecycle buttons, classification and the journal.

State moves only through the transition service with the state the agent saw (docs/conventions.md §3);
a refusal is a message or a form error, never a 500.
"""

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services import case_transition
from comms.models import OutboundMessage
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.priority import Priority
from tickets.selectors import journal_for


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


def _change_url(case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def _transition_url(case, name: str) -> str:
    return reverse("admin:cases_case_transition", args=[case.pk, name])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_case_page_offers_the_transitions_available_to_the_agent(agent_client, case):
    """§5.12: a New case can be started, resolved or cancelled; state itself is read-only."""
    response = agent_client.get(_change_url(case))

    assert response.status_code == 200
    names = [button["name"] for button in response.context["transitions"]]
    assert names == ["start", "resolve", "cancel"]
    html = response.content.decode()
    assert f"{_transition_url(case, 'start')}?expected_state=new" in html
    assert 'name="state"' not in html
    assert "state" not in response.context["adminform"].form.fields


def test_hold_needs_a_reason_and_then_holds(agent_client, agent, case):
    """§5.12: On Hold carries one of the hold reasons."""
    case_transition(case=case, actor=agent, name="start")
    url = _transition_url(case, "hold")

    refused = agent_client.post(url, {"expected_state": "in_progress", "reason": ""})
    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"] == ["Choose a hold reason."]

    response = agent_client.post(
        url, {"expected_state": "in_progress", "reason": Case.HoldReason.AWAITING_VENDOR}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.ON_HOLD
    assert case.hold_reason == Case.HoldReason.AWAITING_VENDOR


def test_resolve_without_notes_shows_an_error_not_500(agent_client, agent, case):
    """§10.3: resolving needs resolution notes; the form says so and nothing changes."""
    case_transition(case=case, actor=agent, name="start")

    response = agent_client.post(
        _transition_url(case, "resolve"), {"expected_state": "in_progress", "notes": "  "}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["notes"] == ["Resolution notes are required."]
    assert "Write resolution notes before resolving." in _messages(response)
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS


def test_resolve_with_notes_and_code_resolves(agent_client, agent, case):
    """§10.3: resolved with notes (and a code); the caller is notified."""
    case_transition(case=case, actor=agent, name="start")

    response = agent_client.post(
        _transition_url(case, "resolve"),
        {"expected_state": "in_progress", "notes": "Certificate renewed.", "code": "fixed"},
        follow=True,
    )

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED
    assert (case.resolution_notes, case.resolution_code) == ("Certificate renewed.", "fixed")
    assert f"{case.number} is now Resolved." in _messages(response)


def test_cancel_needs_a_reason(agent_client, case):
    """DESIGN §2: any open ticket may be cancelled, with a reason."""
    response = agent_client.post(_transition_url(case, "cancel"), {"expected_state": "new"})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Choose a cancel reason."]

    agent_client.post(
        _transition_url(case, "cancel"), {"expected_state": "new", "reason": "duplicate"}
    )
    case.refresh_from_db()
    assert case.state == Case.State.CANCELLED and case.cancel_reason == "duplicate"


def test_transition_not_allowed_from_this_state_shows_a_message_not_500(agent_client, case):
    """§5.12: only an On Hold ticket resumes; a crafted POST on a New case is refused."""
    response = agent_client.post(
        _transition_url(case, "resume"), {"expected_state": "new"}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == _change_url(case)
    assert any("can't resume" in message for message in _messages(response))
    case.refresh_from_db()
    assert case.state == Case.State.NEW


def test_unknown_transition_shows_a_message_not_500(agent_client, case):
    response = agent_client.post(
        _transition_url(case, "explode"), {"expected_state": "new"}, follow=True
    )

    assert response.status_code == 200
    assert any("not something a case can do" in message for message in _messages(response))


def test_stale_expected_state_is_changed_by_someone_else(agent_client, agent, case):
    """docs/conventions.md §3: the agent saw New, a colleague started it meanwhile; the hold is
    refused as "changed by someone else", and the case keeps the colleague's change."""
    page = agent_client.get(_change_url(case))
    seen = page.context["original"].state
    case_transition(case=case, actor=agent, name="start")

    response = agent_client.post(
        _transition_url(case, "cancel"),
        {"expected_state": seen, "reason": "raised_in_error"},
        follow=True,
    )

    assert response.status_code == 200
    assert any("changed by someone else" in message for message in _messages(response))
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS


def test_setting_impact_and_urgency_shows_the_computed_priority(agent_client, case):
    """§3.8: impact High and urgency Medium give P2; the desk sets them, the matrix decides."""
    response = agent_client.post(_change_url(case), {"impact": 1, "urgency": 2, "_continue": "1"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.impact, case.urgency, case.priority) == (1, 2, Priority.P2)
    page = agent_client.get(response["Location"])
    html = page.content.decode()
    assert "P2 — 1 day" in html
    assert any("P2 — 1 day" in message for message in _messages(page))
    entry = journal_for(case, include_work_notes=True).filter(kind=JournalEntry.Kind.SYSTEM).last()
    assert "Priority set to P2" in entry.body


def test_impact_without_urgency_is_refused_on_the_form(agent_client, case):
    """§3.8: priority comes from impact and urgency together."""
    response = agent_client.post(_change_url(case), {"impact": 1, "urgency": ""})

    assert response.status_code == 200
    assert "Set both impact and urgency" in response.content.decode()
    case.refresh_from_db()
    assert case.priority is None


def test_participant_fields_are_read_only(agent_client, case):
    """§3.2: what the participant wrote stays theirs; a POST cannot change it."""
    agent_client.post(
        _change_url(case),
        {"impact": 3, "urgency": 3, "short_description": "Changed", "state": "closed"},
    )

    case.refresh_from_db()
    assert case.short_description != "Changed"
    assert case.state == Case.State.NEW
    assert case.priority == Priority.P4


def test_work_note_stays_with_the_desk_and_comment_reaches_the_caller(
    agent_client, case, django_capture_on_commit_callbacks
):
    """Appendix G: customer-visible comments notify the caller; work notes never leave the desk."""
    url = reverse("admin:cases_case_comment", args=[case.pk])
    before = OutboundMessage.objects.filter(template="case_comment_added").count()

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"kind": "work_note", "body": "Checked DIP logs: cert expired."})
    assert OutboundMessage.objects.filter(template="case_comment_added").count() == before

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"kind": "comment", "body": "We are renewing the certificate."})
    assert (
        OutboundMessage.objects.filter(
            template="case_comment_added", to_email=case.caller.email
        ).count()
        == before + 1
    )

    entries = journal_for(case, include_work_notes=True)
    assert entries.get(kind=JournalEntry.Kind.WORK_NOTE).body == "Checked DIP logs: cert expired."
    assert entries.get(kind=JournalEntry.Kind.COMMENT).body == "We are renewing the certificate."
    page = agent_client.get(_change_url(case)).content.decode()
    assert "journal-work_note" in page and "Work note (desk only)" in page
    assert "journal-comment" in page and "Customer-visible comment" in page


def test_empty_comment_shows_a_message_not_500(agent_client, case):
    response = agent_client.post(
        reverse("admin:cases_case_comment", args=[case.pk]),
        {"kind": "comment", "body": ""},
        follow=True,
    )

    assert response.status_code == 200
    assert "Write something before adding it." in _messages(response)


def test_history_lists_changes_and_offers_no_revert(agent_client, agent, case):
    """§10.5.3: every change is audited; the console shows history but never reverts state."""
    case_transition(case=case, actor=agent, name="start")

    response = agent_client.get(reverse("admin:cases_case_history", args=[case.pk]))

    assert response.status_code == 200
    assert response.context["revert_disabled"] is True
    records = list(response.context["page_obj"].object_list)
    assert len(records) >= 2
    assert "In Progress" in response.content.decode()
    version = case.history.earliest()
    url = reverse("admin:cases_case_simple_history", args=[case.pk, version.history_id])
    assert agent_client.post(url, {"impact": 1, "urgency": 1}).status_code == 403
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS
