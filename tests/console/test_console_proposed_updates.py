"""The console's side of desk-checked customer updates (§10.3, Appendix G): the "Awaiting
update" queue, the proposal on the case page, and its Send / Send and resolve / Discard."""

import html as html_lib

import pytest
from django.urls import reverse

from cases.models import Case, ProposedUpdate
from cases.services import case_raise_incident
from incidents.services import incident_transition
from tests.conftest import mfa_client
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.selectors import journal_for

RAW = "Restarted pod dip-adaptor-7f9c on node 2 after OOM."
EDITED = "We fixed the fault in the message service; your messages flow again."
QUEUE = "admin:cases_case_update_queue"


def _change_url(case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def _act_url(case, proposal) -> str:
    return reverse("admin:cases_case_proposed_update", args=[case.pk, proposal.pk])


def _resolved_incident_case(caller, agent, resolver, group, notes=RAW):
    case = CaseFactory(caller=caller)
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=group, impact=2, urgency=2
    )
    incident = incident_transition(incident=incident, actor=resolver, name="start")
    incident_transition(
        incident=incident, actor=resolver, name="resolve", notes=notes, code="solved"
    )
    case.refresh_from_db()
    return case, ProposedUpdate.objects.get(case=case)


@pytest.fixture
def proposed(org_user, agent, resolver, resolver_group):
    return _resolved_incident_case(org_user, agent, resolver, resolver_group)


def test_queue_lists_cases_awaiting_an_update_with_a_review_link(agent_client, proposed):
    """Appendix G: the cases whose incident has something for the caller, in their own
    queue, each linking to the proposal on the case page."""
    case, proposal = proposed
    response = agent_client.get(reverse(QUEUE))

    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.index(f'data-case="{case.number}"') :].split("</tr>")[0]
    assert case.short_description in row and proposal.incident.number in row
    assert "Resolution" in row and "In Progress" in row
    assert f"{_change_url(case)}#proposed-updates" in row
    assert RAW not in html  # the queue lists; the text is read on the case page
    assert "1</strong> update awaiting review" in html


def test_queue_says_when_nothing_awaits_review(agent_client):
    response = agent_client.get(reverse(QUEUE))
    assert response.status_code == 200
    assert "Nothing awaits review" in response.content.decode()


def test_queue_is_linked_from_the_console_navigation(agent_client):
    html = agent_client.get(reverse("admin:index")).content.decode()
    assert f'href="{reverse(QUEUE)}" class="console-nav-updates"' in html


def test_participants_and_signed_out_visitors_never_reach_the_queue(org_client, client):
    for visitor in (org_client, client):
        response = visitor.get(reverse(QUEUE))
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("size", [2, 20])
def test_queue_query_count_is_constant(
    size, agent_client, org_user, agent, resolver, resolver_group, django_assert_num_queries
):
    """docs/conventions.md §7: the queue costs the same with 2 or 20 proposals."""
    for _ in range(size):
        _resolved_incident_case(org_user, agent, resolver, resolver_group)
    agent_client.get(reverse(QUEUE))  # warm the session and the access cache
    # 1 session, 2 user, 3 the capped count of pending proposals, 4 the page of proposals
    # with their case, organisation and incident joined. Permissions (the agent sees every
    # case), TOTP and the bell's count come from the cache.
    with django_assert_num_queries(4):
        response = agent_client.get(reverse(QUEUE))
    assert response.content.decode().count("data-case=") == size


def test_case_page_shows_the_proposal_in_an_editable_box_with_its_buttons(agent_client, proposed):
    case, proposal = proposed
    response = agent_client.get(_change_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    section = html[html.index('id="proposed-updates"') :].split("</section>")[0]
    assert f'<textarea name="update-{proposal.pk}-text"' in section
    assert html_lib.escape(RAW) in section
    assert '<option value="solved" selected>' in section  # the incident's code, prefilled
    for label in ("Send to caller", "Send and resolve", "Discard"):
        assert label in section
    assert _act_url(case, proposal) in section
    assert f'href="{reverse(QUEUE)}"' in section  # back to the queue


def test_an_update_offers_no_send_and_resolve(agent_client, proposed, resolver):
    case, proposal = proposed
    proposal.kind = ProposedUpdate.Kind.UPDATE
    proposal.save()
    html = agent_client.get(_change_url(case)).content.decode()
    assert "Send to caller" in html and "Send and resolve" not in html


def test_view_only_staff_do_not_get_the_proposal(change_manager, proposed):
    """§10.4: only the desk, who may send, reviews proposals."""
    case, _ = proposed
    html = mfa_client(change_manager).get(_change_url(case)).content.decode()
    assert 'id="proposed-updates"' not in html and RAW not in html


def test_case_without_an_incident_has_no_proposal_section(agent_client, org_user):
    case = CaseFactory(caller=org_user)
    html = agent_client.get(_change_url(case)).content.decode()
    assert 'id="proposed-updates"' not in html


def test_agent_edits_sends_and_resolves(
    agent_client, proposed, agent, django_capture_on_commit_callbacks
):
    """§10.3: the desk's words become the resolution; the caller is asked to confirm."""
    case, proposal = proposed
    prefix = f"update-{proposal.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            _act_url(case, proposal),
            {
                f"{prefix}-text": EDITED,
                f"{prefix}-code": "solved",
                f"{prefix}-action": "send_resolve",
            },
            follow=True,
        )

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert f"Update sent to the caller and {case.number} resolved" in messages[0]
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED
    assert (case.resolution_notes, case.resolution_code) == (EDITED, "solved")
    proposal.refresh_from_db()
    assert proposal.status == ProposedUpdate.Status.SENT and proposal.decided_by == agent
    assert 'id="proposed-updates"' not in response.content.decode()


