"""`manage.py bench_seed` (issue 9.5): a running desk's proportions, seeded set-based on
PostgreSQL, that the portal's own selectors and pages read like any other data."""

from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse

from bench import seed
from bench.management.commands.bench_run import session_cookie
from cases.models import Case
from cases.selectors import case_get_for, case_list_for
from sla.models import TicketSLA, TicketSLAEvent
from tickets.models import JournalEntry
from tickets.registry import number_pattern, ticket_type_for_number

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="bench_seed runs on PostgreSQL only"
)
N = 2000


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal is SQLite's")
def test_bench_seed_refuses_sqlite():
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("bench_seed", cases=10, stdout=StringIO())


def _seed(**options) -> str:
    out = StringIO()
    call_command("bench_seed", cases=N, stdout=out, **options)
    return out.getvalue()


@postgres_only
def test_seed_has_the_proportions_of_a_running_desk():
    """About 10% of cases in the participant's tree, 0.5% New, three journal entries per case,
    the engine's clocks with their events, numbers the registry and URLs accept."""
    text = _seed()
    assert f"seeded {N:,} cases" in text
    cases = seed.bench_cases()
    assert cases.count() == N
    people = seed.bench_people_ensure()
    participant = people.participant

    visible = case_list_for(participant)
    assert 0.07 * N <= visible.count() <= 0.13 * N
    foreign = visible.exclude(organisation__path__startswith=participant.organisation.path)
    assert foreign.exists() and not foreign.exclude(caller=participant).exists()
    assert cases.filter(state=Case.State.NEW).count() == N * 5 // 1000
    assert cases.filter(state=Case.State.CLOSED).count() > 0.9 * N
    assert cases.exclude(triage_outcome="request").exclude(request_type="").count() == 0

    for number in cases.values_list("number", flat=True)[:50]:
        assert number_pattern().fullmatch(number)
        assert ticket_type_for_number(number).model is Case

    case_type = ContentType.objects.get_for_model(Case)
    assert JournalEntry.objects.filter(ticket_type=case_type).count() == 3 * N
    clocks = TicketSLA.objects.filter(ticket_type=case_type)
    portal_new = cases.filter(state=Case.State.NEW, channel=Case.Channel.PORTAL)
    triage = clocks.filter(target_type="triage")
    assert triage.filter(
        ticket_id__in=portal_new.values("pk"), stopped_at__isnull=True
    ).count() == (portal_new.count())
    assert (
        not triage.exclude(ticket_id__in=portal_new.values("pk"))
        .filter(stopped_at__isnull=True)
        .exists()
    )
    # The triage queue's column: each New portal case carries its running triage deadline.
    assert portal_new.filter(triage_due_at__isnull=True).count() == 0
    assert cases.exclude(state=Case.State.NEW).filter(triage_due_at__isnull=False).count() == 0
    running = triage.filter(stopped_at__isnull=True).order_by("ticket_id")
    due = dict(running.values_list("ticket_id", "deadline"))
    assert dict(portal_new.values_list("pk", "triage_due_at")) == due
    on_hold = cases.filter(state=Case.State.ON_HOLD).values("pk")
    resolution = clocks.filter(target_type="resolution")
    assert resolution.filter(ticket_id__in=on_hold).count() == on_hold.count()
    assert not resolution.filter(ticket_id__in=on_hold, paused_since__isnull=True).exists()
    assert 0 < clocks.filter(breached=True).count() < clocks.count() / 2
    # Every clock has its "started" event; every stopped one its "stopped" event.
    events = TicketSLAEvent.objects.filter(clock__in=clocks)
    assert events.filter(kind="started").count() == clocks.count()
    assert events.filter(kind="stopped").count() == clocks.filter(stopped_at__isnull=False).count()


@postgres_only
def test_seeded_case_opens_through_the_real_selector_and_pages():
    """The participant opens a seeded case of their tree (selector and page); the agent, whose
    session records TOTP, opens the console's list, triage queue and case page."""
    _seed()
    people = seed.bench_people_ensure()
    case = case_list_for(people.participant, state="in_progress").filter(channel="portal").first()
    assert case_get_for(people.participant, case.number) == case

    participant = Client()
    name, _, key = session_cookie(people.participant, second_factor=False).partition("=")
    participant.cookies[name] = key
    response = participant.get(reverse("portal:case_detail", kwargs={"number": case.number}))
    assert response.status_code == 200
    assert case.number in response.content.decode()
    assert participant.get(f"/api/v1/cases/{case.number}/").status_code == 200

    agent = Client()
    name, _, key = session_cookie(people.agent, second_factor=True).partition("=")
    agent.cookies[name] = key
    for url in (
        reverse("admin:cases_case_changelist"),
        reverse("admin:cases_case_triage_queue"),
        reverse("admin:cases_case_change", args=[case.pk]),
    ):
        assert agent.get(url).status_code == 200, url


@postgres_only
def test_seed_is_skipped_when_done_and_refuses_real_data(org_user):
    """N bench cases already there: nothing to do; another N replaces them; a real case in the
    database stops the seed unless forced."""
    _seed()
    assert "already holds 2,000 bench cases" in _seed()
    out = StringIO()
    call_command("bench_seed", cases=500, stdout=out)
    assert f"removed {N:,} earlier bench cases" in out.getvalue()
    assert seed.bench_cases().count() == 500

    from tests.factories.cases import CaseFactory

    CaseFactory(caller=org_user)
    with pytest.raises(CommandError, match="not the bench's own"):
        call_command("bench_seed", cases=10, stdout=StringIO())


@postgres_only
def test_profile_shows_where_one_pages_time_goes(settings):
    """`bench_run --profile PAGE` (issue 9.4): one page in-process under cProfile, without
    gunicorn; an unknown page name is refused with the list of names."""
    settings.ROOT_URLCONF = "bench.urls"
    out = StringIO()
    call_command("bench_run", cases=300, profile="my cases", stdout=out)
    text = out.getvalue()
    assert "My Cases: " in text and "ms a request in-process" in text
    assert "cases/views.py" in text and "cumulative" in text
    with pytest.raises(CommandError, match="choose one of: ceiling, My Cases"):
        call_command("bench_run", cases=300, profile="nowhere", stdout=StringIO())


@postgres_only
def test_migrating_a_seeded_database_vacuums_it_before_measuring(monkeypatch):
    """A data migration that rewrites every case leaves the table's pages unmarked and the
    planner's statistics stale: My Cases' capped count went from an index-only scan to a
    bitmap scan of a tenth of the table (0.4 ms to 110 ms at a million cases) until VACUUM
    ANALYZE. `--setup` on a seeded database runs it when migrations were applied, not
    otherwise."""
    from bench.management.commands import bench_seed as command

    assert command._pending_migrations() == 0  # the test database is migrated
    _seed()
    vacuumed = []
    monkeypatch.setattr(seed, "bench_tables_vacuum", lambda: vacuumed.append(True))
    monkeypatch.setattr(command, "_pending_migrations", lambda: 0)
    out = StringIO()
    call_command("bench_seed", cases=N, setup=True, stdout=out)
    assert vacuumed == [] and "VACUUM" not in out.getvalue()

    monkeypatch.setattr(command, "_pending_migrations", lambda: 2)
    out = StringIO()
    call_command("bench_seed", cases=N, setup=True, stdout=out)
    assert vacuumed == [True]
    assert "applied 2 migrations to the seeded database; VACUUM ANALYZE" in out.getvalue()
    assert f"already holds {N:,} bench cases" in out.getvalue()
