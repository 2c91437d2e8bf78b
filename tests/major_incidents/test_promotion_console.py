"""The console's major-incident candidates (§5.8–5.11): the review queue, the review page with
the §5.8 criteria and §5.9 thresholds, accept and reject from it, proposing from the incident
page, and reporting a suspected cyber incident (§5.11 step 1)."""

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from major_incidents.models import MajorIncident, MajorIncidentCandidate, ValidityCriterion
from major_incidents.promotion import CRITERION_TYPES, incident_panel_context
from tests.conftest import _staff, mfa_client
from tests.factories.accounts import OrganisationFactory, UserFactory
from tests.factories.cases import CaseFactory
from tests.factories.incidents import raised_incident
from tests.factories.promotion import accepted_candidate, all_answers, proposed_candidate
from tickets.models import Service, TicketLink
from tickets.services import ticket_link

QUEUE = "admin:major_incidents_majorincidentcandidate_changelist"
C = ValidityCriterion


@pytest.fixture
def incident(org_user, agent, resolver_group):
    return raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)


@pytest.fixture
def manager_client(incident_manager):
    return mfa_client(incident_manager)


@pytest.fixture
def triage_lead(db):
    return _staff("tess.triage@mhhs.example", roles.SERVICE_DESK_AGENT)


def _review_url(candidate) -> str:
    return reverse("admin:major_incidents_majorincidentcandidate_change", args=[candidate.pk])


def _accept_data(triage_lead, manager, yes=(C.CRITICAL_PROCESS,), **extra) -> dict:
    data = {"decision": "accept"}
    for criterion, answer in all_answers(yes=yes).items():
        data[criterion] = "yes" if answer["met"] else "no"
        data[f"{criterion}_evidence"] = answer["evidence"]
    data.update(
        manager=manager.pk,
        triage_lead=triage_lead.pk,
        public_title="Data Integration Platform unavailable",
        services=[Service.objects.get(code="dip").pk],
        service_status="major_outage",
        **extra,
    )
    return data


def test_the_queue_lists_pending_candidates_oldest_first_with_their_age(
    manager_client, org_user, agent, resolver_group
):
    """§5.11 step 5: the Major Incident Manager's queue, oldest first."""
    first = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    second = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    proposed_candidate(incident=first, actor=agent)
    proposed_candidate(incident=second, actor=agent)
    response = manager_client.get(reverse(QUEUE))
    assert response.status_code == 200
    numbers = [row["candidate"].incident.number for row in response.context["rows"]]
    assert numbers == [first.number, second.number]
    assert "Waiting" in response.content.decode()


def test_a_resolver_sees_only_the_candidates_of_incidents_they_may_see(
    resolver_client, org_user, agent, resolver_group
):
    """§10.4: a resolver's queue holds the candidates of their groups' incidents only."""
    from tests.factories.accounts import ResolverGroupFactory

    theirs = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    other = raised_incident(
        caller=org_user, agent=agent, resolver_group=ResolverGroupFactory(name="Other team")
    )
    proposed_candidate(incident=theirs, actor=agent)
    hidden = proposed_candidate(incident=other, actor=agent)
    response = resolver_client.get(reverse(QUEUE))
    assert [row["candidate"].incident for row in response.context["rows"]] == [theirs]
    refused = resolver_client.get(_review_url(hidden), follow=True)
    assert other.number not in refused.content.decode()


def test_an_empty_queue_says_what_to_do_next(manager_client):
    response = manager_client.get(reverse(QUEUE))
    assert "No candidate awaits review" in response.content.decode()


def test_the_review_page_shows_the_incident_the_criteria_and_the_thresholds(
    manager_client, incident, agent, sibling_user
):
    """§5.8 grouped by the manual's Type, each with yes/no and evidence; §5.9 thresholds in
    the manual's words, evaluated from the data."""
    ticket_link(
        from_ticket=CaseFactory(caller=sibling_user),
        to_ticket=incident,
        kind=TicketLink.Kind.CASE_INCIDENT,
    )
    candidate = proposed_candidate(incident=incident, actor=agent, reason="All suppliers hit")
    response = manager_client.get(_review_url(candidate))
    assert response.status_code == 200
    html = response.content.decode()
    for type_name, criteria in CRITERION_TYPES:
        assert type_name in html
        for criterion in criteria:
            assert criterion.label in html
            assert f'name="{criterion.value}"' in html
            assert f'name="{criterion.value}_evidence"' in html
    assert "All suppliers hit" in html
    assert "Northern Power Metering" in html and "Northern Power Supply" in html
    assert (
        "Affecting more than 10% of market participants or a critical settlement function." in html
    )
    # The incident's organisation and the linked case's, of the three on record.
    assert "2 of 3 organisations (66.67%)" in html
    assert "Expected resolution time exceeds standard SLAs by 50% or more." in html