def test_agent_sends_as_proposed_without_resolving(agent_client, proposed):
    case, proposal = proposed
    prefix = f"update-{proposal.pk}"
    agent_client.post(_act_url(case, proposal), {f"{prefix}-text": RAW, f"{prefix}-action": "send"})
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS
    visible = journal_for(case, include_work_notes=False).filter(kind=JournalEntry.Kind.COMMENT)
    assert list(visible.values_list("body", flat=True)) == [RAW]


def test_agent_discards(agent_client, proposed):
    case, proposal = proposed
    prefix = f"update-{proposal.pk}"
    response = agent_client.post(
        _act_url(case, proposal), {f"{prefix}-text": RAW, f"{prefix}-action": "discard"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposedUpdate.Status.DISCARDED
    assert RAW not in " ".join(
        journal_for(case, include_work_notes=False).values_list("body", flat=True)
    )


def test_empty_text_comes_back_next_to_the_box(agent_client, proposed):
    """Bad input is never a 500: the case page again (400), the error by its field."""
    case, proposal = proposed
    prefix = f"update-{proposal.pk}"
    response = agent_client.post(
        _act_url(case, proposal),
        {f"{prefix}-text": "  ", f"{prefix}-code": "solved", f"{prefix}-action": "send_resolve"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    section = html[html.index('id="proposed-updates"') :].split("</section>")[0]
    assert "Write the update before sending it." in section
    assert section.index("errorlist") < section.index(f'name="{prefix}-text"')
    # The case facts' form still saves to the case page, not to the proposal's URL.
    assert f'action="{_change_url(case)}"' in html
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS


def test_an_unknown_action_is_refused_without_a_500(agent_client, proposed):
    case, proposal = proposed
    prefix = f"update-{proposal.pk}"
    response = agent_client.post(
        _act_url(case, proposal), {f"{prefix}-text": RAW, f"{prefix}-action": "shout"}
    )
    assert response.status_code == 400
    assert "Choose send, send and resolve, or discard." in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.status == ProposedUpdate.Status.PENDING


def test_a_proposal_already_dealt_with_is_refused_with_a_message(agent_client, proposed):
    case, proposal = proposed
    prefix = f"update-{proposal.pk}"
    data = {f"{prefix}-text": EDITED, f"{prefix}-action": "send"}
    agent_client.post(_act_url(case, proposal), data)
    response = agent_client.post(_act_url(case, proposal), data, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("already been dealt with" in m for m in messages)
    assert journal_for(case, include_work_notes=False).filter(body=EDITED).count() == 1


def test_a_proposal_of_another_case_is_not_acted_on(agent_client, proposed, org_user):
    case, proposal = proposed
    other = CaseFactory(caller=org_user)
    prefix = f"update-{proposal.pk}"
    response = agent_client.post(
        _act_url(other, proposal), {f"{prefix}-text": EDITED, f"{prefix}-action": "send"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposedUpdate.Status.PENDING


def test_resolvers_cannot_send_from_the_console(resolver_client, proposed):
    """Appendix G: resolvers' words reach the caller through the desk only."""
    case, proposal = proposed
    prefix = f"update-{proposal.pk}"
    resolver_client.post(
        _act_url(case, proposal), {f"{prefix}-text": RAW, f"{prefix}-action": "send"}
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposedUpdate.Status.PENDING


def test_resolver_writes_a_caller_update_on_the_incident_page(
    resolver_client, org_user, agent, resolver_group
):
    """Appendix G: an update for the callers written on the incident becomes a proposal."""
    case = CaseFactory(caller=org_user)
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    url = reverse("admin:incidents_incident_work_note", args=[incident.pk])

    response = resolver_client.post(
        url, {"kind": "caller_update", "body": "Rollback at 14:00."}, follow=True
    )

    messages = [str(m) for m in response.context["messages"]]
    assert "the service desk checks it before any caller sees it" in messages[0]
    proposal = ProposedUpdate.objects.get(case=case)
    assert proposal.kind == ProposedUpdate.Kind.UPDATE
    assert proposal.proposed_text == "Rollback at 14:00."
    resolver_client.post(url, {"kind": "work_note", "body": "Heap dump taken."})
    assert ProposedUpdate.objects.count() == 1
