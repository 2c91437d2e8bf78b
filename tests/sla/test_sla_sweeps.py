"""The SLA sweep (docs/architecture.md §3, docs/conventions.md §5): clocks are marked at risk at 75% of their
target and breached once their deadline has passed, set-based, once; the assignee or the
assignment group and the desk lead are told. Time is moved with time-machine, never slept."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.services import case_classify
from comms.models import Notification, OutboundMessage
from incidents.models import Incident
from incidents.services import incident_create, incident_transition
from sla.calendar import LONDON
from sla.models import SLADefinition, TicketSLA
from sla.sweeps import sla_sweep
from tests.factories.cases import CaseFactory, category
from tickets.priority import Impact, Urgency

pytestmark = pytest.mark.django_db

P1 = {"impact": Impact.HIGH, "urgency": Urgency.HIGH}
P3 = {"impact": Impact.LOW, "urgency": Urgency.HIGH}
DESK_LEAD = settings.SERVICE_MANAGEMENT_EMAIL


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


RAISED = london(2026, 12, 3, 10, 0)  # Thursday; P1 is 6 hours on the 24x7 calendar (§3.10)
AT_RISK = london(2026, 12, 3, 14, 30)  # 75% of 6 hours
DEADLINE = london(2026, 12, 3, 16, 0)


@pytest.fixture
def travel():
    with time_machine.travel(RAISED, tick=False) as traveller:
        yield traveller


def p1_incident(agent, group, **extra) -> Incident:
    return incident_create(
        actor=agent,
        short_description="DIP rejecting every message",
        description="Every DIP message is rejected with E500.",
        category=category(),
        assignment_group=group,
        **P1,
        **extra,
    )


def resolution_clock(ticket) -> TicketSLA:
    return TicketSLA.objects.get(
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        target_type=SLADefinition.TargetType.RESOLUTION,
        cancelled=False,
    )


def alerts(template: str) -> list[str]:
    return sorted(
        OutboundMessage.objects.filter(template=template).values_list("to_email", flat=True)
    )


def test_clock_is_at_risk_once_75_percent_of_its_target_has_elapsed(
    travel, agent, resolver_group, resolver
):
    """docs/architecture.md §3: at risk at 75% elapsed. A P1 raised at 10:00 (6 hours, §3.10) is at risk
    from 14:30; the group's mailbox and the desk lead are emailed, members see it in the portal."""
    incident = p1_incident(agent, resolver_group)
    clock = resolution_clock(incident)
    assert clock.at_risk_at == AT_RISK

    travel.move_to(AT_RISK - timedelta(seconds=1))
    assert sla_sweep().at_risk == 0
    clock.refresh_from_db()
    assert not clock.at_risk
    assert alerts("sla_at_risk") == []

    travel.move_to(AT_RISK)
    result = sla_sweep()

    assert (result.at_risk, result.breached, result.notified) == (1, 0, 1)
    clock.refresh_from_db()
    assert clock.at_risk and not clock.breached
    assert alerts("sla_at_risk") == sorted([resolver_group.email, DESK_LEAD])
    message = OutboundMessage.objects.get(template="sla_at_risk", to_email=DESK_LEAD)
    assert incident.number in message.subject
    # The deadline in UK time, as the portal and the console show it (`core.dates`).
    assert "3 Dec 2026, 16:00" in message.subject
    assert Notification.objects.filter(user=resolver, event="sla_at_risk").count() == 1


def test_clock_is_breached_once_its_deadline_has_passed(travel, agent, resolver_group):
    """docs/architecture.md §3, §3.10: a P1 due 16:00 is met at 16:00:00 and breached after it; the
    breach records the deadline as the instant it happened, and a clock that passed both
    instants between two sweeps gets the breach alert only."""
    incident = p1_incident(agent, resolver_group)

    travel.move_to(DEADLINE)
    sla_sweep()  # at risk by now, not breached: the deadline itself is still in time
    clock = resolution_clock(incident)
    assert clock.at_risk and not clock.breached

    OutboundMessage.objects.all().delete()
    travel.move_to(DEADLINE + timedelta(seconds=1))
    result = sla_sweep()

    assert (result.breached, result.at_risk) == (1, 0)
    clock.refresh_from_db()
    assert clock.breached and clock.breached_at == DEADLINE
    assert alerts("sla_breached") == sorted([resolver_group.email, DESK_LEAD])
    assert alerts("sla_at_risk") == []


