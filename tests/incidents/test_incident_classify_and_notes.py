"""Re-prioritising an incident (§3.8) and resolvers' work notes (Appendix G), through
`incident_classify` and `incident_work_note_add`."""

import pytest
from django.contrib.contenttypes.models import ContentType

from accounts import roles
from cases.services import case_raise_incident
from comms.models import OutboundMessage
from core.errors import (
    ActionNotPermitted,
    TicketNotFound,
    TransitionNotAllowed,
    ValidationFailed,
)
from incidents.models import Incident
from incidents.services import incident_classify, incident_transition, incident_work_note_add
from sla.models import TicketSLA
from tests.factories.accounts import ResolverGroupFactory, UserFactory
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry
from tickets.priority import Priority
from tickets.selectors import journal_for


@pytest.fixture
def incident(org_user, agent, resolver_group):
    """A P3 incident (medium impact, medium urgency) raised at triage (§4.1)."""
    return case_raise_incident(
        case=CaseFactory(caller=org_user),
        actor=agent,
        assignment_group=resolver_group,
        impact=2,
        urgency=2,
    )


def clocks(incident):
    return TicketSLA.objects.filter(
        ticket_type=ContentType.objects.get_for_model(Incident), ticket_id=incident.pk
    ).order_by("pk")


def closed(incident, agent) -> Incident:
    incident = incident_transition(incident=incident, actor=agent, name="start")
    incident = incident_transition(
        incident=incident, actor=agent, name="resolve", notes="Queue restarted.", code="solved"
    )
    return incident_transition(incident=incident, actor=agent, name="close")


# --- classification --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [(1, 1, Priority.P1), (1, 2, Priority.P2), (3, 1, Priority.P3), (3, 3, Priority.P4)],
)
def test_classify_sets_priority_by_the_matrix_and_journals_it(
    incident, agent, impact, urgency, priority
):
    """§3.8: impact × urgency gives the priority; the change is recorded in the journal."""
    incident = incident_classify(incident=incident, actor=agent, impact=impact, urgency=urgency)

    incident.refresh_from_db()
    assert (incident.impact, incident.urgency, incident.priority) == (impact, urgency, priority)
    last = journal_for(incident, include_work_notes=True).order_by("pk").last()
    assert last.kind == JournalEntry.Kind.SYSTEM
    assert last.body == f"Priority set to {priority.label} (was {Priority.P3.label})."
    assert last.author == agent


def test_priority_change_replaces_the_sla_clock(incident, resolver):
    """§3.8, §3.10: a new priority cancels the running clock and starts its replacement."""
    before = list(clocks(incident))
    running = [clock for clock in before if not clock.cancelled and clock.stopped_at is None]
    assert running, "a P3 incident has a running resolution clock"

    incident_classify(incident=incident, actor=resolver, impact=1, urgency=1)

    after = list(clocks(incident))
    old = next(clock for clock in after if clock.pk == running[0].pk)
    assert old.cancelled
    replacements = [clock for clock in after if clock.replaces_id == old.pk]
    assert len(replacements) == 1
    new = replacements[0]
    assert not new.cancelled and new.stopped_at is None and new.running_since is not None
    assert new.definition.priority == Priority.P1


def test_classify_with_same_values_changes_nothing(incident, agent):
    """§3.8: re-submitting the same impact and urgency neither journals nor moves clocks."""
    entries = journal_for(incident, include_work_notes=True).count()
    clock_ids = list(clocks(incident).values_list("pk", "cancelled"))

    incident_classify(incident=incident, actor=agent, impact=2, urgency=2)

    assert journal_for(incident, include_work_notes=True).count() == entries
    assert list(clocks(incident).values_list("pk", "cancelled")) == clock_ids


def test_classify_refuses_impact_outside_the_matrix(incident, agent):
    """§3.8: impact and urgency are 1, 2 or 3."""
    with pytest.raises(ValidationFailed):
        incident_classify(incident=incident, actor=agent, impact=4, urgency=1)
    incident.refresh_from_db()
    assert incident.priority == Priority.P3


