"""The console's system status page (issue 14): service managers only, the figures people
need, UK times, and a query count that does not grow with the backlog."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from ops.services import periodic_run_finished, worker_heartbeat_record
from tests.conftest import mfa_client
from tests.factories.cases import CaseFactory

URL = "/console/system/"


def test_url_is_named():
    assert reverse("ops_console:system_status") == URL


@pytest.mark.django_db
def test_other_staff_are_refused_and_participants_sent_to_sign_in(agent, org_user):
    assert mfa_client(agent).get(URL).status_code == 403
    response = mfa_client(org_user).get(URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_service_manager_sees_backlogs_and_periodic_tasks_in_uk_time(service_manager, org_user):
    # 10:00 UTC in summer is 11:00 UK time.
    with time_machine.travel(datetime(2026, 7, 1, 10, 0, tzinfo=UTC), tick=False):
        CaseFactory(caller=org_user)
        periodic_run_finished(
            task="sla.tasks.sla_sweep_task", worker="w1", duration=timedelta(seconds=1.5)
        )
        worker_heartbeat_record(worker="w1")
    with time_machine.travel(datetime(2026, 7, 1, 10, 1, 30, tzinfo=UTC), tick=False):
        response = mfa_client(service_manager).get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<caption>Work waiting</caption>" in page
    assert (
        'data-figure="triage-queue"><th scope="row">Cases waiting for triage</th><td>1</td><td>1 min'
        in page
    )
    assert 'data-figure="outbox-backlog"' in page
    assert "1 Jul 2026, 11:00" in page
    sla_row = page[page.index('data-task="sla-sweep"') :].split("</tr>")[0]
    assert "1 Jul 2026, 11:00" in sla_row and "1.5 s" in sla_row and "On time" in sla_row
    # Late: two intervals without success, or never run on a worker (the auto-close).
    with time_machine.travel(datetime(2026, 7, 1, 10, 3, tzinfo=UTC), tick=False):
        later = mfa_client(service_manager).get(URL).content.decode()
    assert "Late" in later[later.index('data-task="sla-sweep"') :].split("</tr>")[0]
    assert "Late" in page[page.index('data-task="case-auto-close"') :].split("</tr>")[0]


@pytest.mark.django_db
@pytest.mark.parametrize("cases", [2, 20])
def test_system_status_query_count_is_constant(
    cases, service_manager, org_user, django_assert_num_queries
):
    for _ in range(cases):
        CaseFactory(caller=org_user)
    client = mfa_client(service_manager)
    client.get(URL)  # warm: the session and the access cache
    # 1 session; 2 user; 3 outbox aggregate; 4 inbound failures count; 5 open SLA clocks
    # aggregate; 6 triage queue aggregate; 7 periodic task runs. Permissions come from the
    # access cache; the queue depth asks the broker, not the database.
    with django_assert_num_queries(7):
        response = client.get(URL)
    assert response.status_code == 200


@pytest.mark.django_db
def test_console_header_links_system_status_for_service_managers_only(service_manager, agent):
    link = f'<a href="{URL}" class="console-nav-system-status">System status</a>'
    assert link in mfa_client(service_manager).get("/admin/").content.decode()
    assert link not in mfa_client(agent).get("/admin/").content.decode()