def test_clock_past_both_instants_gets_only_the_breach_alert(travel, agent, resolver_group):
    """docs/architecture.md §3: when the sweep first sees a clock after its deadline (beat was down), it
    is marked at risk and breached together and the desk hears of the breach only."""
    incident = p1_incident(agent, resolver_group)

    travel.move_to(DEADLINE + timedelta(hours=1))
    result = sla_sweep()

    assert (result.breached, result.at_risk) == (1, 0)
    clock = resolution_clock(incident)
    assert clock.at_risk and clock.breached
    assert alerts("sla_breached") == sorted([resolver_group.email, DESK_LEAD])
    assert alerts("sla_at_risk") == []


def test_assignee_is_told_rather_than_the_group(travel, agent, resolver_group, resolver):
    """Notifications matrix: an SLA alert goes to the assignee when there is one, else the
    group; the desk lead always hears."""
    incident = p1_incident(agent, resolver_group)
    Incident.objects.filter(pk=incident.pk).update(assigned_to=resolver)

    travel.move_to(AT_RISK)
    sla_sweep()

    assert alerts("sla_at_risk") == sorted([resolver.email, DESK_LEAD])


def test_sweep_is_idempotent(travel, agent, resolver_group):
    """docs/conventions.md §5: sweeps are idempotent. Running again, at once or a minute later, flags
    nothing more and sends nothing more."""
    incident = p1_incident(agent, resolver_group)
    travel.move_to(AT_RISK)
    sla_sweep()
    sent = OutboundMessage.objects.count()
    clock = resolution_clock(incident)

    again = sla_sweep()
    travel.move_to(AT_RISK + timedelta(minutes=1))
    later = sla_sweep()

    assert (again.at_risk, again.breached, again.notified) == (0, 0, 0)
    assert (later.at_risk, later.breached, later.notified) == (0, 0, 0)
    assert OutboundMessage.objects.count() == sent
    refreshed = resolution_clock(incident)
    assert (refreshed.at_risk, refreshed.breached) == (True, False)
    assert refreshed.updated_at == clock.updated_at


def test_paused_and_stopped_clocks_are_not_flagged(travel, agent, resolver_group):
    """§5.12: a clock paused On Hold does not run out; a stopped (resolved) clock is settled."""
    held = p1_incident(agent, resolver_group)
    resolved = p1_incident(agent, resolver_group)
    travel.move_to(london(2026, 12, 3, 11, 0))
    held = incident_transition(incident=held, actor=agent, name="start")
    incident_transition(incident=held, actor=agent, name="hold", reason="awaiting_vendor")
    incident_transition(
        incident=resolved, actor=agent, name="resolve", notes="Restarted the DIP.", code="solved"
    )

    travel.move_to(DEADLINE + timedelta(days=2))
    result = sla_sweep()

    assert (result.breached, result.at_risk) == (0, 0)
    assert not resolution_clock(held).breached
    assert not resolution_clock(resolved).breached
    assert alerts("sla_breached") == []


def test_flags_agree_with_the_replay(travel, agent, resolver_group):
    """docs/architecture.md §3 (replay): what the sweep stores is what the ticket's history gives."""
    from sla.replay import clock_differences

    incident = p1_incident(agent, resolver_group)
    for moment in (AT_RISK, DEADLINE + timedelta(minutes=5)):
        travel.move_to(moment)
        sla_sweep()
        assert clock_differences(incident) == []


def test_triage_clocks_are_flagged_without_an_sla_alert(travel, org_user):
    """§4.1: the triage clock is marked breached after 15 minutes like any clock, but the desk
    hears of it from the triage check (15 and 30 minutes), not as an SLA alert too."""
    case = CaseFactory(caller=org_user)
    travel.move_to(RAISED + timedelta(minutes=16))

    result = sla_sweep()

    triage = TicketSLA.objects.get(ticket_id=case.pk, target_type="triage")
    assert triage.breached
    assert result.breached == 1 and result.notified == 0
    assert alerts("sla_breached") == []


# --- cost ------------------------------------------------------------------------------------


