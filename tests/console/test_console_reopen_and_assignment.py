"""The console's reopen queue and its decisions (§10.3), assignment with "assigned to me"
(Appendix G), and the category while the case is assessed (§5.17): each a POST to a small
view that calls one service; refusals are messages, never a 500."""

import pytest
from django.urls import reverse

from accounts import roles
from cases.assessment import case_assign
from cases.models import Case, ReopenRequest
from cases.services import case_comment_add, case_transition
from incidents.models import Incident
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory, category
from tickets.models import JournalEntry, TicketLink
from tickets.selectors import journal_for

QUEUE = "admin:cases_case_reopen_queue"


def _change_url(case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def closed(case, agent):
    case = case_transition(case=case, actor=agent, name="start")
    case = case_transition(case=case, actor=agent, name="resolve", notes="Fixed.")
    return case_transition(case=case, actor=agent, name="close")


@pytest.fixture
def requested(org_user, agent):
    """A Closed case whose caller has asked to reopen it."""
    case = closed(CaseFactory(caller=org_user, short_description="DIP rejections"), agent)
    case_comment_add(case=case, actor=org_user, body="The rejections are back.")
    return case


@pytest.fixture
def colleague(db):
    return UserFactory(
        email="carl.colleague@mhhs.example",
        full_name="Carl Colleague",
        is_staff=True,
        roles=[roles.SERVICE_DESK_AGENT],
    )


# --- the reopen queue -----------------------------------------------------------------------


def test_queue_lists_requests_with_both_answers(agent_client, requested):
    """§10.3: each waiting request with the participant's words, a reopen button and a
    raise-a-new-case button; linked from the case list and the console home."""
    response = agent_client.get(reverse(QUEUE))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-case="{requested.number}"' in html
    assert "The rejections are back." in html
    assert 'value="reopen"' in html and 'value="new_case"' in html
    assert (
        reverse(QUEUE) in agent_client.get(reverse("admin:cases_case_changelist")).content.decode()
    )
    index = agent_client.get(reverse("admin:index")).content.decode()
    assert reverse(QUEUE) in index and 'console-count-reopen">1<' in index


def test_empty_queue_says_so(agent_client):
    html = agent_client.get(reverse(QUEUE)).content.decode()
    assert "No requests to reopen: nothing is waiting." in html


def test_queue_is_for_the_desk(resolver_client, requested):
    assert resolver_client.get(reverse(QUEUE)).status_code == 403


@pytest.mark.parametrize("size", [2, 20])
def test_queue_query_count_is_constant(
    agent_client, org_user, agent, size, django_assert_num_queries
):
    """docs/conventions.md §7: a count and a page, whatever the size."""
    for index in range(size):
        case = closed(CaseFactory(caller=org_user), agent)
        case_comment_add(case=case, actor=org_user, body=f"Back again {index}.")
    agent_client.get(reverse(QUEUE))  # warm the session and the access cache
    # session, user (TOTP from the access cache); the count of waiting requests (capped); the
    # page of requests with their case, organisation and requester joined.
    with django_assert_num_queries(4):
        response = agent_client.get(reverse(QUEUE))
    assert len(response.context["rows"]) == size


def test_agent_reopens_from_the_queue(agent_client, requested):
    request = ReopenRequest.objects.get()
    response = agent_client.post(
        reverse("admin:cases_case_reopen_decide", args=[request.pk]),
        {"decision": "reopen", "next": reverse(QUEUE)},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse(QUEUE)
    assert f"{requested.number} is reopened (In Progress)" in " ".join(_messages(response))
    requested.refresh_from_db()
    assert requested.state == Case.State.IN_PROGRESS
    assert ReopenRequest.objects.get().status == ReopenRequest.Status.REOPENED


def test_agent_raises_a_new_linked_case_from_the_case_page(agent_client, requested):
    """The closed case's page shows the waiting request with the same two answers."""
    html = agent_client.get(_change_url(requested)).content.decode()
    assert 'id="reopen-request"' in html and "The rejections are back." in html
    request = ReopenRequest.objects.get()
    response = agent_client.post(
        reverse("admin:cases_case_reopen_decide", args=[request.pk]),
        {"decision": "new_case", "next": _change_url(requested)},
        follow=True,
    )
    new = Case.objects.exclude(pk=requested.pk).get()
    assert f"{new.number} raised and linked to {requested.number}" in " ".join(_messages(response))
    assert TicketLink.objects.filter(kind="follow_up", from_id=requested.pk, to_id=new.pk).exists()
    requested.refresh_from_db()
    assert requested.state == Case.State.CLOSED
    assert 'id="reopen-request"' not in response.content.decode()


def test_a_second_answer_is_refused_with_a_message(agent_client, agent, requested):
    request = ReopenRequest.objects.get()
    url = reverse("admin:cases_case_reopen_decide", args=[request.pk])
    agent_client.post(url, {"decision": "reopen"})
    response = agent_client.post(url, {"decision": "new_case"}, follow=True)
    assert response.status_code == 200
    assert "already been answered" in " ".join(_messages(response))
    assert Case.objects.count() == 1


def test_bad_decisions_are_messages(agent_client, requested):
    request = ReopenRequest.objects.get()
    url = reverse("admin:cases_case_reopen_decide", args=[request.pk])
    response = agent_client.post(url, {"decision": "delete"}, follow=True)
    assert "Choose to reopen the case or raise a new one." in " ".join(_messages(response))
    response = agent_client.post(
        reverse("admin:cases_case_reopen_decide", args=[999999]), {"decision": "reopen"}
    )
    assert response.status_code == 302
    assert agent_client.get(url).status_code == 302
    # An outside `next` is not followed.
    response = agent_client.post(url, {"decision": "x", "next": "https://evil.example/"})
    assert response["Location"] == reverse(QUEUE)
    assert ReopenRequest.objects.get().status == ReopenRequest.Status.PENDING


def test_a_closed_case_offers_no_plain_reopen_button(agent_client, requested):
    """Reopening answers the request (§10.3); the lifecycle buttons do not offer it."""
    response = agent_client.get(_change_url(requested))
    assert "reopen" not in [button["name"] for button in response.context["transitions"]]


def test_resolvers_cannot_answer(resolver_client, requested):
    request = ReopenRequest.objects.get()
    response = resolver_client.post(
        reverse("admin:cases_case_reopen_decide", args=[request.pk]), {"decision": "reopen"}
    )
    assert response.status_code == 403
    assert ReopenRequest.objects.get().status == ReopenRequest.Status.PENDING


# --- assignment -----------------------------------------------------------------------------


def test_agent_assigns_the_case_to_themselves(agent_client, agent, org_user):
    case = CaseFactory(caller=org_user)
    html = agent_client.get(_change_url(case)).content.decode()
    assert 'id="assignment"' in html and 'value="me"' in html
    response = agent_client.post(
        reverse("admin:cases_case_assign", args=[case.pk]), {"assign_to": "me"}, follow=True
    )
    assert f"{case.number} is assigned to you." in " ".join(_messages(response))
    case.refresh_from_db()
    assert case.assigned_to == agent
    assert 'value="me"' not in response.content.decode()


def test_agent_assigns_the_case_to_a_colleague(agent_client, org_user, colleague):
    case = CaseFactory(caller=org_user)
    url = reverse("admin:cases_case_assign", args=[case.pk])
    page = agent_client.get(url)
    assert page.status_code == 200 and "Carl Colleague" in page.content.decode()
    response = agent_client.post(url, {"assigned_to": colleague.pk}, follow=True)
    assert response.redirect_chain[-1][0].startswith(_change_url(case))
    case.refresh_from_db()
    assert case.assigned_to == colleague
    notes = [e.body for e in journal_for(case, include_work_notes=True).filter(kind="work_note")]
    assert notes == ["Assigned to Carl Colleague."]


def test_assigning_to_someone_off_the_desk_is_a_form_error(agent_client, org_user, resolver):
    case = CaseFactory(caller=org_user)
    response = agent_client.post(
        reverse("admin:cases_case_assign", args=[case.pk]), {"assigned_to": resolver.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["assigned_to"]
    case.refresh_from_db()
    assert case.assigned_to is None


def test_case_list_filters_assigned_to_me(agent_client, agent, org_user, colleague):
    mine = case_assign(case=CaseFactory(caller=org_user), actor=agent, assigned_to=agent)
    theirs = case_assign(case=CaseFactory(caller=org_user), actor=agent, assigned_to=colleague)
    nobodys = CaseFactory(caller=org_user)
    changelist = reverse("admin:cases_case_changelist")

    def listed(value):
        response = agent_client.get(changelist, {"assignee": value})
        return {case.pk for case in response.context["cl"].result_list}

    assert listed("me") == {mine.pk}
    assert listed("none") == {nobodys.pk}
    assert listed("any") == {mine.pk, theirs.pk}
    html = agent_client.get(changelist).content.decode()
    assert "Assigned to me" in html and "Carl Colleague" in html


def test_resolvers_cannot_assign_cases(resolver_client, resolver, org_user, agent, resolver_group):
    from cases.services import case_raise_incident

    case = CaseFactory(caller=org_user)
    case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    response = resolver_client.post(
        reverse("admin:cases_case_assign", args=[case.pk]), {"assign_to": "me"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.assigned_to is None


# --- category while assessing ---------------------------------------------------------------


def test_agent_changes_the_category_on_the_case_page(agent_client, org_user):
    case = CaseFactory(caller=org_user, category_name="Market Systems")
    html = agent_client.get(_change_url(case)).content.decode()
    assert 'id="category"' in html
    response = agent_client.post(
        reverse("admin:cases_case_category", args=[case.pk]),
        {"category": category("Data Submission").pk, "next": _change_url(case)},
        follow=True,
    )
    assert f"{case.number} is now in Data Submission (was Market Systems)." in " ".join(
        _messages(response)
    )
    case.refresh_from_db()
    assert case.category == category("Data Submission")
    assert JournalEntry.objects.filter(
        kind="work_note", body="Category changed from Market Systems to Data Submission."
    ).exists()


def test_category_changed_at_triage_goes_to_the_incident(agent_client, org_user, resolver_group):
    """§5.17, §4.1 step 4: the desk corrects the category on the triage page; the incident
    raised next carries it."""
    case = CaseFactory(caller=org_user, category_name="Market Systems")
    triage_url = reverse("admin:cases_case_triage", args=[case.pk])
    assert 'id="category"' in agent_client.get(triage_url).content.decode()
    response = agent_client.post(
        reverse("admin:cases_case_category", args=[case.pk]),
        {"category": category("Security").pk, "next": triage_url},
    )
    assert response["Location"] == triage_url
    agent_client.post(
        triage_url,
        {
            "outcome": "incident",
            "incident-assignment_group": resolver_group.pk,
            "incident-impact": "2",
            "incident-urgency": "2",
        },
    )
    incident = Incident.objects.get()
    assert incident.category == category("Security")


def test_no_category_form_once_resolved_and_a_late_change_is_refused(agent_client, agent, org_user):
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    case = case_transition(case=case, actor=agent, name="resolve", notes="Done.")
    assert 'id="category"' not in agent_client.get(_change_url(case)).content.decode()
    response = agent_client.post(
        reverse("admin:cases_case_category", args=[case.pk]),
        {"category": category("Security").pk},
        follow=True,
    )
    assert "only be changed while the desk is assessing it" in " ".join(_messages(response))
    response = agent_client.post(
        reverse("admin:cases_case_category", args=[case.pk]), {"category": "nope"}, follow=True
    )
    assert "Choose a category from the list." in " ".join(_messages(response))
    case.refresh_from_db()
    assert case.category == category("Market Systems")
