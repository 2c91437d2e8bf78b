"""Industry circulars (§5.11 steps 11–12 and 18–19, §5.20): drafted and published by an
Incident manager, numbered per UK year when published, on the major incident's timeline, and
never changed once published."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from major_incidents.circulars import circular_draft, circular_publish, circular_update
from major_incidents.models import IndustryCircular, TimelineEntry
from tests.factories.incidents import opened_major_incident, raised_incident
from tickets.models import Service

UK = ZoneInfo("Europe/London")


@pytest.fixture
def dip(db):
    return Service.objects.get(code="dip")


def _draft(actor, services, **kwargs):
    return circular_draft(
        actor=actor,
        title=kwargs.pop("title", "DIP message delays"),
        body=kwargs.pop("body", "Messages through the DIP are delayed; no action is needed."),
        services=services,
        **kwargs,
    )


def test_a_draft_has_no_number_until_published(incident_manager, dip):
    """§5.20: the circular is numbered when it is issued, not when drafted."""
    circular = _draft(incident_manager, [dip])
    assert circular.state == IndustryCircular.State.DRAFT
    assert circular.number is None
    assert list(circular.services.all()) == [dip]
    assert circular.drafted_by == incident_manager


def test_circulars_are_numbered_in_sequence_within_the_uk_year(incident_manager, dip):
    """§5.20: IC-<year>-001, -002 …; the count starts again with each new UK year."""
    with time_machine.travel(datetime(2026, 6, 1, 10, tzinfo=UK)):
        first = circular_publish(circular=_draft(incident_manager, [dip]), actor=incident_manager)
        second = circular_publish(circular=_draft(incident_manager, [dip]), actor=incident_manager)
    with time_machine.travel(datetime(2027, 1, 1, 0, 30, tzinfo=UK)):
        third = circular_publish(circular=_draft(incident_manager, [dip]), actor=incident_manager)
    assert (first.number, second.number, third.number) == (
        "IC-2026-001",
        "IC-2026-002",
        "IC-2027-001",
    )
    assert first.published_by == incident_manager
    assert first.state == IndustryCircular.State.PUBLISHED


def test_a_published_circular_cannot_be_changed(incident_manager, dip):
    """§5.20: a circular is a public record; a correction is a new circular."""
    circular = circular_publish(circular=_draft(incident_manager, [dip]), actor=incident_manager)
    with pytest.raises(TransitionNotAllowed) as refused:
        circular_update(
            circular=circular, actor=incident_manager, title="Changed", body="x", services=[dip]
        )
    assert circular.number in refused.value.message
    circular.refresh_from_db()
    assert circular.title == "DIP message delays"


def test_a_circular_is_published_once(incident_manager, dip):
    circular = circular_publish(circular=_draft(incident_manager, [dip]), actor=incident_manager)
    with pytest.raises(TransitionNotAllowed):
        circular_publish(circular=circular, actor=incident_manager)
    assert IndustryCircular.objects.get().number == circular.number


def test_a_draft_can_be_edited(incident_manager, dip):
    circular = _draft(incident_manager, [dip])
    lss = Service.objects.get(code="lss")
    updated = circular_update(
        circular=circular,
        actor=incident_manager,
        title=" New title ",
        body="New body",
        services=[lss],
    )
    assert (updated.title, updated.body) == ("New title", "New body")
    assert list(updated.services.all()) == [lss]


def test_publishing_for_a_major_incident_records_it_on_the_timeline(
    org_user, agent, resolver_group, incident_manager, dip
):
    """§5.11 steps 12 and 19: the circular is part of the major incident's record."""
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    major = opened_major_incident(incident=incident, actor=agent, manager=incident_manager)
    circular = circular_publish(
        circular=_draft(incident_manager, [dip], major_incident=major), actor=incident_manager
    )
    entry = major.timeline.get(kind=TimelineEntry.Kind.CIRCULAR)
    assert circular.number in entry.body
    assert entry.author == incident_manager


def test_a_circular_needs_a_title_a_body_and_services(incident_manager):
    with pytest.raises(ValidationFailed) as refused:
        circular_draft(actor=incident_manager, title=" ", body="", services=[])
    assert set(refused.value.field_errors) == {"title", "body", "services"}
    assert not IndustryCircular.objects.exists()


def test_only_incident_managers_draft_or_publish_circulars(agent, incident_manager, dip):
    """The Major Incident Manager sends circulars (§5.11 step 12); a desk agent may not."""
    with pytest.raises(ActionNotPermitted):
        _draft(agent, [dip])
    circular = _draft(incident_manager, [dip])
    with pytest.raises(ActionNotPermitted):
        circular_publish(circular=circular, actor=agent)
    with pytest.raises(ActionNotPermitted):
        circular_update(circular=circular, actor=agent, title="x", body="y", services=[dip])
    circular.refresh_from_db()
    assert circular.state == IndustryCircular.State.DRAFT
