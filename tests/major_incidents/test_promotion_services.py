"""Proposing, accepting and rejecting major-incident candidates (§5.5 step 3, §5.8–5.11,
§5.17), and the suspected cyber incident raised by the desk (§5.11 step 1)."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType

from accounts import roles
from accounts.models import Organisation
from comms.models import Notification, OutboundMessage
from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from incidents.models import Incident, IncidentEngagement
from incidents.services import incident_transition
from major_incidents.models import (
    CriterionAssessment,
    MajorIncident,
    MajorIncidentCandidate,
    ServiceImpact,
    TimelineEntry,
    ValidityCriterion,
)
from major_incidents.promotion import (
    candidate_accept,
    candidate_propose,
    candidate_reject,
    promotion_facts,
    suspected_cyber_incident_report,
)
from sla.models import TicketSLA
from tests.conftest import _staff
from tests.factories.accounts import OrganisationFactory
from tests.factories.cases import CaseFactory
from tests.factories.incidents import opened_major_incident, raised_incident
from tests.factories.promotion import accepted_candidate, all_answers, proposed_candidate
from tickets.models import JournalEntry, Service, TicketLink
from tickets.services import ticket_link

C = ValidityCriterion


@pytest.fixture
def incident(org_user, agent, resolver_group):
    return raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)


@pytest.fixture
def triage_lead(db):
    return _staff("tess.triage@mhhs.example", roles.SERVICE_DESK_AGENT)


def _journal(incident, kind=None):
    entries = JournalEntry.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=incident.pk
    )
    if kind:
        entries = entries.filter(kind=kind)
    return list(entries.values_list("body", flat=True))


# --- proposing ---------------------------------------------------------------------------


def test_any_agent_proposes_an_open_incident_and_the_managers_are_told_at_once(
    incident, agent, incident_manager, service_manager, django_capture_on_commit_callbacks
):
    """§5.5 step 3 and §5.17: an agent proposes with a reason; the Major Incident Managers
    (holders of the review permission) are notified immediately, in the portal and by email."""
    with django_capture_on_commit_callbacks(execute=True):
        candidate = candidate_propose(
            incident=incident, actor=agent, reason="All DIP traffic fails"
        )
    assert candidate.state == MajorIncidentCandidate.State.PROPOSED
    assert (candidate.proposed_by, candidate.reason) == (agent, "All DIP traffic fails")
    told = set(
        Notification.objects.filter(event="major_incident_candidate_proposed").values_list(
            "user__email", flat=True
        )
    )
    assert told == {incident_manager.email, service_manager.email}
    emailed = OutboundMessage.objects.filter(template="major_incident_candidate_proposed")
    assert set(emailed.values_list("to_email", flat=True)) == told
    # The email carries the number and a link, never the reason typed (§10.5.5).
    assert all("All DIP traffic fails" not in m.body_text for m in emailed)
    assert any("All DIP traffic fails" in body for body in _journal(incident, "work_note"))


def test_a_second_proposal_adds_its_reason_to_the_one_awaiting_review(incident, agent, resolver):
    """One pending proposal per incident: a second agent's reason joins the pending review
    instead of opening another."""
    first = candidate_propose(incident=incident, actor=agent, reason="Suppliers cannot submit")
    again = candidate_propose(incident=incident, actor=resolver, reason="LDSOs affected too")
    assert again.pk == first.pk
    assert MajorIncidentCandidate.objects.filter(incident=incident).count() == 1
    again.refresh_from_db()
    assert again.reason.startswith("Suppliers cannot submit")
    assert "Also proposed by" in again.reason and "LDSOs affected too" in again.reason
    assert any("Also proposed as a major incident" in b for b in _journal(incident))


def test_a_proposal_needs_a_reason(incident, agent):
    with pytest.raises(ValidationFailed) as refused:
        candidate_propose(incident=incident, actor=agent, reason="  ")
    assert "reason" in refused.value.field_errors
    assert not MajorIncidentCandidate.objects.exists()


def test_closed_or_cancelled_incidents_are_not_proposed(incident, agent):
    incident_transition(incident=incident, actor=agent, name="cancel", reason="duplicate")
    with pytest.raises(TransitionNotAllowed, match="Cancelled"):
        candidate_propose(incident=incident, actor=agent, reason="Too late")


def test_an_incident_already_major_is_not_proposed(incident, agent, incident_manager):
    major = opened_major_incident(incident=incident, actor=agent, manager=incident_manager)
    with pytest.raises(TransitionNotAllowed, match=major.number):
        candidate_propose(incident=incident, actor=agent, reason="Again")


def test_only_staff_with_the_proposal_permission_propose(incident, org_user, cab_member):
    for outsider in (org_user, cab_member):
        with pytest.raises(ActionNotPermitted):
            candidate_propose(incident=incident, actor=outsider, reason="Big")


def test_a_resolver_cannot_propose_another_groups_incident(org_user, agent):
    from tests.factories.accounts import ResolverGroupFactory

    other_group = ResolverGroupFactory(name="Settlement Operations")
    elsewhere = raised_incident(caller=org_user, agent=agent, resolver_group=other_group)
    outsider = _staff("rob.resolver@mhhs.example", roles.RESOLVER)
    with pytest.raises(TicketNotFound):
        candidate_propose(incident=elsewhere, actor=outsider, reason="Big")


# --- accepting -----------------------------------------------------------------------------


@pytest.mark.parametrize("criterion", list(ValidityCriterion))
def test_each_validity_criterion_is_recorded_in_the_promotion_record(
    incident, agent, incident_manager, triage_lead, criterion
):
    """§5.8 and §5.10: every criterion answered is kept with the candidate, and the one met
    is recorded on the timeline as what triggered the promotion."""
    candidate = proposed_candidate(incident=incident, actor=agent)
    major = accepted_candidate(
        candidate=candidate,
        actor=incident_manager,
        manager=incident_manager,
        triage_lead=triage_lead,
        yes=[criterion],
    )
    stored = {a.criterion: a for a in CriterionAssessment.objects.filter(candidate=candidate)}
    assert set(stored) == set(ValidityCriterion.values)
    assert stored[criterion.value].met and stored[criterion.value].evidence
    assert sum(a.met for a in stored.values()) == 1
    bodies = list(major.timeline.values_list("body", flat=True))
    assert f"Promoted on: {criterion.label}." in " ".join(bodies)


def test_accept_makes_the_incident_p1_and_opens_the_major_incident(
    incident, agent, incident_manager, triage_lead, django_capture_on_commit_callbacks
):
    """§5.11 step 7, §5.7, §5.10: P1 (its resolution clock follows), the major incident with
    its manager, triage lead and services, both engaged on the incident, the triggering
    criteria on the timeline and the journal, and the manager, triage lead and proposer told."""
    candidate = proposed_candidate(incident=incident, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        major = accepted_candidate(
            candidate=candidate,
            actor=incident_manager,
            manager=incident_manager,
            triage_lead=triage_lead,
            yes=[C.CRITICAL_PROCESS, C.CYBERATTACK],
            expected_resolution_hours=12,
        )
    incident.refresh_from_db()
    assert (incident.impact, incident.urgency, incident.priority) == (1, 1, 1)
    live = TicketSLA.objects.get(
        ticket_type=ContentType.objects.get_for_model(Incident),
        ticket_id=incident.pk,
        target_type="resolution",
        cancelled=False,
    )
    assert live.target == timedelta(hours=6)
    assert (major.incident, major.manager, major.triage_lead) == (
        incident,
        incident_manager,
        triage_lead,
    )
    assert major.candidate == candidate
    assert [(i.service.code, i.status) for i in major.service_impacts.all()] == [
        ("dip", ServiceImpact.Status.MAJOR_OUTAGE)
    ]
    engaged = {(e.role, e.person_id) for e in IncidentEngagement.objects.filter(incident=incident)}
    assert engaged == {
        (IncidentEngagement.Role.MAJOR_INCIDENT_MANAGER, incident_manager.pk),
        (IncidentEngagement.Role.TRIAGE_LEAD, triage_lead.pk),
    }
    promoted = major.timeline.filter(kind=TimelineEntry.Kind.PROMOTED)
    assert any(
        "Promoted on: Critical process interruption; Cyberattack or threat detected." in e.body
        for e in promoted
    )
    assert any(major.number in body and "Promoted" in body for body in _journal(incident))
    candidate.refresh_from_db()
    assert candidate.state == MajorIncidentCandidate.State.ACCEPTED
    assert candidate.decided_by == incident_manager
    assert candidate.thresholds["impact"]["met"] is True
    assert candidate.thresholds["security"]["met"] is True
    assert candidate.thresholds["expected_resolution_hours"] == "12"
    told = set(
        Notification.objects.filter(event="major_incident_promoted").values_list(
            "user__email", flat=True
        )
    )
    assert told == {incident_manager.email, triage_lead.email, agent.email}


def test_accept_refused_without_a_criterion_met(incident, agent, incident_manager, triage_lead):
    """§5.10: promotion needs at least one validity criterion met."""
    candidate = proposed_candidate(incident=incident, actor=agent)
    with pytest.raises(ValidationFailed) as refused:
        accepted_candidate(
            candidate=candidate,
            actor=incident_manager,
            manager=incident_manager,
            triage_lead=triage_lead,
            yes=[],
        )
    assert refused.value.message == "Record at least one validity criterion that is met."
    assert not MajorIncident.objects.exists()
    incident.refresh_from_db()
    assert incident.priority != 1


def test_accept_needs_every_criterion_answered_and_evidence_for_each_yes(
    incident, agent, incident_manager, triage_lead
):
    candidate = proposed_candidate(incident=incident, actor=agent)
    answers = all_answers(yes=[C.DOWNTIME])
    del answers[C.SPREAD.value]
    answers[C.DOWNTIME.value]["evidence"] = " "
    with pytest.raises(ValidationFailed) as refused:
        candidate_accept(
            candidate=candidate,
            actor=incident_manager,
            assessments=answers,
            manager=incident_manager,
            triage_lead=triage_lead,
            public_title="DIP down",
            services=list(Service.objects.filter(code="dip")),
            service_status="major_outage",
        )
    assert set(refused.value.field_errors) >= {"spread", "downtime_evidence"}


def test_accept_needs_a_manager_triage_lead_title_and_services(
    incident, agent, incident_manager, resolver
):
    candidate = proposed_candidate(incident=incident, actor=agent)
    with pytest.raises(ValidationFailed) as refused:
        candidate_accept(
            candidate=candidate,
            actor=incident_manager,
            assessments=all_answers(yes=[C.DOWNTIME]),
            manager=resolver,
            triage_lead=None,
            public_title="",
            services=[],
            service_status="nonsense",
            expected_resolution_hours="soon",
        )
    assert set(refused.value.field_errors) == {
        "manager",
        "triage_lead",
        "public_title",
        "services",
        "service_status",
        "expected_resolution_hours",
    }


def test_only_major_incident_managers_accept_or_reject(incident, agent, triage_lead):
    """§5.11 step 5: the Major Incident Manager reviews the promotion request."""
    candidate = proposed_candidate(incident=incident, actor=agent)
    with pytest.raises(ActionNotPermitted):
        accepted_candidate(
            candidate=candidate,
            actor=agent,
            manager=agent,
            triage_lead=triage_lead,
            yes=[C.DOWNTIME],
        )
    with pytest.raises(ActionNotPermitted):
        candidate_reject(candidate=candidate, actor=agent, reason="No")
    candidate.refresh_from_db()
    assert candidate.state == MajorIncidentCandidate.State.PROPOSED


def test_a_decided_candidate_is_not_decided_again(incident, agent, incident_manager, triage_lead):
    candidate = proposed_candidate(incident=incident, actor=agent)
    candidate_reject(candidate=candidate, actor=incident_manager, reason="Single supplier only")
    with pytest.raises(TransitionNotAllowed, match="already been decided"):
        accepted_candidate(
            candidate=candidate,
            actor=incident_manager,
            manager=incident_manager,
            triage_lead=triage_lead,
            yes=[C.DOWNTIME],
        )


def test_a_rejected_incident_can_be_proposed_again(incident, agent, incident_manager):
    first = proposed_candidate(incident=incident, actor=agent)
    candidate_reject(candidate=first, actor=incident_manager, reason="Contained")
    second = proposed_candidate(incident=incident, actor=agent, reason="It spread to LDSOs")
    assert second.pk != first.pk and second.state == MajorIncidentCandidate.State.PROPOSED


# --- rejecting -----------------------------------------------------------------------------


def test_reject_returns_it_to_normal_incident_management_and_tells_the_proposer(
    incident, agent, incident_manager, django_capture_on_commit_callbacks
):
    """§5.11 step 6: not valid, so back to the incident management flow with the reason;
    nothing else on the incident changes."""
    before = (incident.priority, incident.state, incident.assignment_group_id)
    candidate = proposed_candidate(incident=incident, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        rejected = candidate_reject(
            candidate=candidate,
            actor=incident_manager,
            reason="One supplier affected; workaround in place",
            assessments={C.PARTICIPANTS.value: {"met": False, "evidence": ""}},
        )
    assert rejected.state == MajorIncidentCandidate.State.REJECTED
    assert rejected.decision_reason == "One supplier affected; workaround in place"
    # The evaluation is kept as evidence: Northern Power Supply of the two organisations.
    assert rejected.thresholds["impact"]["value"] == "1 of 2 organisations (50%)"
    assert rejected.thresholds["compliance"]["met"] is False
    assert CriterionAssessment.objects.filter(candidate=candidate).count() == 1
    incident.refresh_from_db()
    assert (incident.priority, incident.state, incident.assignment_group_id) == before
    assert not MajorIncident.objects.exists()
    assert any("workaround in place" in body for body in _journal(incident, "work_note"))
    assert Notification.objects.filter(
        user=agent, event="major_incident_candidate_rejected"
    ).exists()


def test_reject_needs_a_reason(incident, agent, incident_manager):
    candidate = proposed_candidate(incident=incident, actor=agent)
    with pytest.raises(ValidationFailed) as refused:
        candidate_reject(candidate=candidate, actor=incident_manager, reason="")
    assert "reason" in refused.value.field_errors


# --- thresholds from the data --------------------------------------------------------------


def test_impact_counts_participant_organisations_of_the_incident_and_its_cases(
    incident, org, sibling_org, unrelated_org, sibling_user, agent
):
    """§5.9 Impact: distinct participant organisations of the incident and its linked cases
    over every active participant organisation; central service providers are not market
    participants and retired organisations do not count."""
    ticket_link(
        from_ticket=CaseFactory(caller=sibling_user),
        to_ticket=incident,
        kind=TicketLink.Kind.CASE_INCIDENT,
    )
    OrganisationFactory(name="Switching Operator", cra_market_role="central_service")
    OrganisationFactory(name="Gone Energy", active=False)
    whole = Organisation.objects.filter(active=True).exclude(cra_market_role="central_service")
    facts = promotion_facts(incident)
    assert facts.affected_organisations == 2
    assert facts.participant_organisations == whole.count() == 4


def test_duration_reads_the_running_resolution_clock(org_user, agent, resolver_group):
    """§5.9 Duration compares with the incident's resolution target: P2 is 24 hours (§3.10)."""
    p2 = raised_incident(
        caller=org_user, agent=agent, resolver_group=resolver_group, impact=1, urgency=2
    )
    facts = promotion_facts(p2)
    assert facts.resolution_target == timedelta(hours=24)
    assert facts.resolution_target_label == "Incident P2 resolution"