def test_participant_may_not_classify(incident, org_user):
    """Appendix G: participants never work incidents."""
    with pytest.raises(ActionNotPermitted):
        incident_classify(incident=incident, actor=org_user, impact=1, urgency=1)


def test_staff_without_change_permission_may_not_classify(incident, cab_member):
    """§3.8: only staff holding incidents.change_incident re-prioritise."""
    with pytest.raises(ActionNotPermitted):
        incident_classify(incident=incident, actor=cab_member, impact=1, urgency=1)
    incident.refresh_from_db()
    assert incident.priority == Priority.P3


def test_resolver_of_another_group_may_not_classify(incident):
    """§10.4: a resolver works only the incidents of their own groups."""
    outsider = UserFactory(email="olga.other@mhhs.example", is_staff=True, roles=[roles.RESOLVER])
    ResolverGroupFactory(name="LSS Support").members.add(outsider)
    with pytest.raises(TicketNotFound):
        incident_classify(incident=incident, actor=outsider, impact=1, urgency=1)


def test_closed_incident_may_not_be_classified(incident, agent):
    """§5.12: a closed incident is a finished record."""
    incident = closed(incident, agent)
    with pytest.raises(TransitionNotAllowed):
        incident_classify(incident=incident, actor=agent, impact=1, urgency=1)
    incident.refresh_from_db()
    assert incident.priority == Priority.P3


def test_cancelled_incident_may_not_be_classified(incident, agent):
    """§5.13: a cancelled incident is a finished record."""
    incident = incident_transition(
        incident=incident, actor=agent, name="cancel", reason="duplicate"
    )
    with pytest.raises(TransitionNotAllowed):
        incident_classify(incident=incident, actor=agent, impact=1, urgency=1)


# --- work notes ------------------------------------------------------------------------------


def test_work_note_is_journaled_as_work_note_and_never_emailed(
    incident, resolver, django_capture_on_commit_callbacks
):
    """Appendix G: work notes never leave the desk: no outbox row is created for them."""
    before = OutboundMessage.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        entry = incident_work_note_add(
            incident=incident, actor=resolver, body="  Restarted the DIP adapter on node 2.  "
        )

    assert entry.kind == JournalEntry.Kind.WORK_NOTE
    assert entry.body == "Restarted the DIP adapter on node 2."
    assert entry.author == resolver
    assert journal_for(incident, include_work_notes=False).filter(pk=entry.pk).count() == 0
    assert OutboundMessage.objects.count() == before


def test_empty_work_note_is_refused(incident, resolver):
    """Appendix G: a work note has text."""
    with pytest.raises(ValidationFailed) as refused:
        incident_work_note_add(incident=incident, actor=resolver, body="   ")
    assert refused.value.field_errors == {"body": ["This field is required."]}


def test_participant_may_not_add_work_notes(incident, org_user):
    """Appendix G: incidents are for technical teams."""
    with pytest.raises(ActionNotPermitted):
        incident_work_note_add(incident=incident, actor=org_user, body="Any news?")


def test_staff_without_change_permission_may_not_add_work_notes(incident, cab_member):
    """Appendix G: only those who work incidents write work notes on them."""
    with pytest.raises(ActionNotPermitted):
        incident_work_note_add(incident=incident, actor=cab_member, body="Noted.")


def test_closed_incident_takes_no_work_notes(incident, agent):
    """§5.12: nothing is added to a closed incident."""
    incident = closed(incident, agent)
    with pytest.raises(TransitionNotAllowed):
        incident_work_note_add(incident=incident, actor=agent, body="Late note.")
    assert (
        not journal_for(incident, include_work_notes=True)
        .filter(kind=JournalEntry.Kind.WORK_NOTE)
        .exists()
    )
