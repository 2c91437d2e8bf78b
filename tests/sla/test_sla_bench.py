"""`manage.py sla_bench` (issue point 8): seeds open clocks on PostgreSQL, times a sweep and a
transition's clock work, and prints the figures; refuses SQLite with a clear message."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cases.models import Case
from sla.models import TicketSLA

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="sla_bench runs on PostgreSQL only"
)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the refusal is SQLite's")
def test_bench_refuses_sqlite():
    """docs/architecture.md §3: the figures are for PostgreSQL; SQLite is refused in plain words."""
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("sla_bench", tickets=10, stdout=StringIO())


@postgres_only
def test_bench_prints_the_sweep_and_transition_figures():
    """Issue point 8: seeds N open tickets and clocks, times one sweep and a transition's clock
    work (query count and time) and prints them in a stable format for the README."""
    out = StringIO()
    call_command("sla_bench", tickets=300, stdout=out)
    text = out.getvalue()

    assert re.search(r"^sla_bench: PostgreSQL \S+", text, re.M)
    assert re.search(
        r"^seeded 300 open tickets and 300 open clocks in [\d.]+ s \(tickets [\d.]+ s, "
        r"clocks [\d.]+ s, analyze [\d.]+ s\)$",
        text,
        re.M,
    )
    assert re.search(r"^open clocks: 300 \([\d,]+ running, [\d,]+ paused;", text, re.M)
    sweep = re.search(
        r"^sweep: ([\d.]+) s, (\d+) queries; (\d+) breached, (\d+) at risk, (\d+) alerted "
        r"\(detection [\d.]+ s in 2 statements, alerts [\d.]+ s\)$",
        text,
        re.M,
    )
    assert sweep, text
    again = re.search(
        r"^sweep again \(same instant\): [\d.]+ s, (\d+) queries; 0 breached, 0 at risk, 0 alerted",
        text,
        re.M,
    )
    assert again, text
    # At 300 rows the planner may prefer a sequential scan; at a million it reads the partial
    # index (the README figures show which).
    assert re.search(r"^breach detection reads index ", text, re.M)
    steps = re.findall(r"^  (start|hold|resume|resolve)\s+(\d+) queries\s+[\d.]+ ms$", text, re.M)
    assert [name for name, _count in steps] == ["start", "hold", "resume", "resolve"]
    # A transition's clock work is a constant handful of queries, whatever the table holds;
    # the step that stops the triage clock also clears the case's mirrored triage deadline
    # (one UPDATE, issue 9).
    counts = [int(count) for _name, count in steps]
    assert max(counts) <= 8 and max(counts) - min(counts) <= 1
    assert re.search(
        r"^whole transition through case_transition .*: \d+ queries, [\d.]+ ms$", text, re.M
    )

    assert Case.objects.filter(number__startswith="BN").count() == 300
    assert (
        TicketSLA.objects.filter(
            ticket_id__in=Case.objects.filter(number__startswith="BN").values("pk")
        ).count()
        == 300
    )


@postgres_only
def test_bench_replaces_its_earlier_rows_and_refuses_real_data(org_user):
    """A second run starts from its own clean slate; a database with real cases is refused."""
    call_command("sla_bench", tickets=50, stdout=StringIO(), force=True)
    out = StringIO()
    call_command("sla_bench", tickets=40, stdout=out, force=True)
    assert "removed 50 earlier bench tickets" in out.getvalue()
    assert Case.objects.filter(number__startswith="BN").count() == 40

    from tests.factories.cases import CaseFactory

    CaseFactory(caller=org_user)
    with pytest.raises(CommandError, match="not the bench's own"):
        call_command("sla_bench", tickets=10, stdout=StringIO())