def _world(size: int, agent, org_user, resolver_group, travel) -> None:
    """`size` portal cases classified P3, whose triage clocks all pass their deadline at
    10:15 (flagged, silently), plus one P1 incident that reaches 75% at 10:15:01 (alerted)."""
    travel.move_to(RAISED - timedelta(hours=4, minutes=30) + timedelta(minutes=15, seconds=1))
    p1_incident(agent, resolver_group)
    travel.move_to(RAISED)
    for _ in range(size):
        case = CaseFactory(caller=org_user)
        case_classify(case=case, actor=agent, **P3)
    travel.move_to(RAISED + timedelta(minutes=15, seconds=1))


# Queries of one sweep, whatever the number of clocks and however many are newly flagged:
#  breach: SAVEPOINT, UPDATE … RETURNING (the triage clocks), SELECT the flagged clocks to
#          alert (none: triage is silent), RELEASE
#  at risk: SAVEPOINT, UPDATE … RETURNING (the P1 clock), SELECT it with its definition,
#          SELECT its incident with assignee and group, the alert: INSERT the group mailbox's
#          outbox row, SELECT the group's members, INSERT the member's portal notification,
#          INSERT the desk lead's outbox row, RELEASE
SWEEP_QUERIES = 13


@pytest.mark.parametrize("size", [2, 20])
def test_sweep_query_count_does_not_grow_with_the_number_of_clocks(
    size, travel, agent, org_user, resolver_group, resolver, django_assert_num_queries
):
    """docs/architecture.md §3, docs/conventions.md §5/§7: detection is a fixed number of set-based statements,
    at 2 or 20 open clocks and with every one of them newly flagged; only the alerts of the
    clocks that need one cost more."""
    _world(size, agent, org_user, resolver_group, travel)
    open_clocks = TicketSLA.objects.filter(stopped_at__isnull=True).count()
    assert open_clocks == 2 * size + 1  # triage + P3 resolution per case, and the P1

    with django_assert_num_queries(SWEEP_QUERIES):
        result = sla_sweep()

    assert (result.breached, result.at_risk, result.notified) == (size, 1, 1)


@pytest.mark.parametrize("size", [2, 20])
def test_flagging_every_clock_takes_the_same_statements(
    size, travel, agent, org_user, resolver_group
):
    """docs/conventions.md §5: set-based, not a loop over tickets. When every P3 clock of 2 or 20
    cases passes its at-risk instant in the same minute, the statements on the clock table
    are the same few; the per-ticket alerts are the only part that grows."""
    _world(size, agent, org_user, resolver_group, travel)
    sla_sweep()
    # P3 raised Thu 10:00: 75% of 45 business hours is Tue 8 Dec 16:45.
    travel.move_to(london(2026, 12, 8, 16, 44))
    sla_sweep()  # the P1's breach

    with CaptureQueriesContext(connection) as queries:
        result = sla_sweep()

    on_clocks = [q["sql"] for q in queries.captured_queries if "sla_ticketsla" in q["sql"]]
    assert result.at_risk == 0
    travel.move_to(london(2026, 12, 8, 16, 45))
    with CaptureQueriesContext(connection) as queries:
        result = sla_sweep()
    on_clocks_now = [q["sql"] for q in queries.captured_queries if "sla_ticketsla" in q["sql"]]
    assert result.at_risk == size and result.notified == size
    # Two UPDATEs, and one read of the flagged clocks when there are some, at 2 as at 20.
    assert len(on_clocks) == 2
    assert len(on_clocks_now) == 3


# --- beat ------------------------------------------------------------------------------------

EXPECTED_BEAT = {
    "sla.tasks.sla_sweep_task": 60.0,
    "cases.tasks.case_triage_check_task": 60.0,
    "cases.tasks.case_auto_close_task": 900.0,
}


def test_beat_schedule_runs_the_sweeps():
    """docs/architecture.md §3: the SLA sweep and the triage check every minute, the §10.3 auto-close
    every 15 minutes, on Celery beat."""
    import cases.tasks  # noqa: F401  (registers the tasks, as the worker's autodiscovery does)
    import sla.tasks  # noqa: F401
    from mhhs_portal.celery import app

    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    for task, seconds in EXPECTED_BEAT.items():
        assert task in schedule, f"{task} is not in CELERY_BEAT_SCHEDULE"
        every = schedule[task]
        every = (
            every.total_seconds()
            if isinstance(every, timedelta)
            else getattr(every, "seconds", every)
        )
        assert float(every) == seconds
        assert task in app.tasks
