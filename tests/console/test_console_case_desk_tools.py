"""The console case page's desk tools (issue 10, point 18): the reply to the caller under the
case's header, the resolution code from a list (§10.3, §6.5), a warning before resolving or
closing a case whose incident is still open (§5.5 steps 14–15), and the priority matrix with
the chosen impact × urgency marked (§3.8)."""

import re

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services import case_raise_incident, case_transition
from comms.models import OutboundMessage
from incidents.models import Incident
from incidents.services import incident_transition
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.selectors import journal_for


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


@pytest.fixture
def case_with_incident(case, agent, resolver_group):
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    case.refresh_from_db()
    return case, incident


def _change_url(case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def _transition_url(case, name: str) -> str:
    return reverse("admin:cases_case_transition", args=[case.pk, name])


# --- reply to the caller ---


def test_reply_box_comes_right_under_the_case_header(agent_client, case):
    """The reply to the caller is the first thing under the header and buttons, above the
    facts, the SLA panel and the journal; it is a customer-visible comment."""
    html = agent_client.get(_change_url(case)).content.decode()

    reply = html.index('id="reply-to-caller"')
    assert html.index('class="object-tools"') < reply
    assert reply < html.index("Raised by the participant") < html.index('id="journal"')
    form = re.search(r'<form [^>]*id="reply-to-caller".*?</form>', html, re.S).group(0)
    assert f'action="{reverse("admin:cases_case_comment", args=[case.pk])}"' in form
    assert '<input type="hidden" name="kind" value="comment">' in form
    assert '<label for="reply-to-caller-body">' in form and 'name="body"' in form


def test_reply_reaches_the_caller_as_a_customer_visible_comment(
    agent_client, case, django_capture_on_commit_callbacks
):
    """Appendix G: what the desk replies is a comment the caller sees and is emailed about."""
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            reverse("admin:cases_case_comment", args=[case.pk]),
            {"kind": "comment", "body": "We have renewed the certificate; please retry."},
        )

    assert response.status_code == 302
    entry = journal_for(case, include_work_notes=True).get(kind=JournalEntry.Kind.COMMENT)
    assert entry.body == "We have renewed the certificate; please retry."
    assert OutboundMessage.objects.filter(
        template="case_comment_added", to_email=case.caller.email
    ).exists()


def test_reader_without_change_permission_gets_no_reply_box(case, resolver_client):
    """A resolver may read a case only through their group's incident; they never reply."""
    response = resolver_client.get(_change_url(case))
    assert 'id="reply-to-caller"' not in response.content.decode()


# --- resolution code from a list ---


def test_resolve_form_offers_the_resolution_codes_as_a_select(agent_client, agent, case):
    case_transition(case=case, actor=agent, name="start")

    html = agent_client.get(_transition_url(case, "resolve")).content.decode()

    select = re.search(r'<select name="code"[^>]*>(.*?)</select>', html, re.S)
    assert select, html
    values = re.findall(r'<option value="([^"]*)"', select.group(1))
    assert values == ["", *Case.ResolutionCode.values]
    assert "Known error — permanent fix to follow" in select.group(1)


