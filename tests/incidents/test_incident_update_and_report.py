"""Correcting an incident's §5.4/§5.7 fields (`incident_update`), resolving it with a close
code (§5.5 steps 13–15) and the incident report (§5.5 step 16, `incident_report_write`)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles
from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed
from incidents.models import Incident, IncidentReport
from incidents.services import incident_report_write, incident_transition, incident_update
from tests.conftest import _staff
from tests.factories.accounts import ResolverGroupFactory
from tests.factories.cases import category
from tests.factories.incidents import direct_incident
from tickets.models import JournalEntry, Service, Subcategory
from tickets.selectors import journal_for


@pytest.fixture
def incident(agent, resolver_group):
    return direct_incident(
        agent=agent, resolver_group=resolver_group, services=["dip"], subcategory="Outage"
    )


def last_entry(incident) -> str:
    return journal_for(incident, include_work_notes=True).order_by("-pk").first().body


def resolved(incident, actor) -> Incident:
    incident = incident_transition(incident=incident, actor=actor, name="start")
    return incident_transition(
        incident=incident, actor=actor, name="resolve", notes="Restarted.", code="solved"
    )


# --- incident_update ---------------------------------------------------------------------------


def test_update_changes_only_what_is_given_and_journals_it(incident, resolver):
    """§5.7: the logging fields are corrected as the picture clears; the journal says what."""
    detected = timezone.now() - timedelta(hours=2)
    incident_update(
        incident=incident,
        actor=resolver,
        changes={
            "services": list(Service.objects.filter(code__in=["dip", "vas"])),
            "detected_at": detected,
            "detection_method": Incident.DetectionMethod.PHONE,
            "symptoms": "Volumes missing.",
        },
    )

    incident.refresh_from_db()
    assert {s.code for s in incident.services.all()} == {"dip", "vas"}
    assert incident.detected_at == detected
    assert incident.short_description == "DIP messages queued"
    body = last_entry(incident)
    assert body.startswith("Incident updated: ")
    assert "systems affected: DIP → DIP, VAS" in body
    assert "how detected: none → Phone call to the desk" in body
    assert "observed symptoms changed" in body and "Volumes missing" not in body


def test_changing_the_category_needs_a_subcategory_under_it(incident, resolver):
    """§5.16: the subcategory kept from before would not belong to the new category."""
    security = category("Security")
    with pytest.raises(ValidationFailed) as refused:
        incident_update(incident=incident, actor=resolver, changes={"category": security})
    assert list(refused.value.field_errors) == ["subcategory"]

    breach = Subcategory.objects.get(category=security, name="Data breach")
    incident_update(
        incident=incident, actor=resolver, changes={"category": security, "subcategory": breach}
    )
    incident.refresh_from_db()
    assert (incident.category, incident.subcategory) == (security, breach)
    assert "subcategory: Outage → Data breach" in last_entry(incident)


def test_a_subcategory_of_another_category_is_refused(incident, resolver):
    breach = Subcategory.objects.get(category__name="Security", name="Data breach")
    with pytest.raises(ValidationFailed) as refused:
        incident_update(incident=incident, actor=resolver, changes={"subcategory": breach})
    assert "not a subcategory of Market Systems" in refused.value.field_errors["subcategory"][0]


def test_an_update_that_changes_nothing_writes_nothing(incident, resolver):
    entries = journal_for(incident, include_work_notes=True).count()
    incident_update(
        incident=incident,
        actor=resolver,
        changes={
            "short_description": " DIP messages queued ",
            "services": [Service.objects.get(code="dip")],
        },
    )
    assert journal_for(incident, include_work_notes=True).count() == entries


def test_mandatory_fields_cannot_be_emptied(incident, resolver):
    with pytest.raises(ValidationFailed) as refused:
        incident_update(
            incident=incident,
            actor=resolver,
            changes={"short_description": "", "description": " ", "category": None},
        )
    assert set(refused.value.field_errors) == {"short_description", "description", "category"}


def test_participants_may_not_update_and_nobody_once_it_is_cancelled(incident, agent, org_user):
    """Appendix G; §5.13: a cancelled incident is a finished record."""
    with pytest.raises(ActionNotPermitted):
        incident_update(incident=incident, actor=org_user, changes={"symptoms": "x"})
    incident_transition(incident=incident, actor=agent, name="cancel", reason="duplicate")
    with pytest.raises(TransitionNotAllowed):
        incident_update(incident=incident, actor=agent, changes={"symptoms": "x"})


def test_a_resolver_of_another_group_may_not_update(incident):
    """§10.4: to them the incident does not exist."""
    other = _staff("olga.other@mhhs.example", roles.RESOLVER)
    ResolverGroupFactory(name="LSS Support", members=[other])
    with pytest.raises(TicketNotFound):
        incident_update(incident=incident, actor=other, changes={"symptoms": "x"})


# --- resolving with a close code -----------------------------------------------------------


def test_an_incident_is_resolved_with_notes_and_a_close_code(incident, resolver):
    """§5.5 steps 13–15: the resolution confirms what was done and how (the close code)."""
    incident = incident_transition(incident=incident, actor=resolver, name="start")
    with pytest.raises(ValidationFailed) as refused:
        incident_transition(incident=incident, actor=resolver, name="resolve", notes="Restarted.")
    assert refused.value.field_errors == {"code": ["Choose a resolution code from the list."]}

    incident = incident_transition(
        incident=incident, actor=resolver, name="resolve", notes="Restarted.", code="workaround"
    )
    assert (incident.state, incident.resolution_code) == (Incident.State.RESOLVED, "workaround")


# --- the incident report -----------------------------------------------------------------------


def write(incident, actor, **overrides):
    fields = {
        "fix_summary": "Restarted the adaptor and raised its heap.",
        "cause": "Memory leak in the adaptor.",
        "problem_needed": True,
        "problem_reason": "It will happen again until the leak is fixed.",
    }
    fields.update(overrides)
    return incident_report_write(incident=incident, actor=actor, **fields)


def test_the_report_is_written_only_once_the_incident_is_resolved(incident, resolver):
    """§5.5 step 16: "Post Incident and after the resolution"."""
    with pytest.raises(TransitionNotAllowed) as refused:
        write(incident, resolver)
    assert "once" in refused.value.message and "resolved" in refused.value.message
    assert not IncidentReport.objects.exists()


def test_the_report_records_the_fix_the_cause_and_whether_a_problem_is_needed(incident, resolver):
    incident = resolved(incident, resolver)

    report = write(incident, resolver)

    assert report.incident == incident
    assert (report.problem_needed, report.written_by, report.updated_by) == (
        True,
        resolver,
        resolver,
    )
    assert last_entry(incident) == "Incident report written: a problem record is needed."
    entry = journal_for(incident, include_work_notes=True).order_by("-pk").first()
    assert entry.kind == JournalEntry.Kind.SYSTEM


def test_writing_again_updates_the_one_report_and_keeps_its_versions(incident, resolver, agent):
    incident = resolved(incident, resolver)
    first = write(incident, resolver)
    incident = incident_transition(incident=incident, actor=agent, name="close")

    second = write(incident, agent, problem_needed=False, problem_reason="Fixed for good.")

    assert second.pk == first.pk and IncidentReport.objects.count() == 1
    assert (second.written_by, second.updated_by, second.problem_needed) == (resolver, agent, False)
    assert second.history.count() == 2
    assert last_entry(incident) == "Incident report updated: no problem record needed."
    before = journal_for(incident, include_work_notes=True).count()
    write(incident, agent, problem_needed=False, problem_reason="Fixed for good.")
    assert journal_for(incident, include_work_notes=True).count() == before


def test_the_report_needs_a_fix_summary_and_a_reasoned_problem_decision(incident, resolver):
    incident = resolved(incident, resolver)
    with pytest.raises(ValidationFailed) as refused:
        write(incident, resolver, fix_summary=" ", problem_needed=None, problem_reason="")
    assert set(refused.value.field_errors) == {"fix_summary", "problem_needed", "problem_reason"}


def test_participants_do_not_write_reports(incident, resolver, org_user, cab_member):
    incident = resolved(incident, resolver)
    with pytest.raises(ActionNotPermitted):
        write(incident, cab_member)
    with pytest.raises(ActionNotPermitted):
        write(incident, org_user)
