"""Due and late reminders for major-incident comms (§5.19.1): the manager is reminded when
the next communication is due within the lead time, the desk lead is alerted when it is late,
each once per due time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import Notification, OutboundMessage
from major_incidents.comms import comms_draft, comms_send
from major_incidents.models import MajorIncident
from major_incidents.reminders import comms_reminders_sweep
from major_incidents.tasks import comms_reminders_sweep as comms_reminders_sweep_task


def due(major) -> timezone.datetime:
    major.refresh_from_db()
    return major.next_comms_due_at


def told(user, event: str) -> int:
    return Notification.objects.filter(user=user, event=event).count()


def test_nothing_is_sent_while_the_update_is_not_yet_near(major, incident_manager):
    result = comms_reminders_sweep(now=due(major) - timedelta(minutes=6))
    assert result.reminded == [] and result.late_alerted == []
    assert not Notification.objects.filter(event__startswith="major_incident").exists()


def test_the_manager_is_reminded_once_per_due_time(major, incident_manager, service_manager):
    """§5.19.1: within five minutes of the due time the manager hears, once."""
    at = due(major)
    first = comms_reminders_sweep(now=at - timedelta(minutes=5))
    again = comms_reminders_sweep(now=at - timedelta(minutes=2))
    assert first.reminded == [major.pk] and again.reminded == []
    assert told(incident_manager, "major_incident_comms_due") == 1
    assert told(service_manager, "major_incident_comms_due") == 0
    major.refresh_from_db()
    assert major.reminded_for_due_at == at
    assert OutboundMessage.objects.filter(
        template="major_incident_comms_due", to_email=incident_manager.email
    ).exists()


def test_a_new_due_time_gets_its_own_reminder(major, incident_manager):
    at = due(major)
    comms_reminders_sweep(now=at - timedelta(minutes=1))
    draft = comms_draft(major_incident=major, kind="initial")
    comms_send(
        major_incident=major,
        actor=incident_manager,
        kind="initial",
        subject=draft.subject,
        body=draft.body,
    )
    later = due(major)
    assert later != at
    assert comms_reminders_sweep(now=later - timedelta(minutes=3)).reminded == [major.pk]
    assert told(incident_manager, "major_incident_comms_due") == 2


def test_a_late_update_alerts_the_service_managers_only(
    major, incident_manager, service_manager, agent
):
    """§5.19.1: past due, the desk lead (Service manager role) is alerted, not other staff."""
    at = due(major)
    result = comms_reminders_sweep(now=at + timedelta(minutes=1))
    assert result.late_alerted == [major.pk]
    assert told(service_manager, "major_incident_comms_late") == 1
    assert told(incident_manager, "major_incident_comms_late") == 0
    assert told(agent, "major_incident_comms_late") == 0
    assert comms_reminders_sweep(now=at + timedelta(minutes=10)).late_alerted == []
    assert told(service_manager, "major_incident_comms_late") == 1


def test_an_inactive_service_manager_is_not_alerted(major, service_manager):
    service_manager.is_active = False
    service_manager.save(update_fields=["is_active"])
    comms_reminders_sweep(now=due(major) + timedelta(minutes=1))
    assert told(service_manager, "major_incident_comms_late") == 0


def test_due_exactly_now_is_a_reminder_not_yet_late(major, incident_manager, service_manager):
    at = due(major)
    result = comms_reminders_sweep(now=at)
    assert result.reminded == [major.pk] and result.late_alerted == []


def test_running_the_sweep_twice_sends_once(major, incident_manager, service_manager):
    """docs/conventions.md §5: the claim is a conditional UPDATE; a second run finds nothing."""
    now = due(major) + timedelta(minutes=2)
    first = comms_reminders_sweep(now=now)
    second = comms_reminders_sweep(now=now)
    assert (first.reminded, first.late_alerted) == ([major.pk], [major.pk])
    assert (second.reminded, second.late_alerted) == ([], [])
    assert told(incident_manager, "major_incident_comms_due") == 1
    assert told(service_manager, "major_incident_comms_late") == 1


def test_resolved_major_incidents_are_not_reminded(major, incident_manager, service_manager):
    MajorIncident.objects.filter(pk=major.pk).update(state=MajorIncident.State.RESOLVED)
    result = comms_reminders_sweep(now=due(major) + timedelta(hours=2))
    assert result.reminded == [] and result.late_alerted == []


def test_the_beat_task_runs_the_sweep(major, incident_manager, settings):
    """The task beat runs every minute (settings CELERY_BEAT_SCHEDULE)."""
    schedule = settings.CELERY_BEAT_SCHEDULE["major-incident-comms-reminders"]
    assert schedule["task"] == "major_incidents.tasks.comms_reminders_sweep"
    assert schedule["schedule"] == 60.0
    MajorIncident.objects.filter(pk=major.pk).update(
        next_comms_due_at=timezone.now() + timedelta(minutes=1)
    )
    assert comms_reminders_sweep_task.delay().get() == {"reminded": 1, "late_alerted": 0}


@pytest.mark.parametrize("size", [1, 5])
def test_the_sweep_costs_the_same_when_nothing_is_due(
    incident_manager, agent, org_user, resolver_group, comms_list, size
):
    """docs/conventions.md §7: two claiming statements, whatever the number of major incidents."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.incidents import opened_major_incident, raised_incident

    for _ in range(size):
        opened_major_incident(
            incident=raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group),
            actor=agent,
            manager=incident_manager,
        )
    # 1 the reminder claim (UPDATE … RETURNING), 2 the lateness claim; nothing else when
    # neither claims a row (savepoints aside).
    with CaptureQueriesContext(connection) as captured:
        comms_reminders_sweep(now=timezone.now())
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 2 and all(sql.startswith("UPDATE") for sql in statements)