def test_evaluating_with_an_expected_time_judges_the_duration_threshold(
    manager_client, incident, agent
):
    """§5.9 Duration: the reviewer's expected time against the P3 target (45 working hours)."""
    candidate = proposed_candidate(incident=incident, actor=agent)
    response = manager_client.post(
        _review_url(candidate), {"decision": "evaluate", "expected_resolution_hours": "67.5"}
    )
    assert response.status_code == 200
    duration = {t.key: t for t in response.context["thresholds"]}["duration"]
    assert duration.met
    candidate.refresh_from_db()
    assert candidate.state == MajorIncidentCandidate.State.PROPOSED


def test_promoting_from_the_review_page(
    manager_client, incident, agent, incident_manager, triage_lead
):
    candidate = proposed_candidate(incident=incident, actor=agent)
    response = manager_client.post(
        _review_url(candidate), _accept_data(triage_lead, incident_manager)
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:incidents_incident_change", args=[incident.pk])
    major = MajorIncident.objects.get(incident=incident)
    assert (major.manager, major.triage_lead) == (incident_manager, triage_lead)
    incident.refresh_from_db()
    assert incident.priority == 1


def test_promoting_without_a_criterion_met_is_refused_on_the_page(
    manager_client, incident, agent, incident_manager, triage_lead
):
    candidate = proposed_candidate(incident=incident, actor=agent)
    response = manager_client.post(
        _review_url(candidate), _accept_data(triage_lead, incident_manager, yes=())
    )
    assert response.status_code == 400
    assert "Record at least one validity criterion that is met" in response.content.decode()
    assert not MajorIncident.objects.exists()


def test_a_yes_without_evidence_is_shown_next_to_its_criterion(
    manager_client, incident, agent, incident_manager, triage_lead
):
    candidate = proposed_candidate(incident=incident, actor=agent)
    data = _accept_data(triage_lead, incident_manager, yes=(C.DOWNTIME,))
    data["downtime_evidence"] = ""
    response = manager_client.post(_review_url(candidate), data)
    assert response.status_code == 400
    assert response.context["form"].errors["downtime_evidence"]


def test_rejecting_from_the_review_page(manager_client, incident, agent):
    candidate = proposed_candidate(incident=incident, actor=agent)
    response = manager_client.post(
        _review_url(candidate), {"decision": "reject", "reason": "Single participant"}
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.state == MajorIncidentCandidate.State.REJECTED
    page = manager_client.get(_review_url(candidate))
    assert "Single participant" in page.content.decode()
    assert page.context["form"] is None


def test_an_agent_sees_the_review_but_may_not_decide(agent_client, incident, agent):
    """Only holders of the review permission accept or reject (§5.11 step 5)."""
    candidate = proposed_candidate(incident=incident, actor=agent)
    page = agent_client.get(_review_url(candidate))
    assert page.status_code == 200 and page.context["form"] is None
    response = agent_client.post(_review_url(candidate), {"decision": "reject", "reason": "no"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.state == MajorIncidentCandidate.State.PROPOSED


def test_proposing_from_the_incident_page(agent_client, incident):
    """§5.5 step 3: "Propose as major incident" on the incident page."""
    url = reverse("admin:major_incidents_majorincidentcandidate_propose", args=[incident.pk])
    response = agent_client.post(url, {"reason": "Every supplier's DIP messages fail"})
    assert response.status_code == 302
    candidate = MajorIncidentCandidate.objects.get(incident=incident)
    assert candidate.reason == "Every supplier's DIP messages fail"
    refused = agent_client.post(url, {"reason": ""}, follow=True)
    assert "Say why this may be a major incident." in refused.content.decode()


def test_the_incident_panel_shows_the_state_and_the_propose_form(
    incident, agent, incident_manager, triage_lead
):
    """The panel offers the form while nothing is pending, then the candidacy's state, then
    the major incident once promoted."""

    def panel(user) -> str:
        context = incident_panel_context(incident)
        return render_to_string(
            "admin/major_incidents/_incident_major_panel.html",
            {**context, "perms": PermWrapper(user), "csrf_token": "x"},
        )

    assert "Propose as major incident" in panel(agent)
    candidate = proposed_candidate(incident=incident, actor=agent)
    assert "awaiting the Major Incident Manager" in panel(agent)
    assert "Review the candidate" in panel(incident_manager)
    major = accepted_candidate(
        candidate=candidate,
        actor=incident_manager,
        manager=incident_manager,
        triage_lead=triage_lead,
        yes=[C.DOWNTIME],
    )
    html = panel(agent)
    assert major.number in html and "Propose as major incident" not in html
    assert incident_panel_context(CaseFactory(caller=incident.caller)) == {}


def test_reporting_a_suspected_cyber_incident_from_the_console(
    agent_client, resolver_group, manager_client
):
    """§5.11 step 1: raised by staff directly and flagged in the review queue."""
    url = reverse("admin:major_incidents_majorincidentcandidate_report_cyber")
    assert agent_client.get(url).status_code == 200
    response = agent_client.post(
        url,
        {
            "short_description": "Ransomware note on a DIP server",
            "description": "Called in by the DIP operator.",
            "services": [Service.objects.get(code="dip").pk],
            "assignment_group": resolver_group.pk,
            "impact": 1,
            "urgency": 1,
            "reason": "Suspected ransomware (§2.1.1.1)",
        },
    )
    assert response.status_code == 302
    candidate = MajorIncidentCandidate.objects.get()
    assert candidate.incident.suspected_cyber
    queue = manager_client.get(reverse(QUEUE)).content.decode()
    assert "Suspected cyber incident" in queue
    review = manager_client.get(_review_url(candidate)).content.decode()
    assert review.count("console-criterion-flagged") == 2


def test_a_cyber_report_with_missing_fields_is_shown_again(agent_client):
    url = reverse("admin:major_incidents_majorincidentcandidate_report_cyber")
    response = agent_client.post(url, {"short_description": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]
    assert not MajorIncidentCandidate.objects.exists()


# --- constant queries -----------------------------------------------------------------------


def _count(client, url) -> int:
    client.get(url)  # warm the session and the access cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_for_one_or_many_candidates(
    manager_client, org_user, agent, resolver_group
):
    """docs/conventions.md §7: session, user, the page's count, the page's candidates joined
    with incident, proposer and decider; permissions come from the access cache."""
    counts = []
    for size in (1, 6):
        while MajorIncidentCandidate.objects.count() < size:
            incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
            proposed_candidate(incident=incident, actor=agent)
        counts.append(_count(manager_client, reverse(QUEUE)))
    assert counts == [4, 4]


def test_the_review_page_costs_the_same_however_many_cases_and_organisations(
    manager_client, incident, agent
):
    """docs/conventions.md §7: the linked cases, their organisations and the participant
    count are read in a fixed number of queries."""
    candidate = proposed_candidate(incident=incident, actor=agent)
    counts = []
    for extra in (0, 5):
        for index in range(extra):
            organisation = OrganisationFactory(name=f"Supplier {index}")
            caller = UserFactory(organisation=organisation, roles=[roles.SERVICE_USER])
            ticket_link(
                from_ticket=CaseFactory(caller=caller),
                to_ticket=incident,
                kind=TicketLink.Kind.CASE_INCIDENT,
            )
        counts.append(_count(manager_client, _review_url(candidate)))
    # session, user, the candidate joined with its incident's category, organisation, group,
    # proposer and decider, the incident's visibility, its services, the case links, the
    # linked cases (one query per ticket type), the affected participant organisations, the
    # resolution clock with its definition, the participant count, then the form's choices:
    # services, Major Incident Managers, desk staff.
    assert counts == [13, 13]