def test_a_resolution_code_not_on_the_list_is_refused(agent_client, agent, case):
    """Validated in the service: a crafted POST with a free-text code changes nothing."""
    case_transition(case=case, actor=agent, name="start")

    response = agent_client.post(
        _transition_url(case, "resolve"),
        {"expected_state": "in_progress", "notes": "Renewed.", "code": "fixed it"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.resolution_code == ""


def test_the_service_refuses_a_code_not_on_the_list(agent, case):
    from core.errors import ValidationFailed

    case_transition(case=case, actor=agent, name="start")
    with pytest.raises(ValidationFailed) as refused:
        case_transition(case=case, actor=agent, name="resolve", notes="Renewed.", code="fixed")
    assert refused.value.field_errors == {"code": ["Choose a resolution code from the list."]}


def test_the_case_page_shows_the_resolution_code_by_its_label(agent_client, agent, case):
    case = case_transition(case=case, actor=agent, name="start")
    case_transition(case=case, actor=agent, name="resolve", notes="Renewed.", code="workaround")

    html = agent_client.get(_change_url(case)).content.decode()

    assert re.search(r'<dd class="field-resolution_code">Workaround provided', html)


# --- warning before resolving or closing while the incident is open ---


def test_resolving_while_the_incident_is_open_asks_the_agent_to_confirm(
    agent_client, case_with_incident
):
    case, incident = case_with_incident
    url = _transition_url(case, "resolve")

    page = agent_client.get(url, {"expected_state": "in_progress"}).content.decode()
    warning = re.search(r'<section class="console-warning".*?</section>', page, re.S).group(0)
    assert incident.number in warning and "still open (New)" in warning
    assert 'name="confirm"' in page

    refused = agent_client.post(url, {"expected_state": "in_progress", "notes": "Renewed."})
    assert refused.status_code == 200
    assert refused.context["form"].errors["confirm"] == [
        "Tick the box to resolve it despite the warning."
    ]
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS

    confirmed = agent_client.post(
        url, {"expected_state": "in_progress", "notes": "Renewed.", "confirm": "on"}
    )
    assert confirmed.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED


def test_closing_while_the_incident_is_open_asks_the_agent_to_confirm(
    agent_client, agent, case_with_incident
):
    case, incident = case_with_incident
    case = case_transition(case=case, actor=agent, name="resolve", notes="Renewed.")
    url = _transition_url(case, "close")

    page = agent_client.get(url).content.decode()
    assert "console-warning" in page and incident.number in page

    refused = agent_client.post(url, {"expected_state": "resolved"})
    assert refused.status_code == 200
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED

    agent_client.post(url, {"expected_state": "resolved", "confirm": "on"})
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED


def test_no_warning_once_the_incident_is_resolved(
    agent_client, agent, resolver, case_with_incident
):
    case, incident = case_with_incident
    incident = incident_transition(incident=incident, actor=resolver, name="start")
    # A case On Hold is left alone by the incident's resolution (§5.5: only cases being worked).
    case_transition(case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_VENDOR)
    incident_transition(
        incident=incident, actor=resolver, name="resolve", notes="Fixed.", code="solved"
    )
    assert Incident.objects.get(pk=incident.pk).state == Incident.State.RESOLVED
    case = case_transition(case=Case.objects.get(pk=case.pk), actor=agent, name="resume")

    page = agent_client.get(_transition_url(case, "resolve")).content.decode()
    assert "console-warning" not in page and 'name="confirm"' not in page
    response = agent_client.post(
        _transition_url(case, "resolve"), {"expected_state": "in_progress", "notes": "Done."}
    )
    assert response.status_code == 302


def test_no_warning_without_an_incident_or_on_other_actions(agent_client, case_with_incident):
    case, _incident = case_with_incident
    page = agent_client.get(_transition_url(case, "hold")).content.decode()
    assert "console-warning" not in page

    plain = CaseFactory(caller=case.caller)
    page = agent_client.get(_transition_url(plain, "resolve")).content.decode()
    assert "console-warning" not in page


# --- the priority matrix ---


def _chosen_cells(html: str) -> list[tuple[str, str]]:
    return re.findall(
        r'<td class="console-matrix-chosen" aria-current="true" '
        r'data-impact="(\d)" data-urgency="(\d)">[^<]*</td>',
        html,
    )


def test_case_page_matrix_marks_the_chosen_impact_and_urgency(agent_client, agent, case):
    html = agent_client.get(_change_url(case)).content.decode()
    assert "data-priority-matrix" in html and _chosen_cells(html) == []

    agent_client.post(_change_url(case), {"impact": 1, "urgency": 2, "_continue": "1"})
    html = agent_client.get(_change_url(case)).content.decode()

    assert _chosen_cells(html) == [("1", "2")]
    cell = re.search(r'<td class="console-matrix-chosen"[^>]*>([^<]*)</td>', html).group(1)
    assert cell == "P2 — 1 day"
    # Inside the classification form, so the mark follows the selects before saving.
    form = re.search(r'<form [^>]*id="case_form".*?</form>', html, re.S).group(0)
    assert "data-priority-matrix" in form and 'name="impact"' in form


def test_incident_and_triage_pages_use_the_same_matrix(agent_client, case_with_incident):
    _case, incident = case_with_incident
    html = agent_client.get(
        reverse("admin:incidents_incident_change", args=[incident.pk])
    ).content.decode()
    assert _chosen_cells(html) == [("2", "2")]

    fresh = CaseFactory(caller=_case.caller)
    html = agent_client.get(reverse("admin:cases_case_triage", args=[fresh.pk])).content.decode()
    assert "data-priority-matrix" in html and _chosen_cells(html) == []