# --- a suspected cyber incident raised by the desk (§5.11 step 1) ---------------------------


def test_a_suspected_cyber_incident_is_raised_and_proposed_at_once(
    agent, resolver_group, incident_manager
):
    """§5.11 step 1: called in, raised by the desk as a Security incident flagged as a
    suspected cyber incident, and in the review queue at once; the security threshold is met."""
    candidate = suspected_cyber_incident_report(
        actor=agent,
        short_description="DIP API credentials published on a forum",
        description="A participant phoned: DIP API keys seen on a paste site.",
        symptoms="Unknown clients calling the DIP API",
        services=list(Service.objects.filter(code="dip")),
        assignment_group=resolver_group,
        reason="Suspected credential leak (§2.1.1.1)",
    )
    incident = candidate.incident
    incident.refresh_from_db()
    assert incident.suspected_cyber
    assert incident.category.name == "Security"
    assert incident.priority == 1
    assert incident.symptoms == "Unknown clients calling the DIP API"
    assert list(incident.services.values_list("code", flat=True)) == ["dip"]
    assert candidate.state == MajorIncidentCandidate.State.PROPOSED
    assert promotion_facts(incident).suspected_cyber
    assert Notification.objects.filter(
        user=incident_manager, event="major_incident_candidate_proposed"
    ).exists()


def test_a_cyber_report_without_a_reason_leaves_no_incident(agent, resolver_group):
    with pytest.raises(ValidationFailed):
        suspected_cyber_incident_report(
            actor=agent,
            short_description="Odd logins",
            description="x",
            assignment_group=resolver_group,
            reason="",
        )
    assert not Incident.objects.exists()
