"""Who may enter the agent console (§10.5.2) and what its home page shows (§4.1)."""

from datetime import timedelta

import time_machine
from django.urls import reverse
from django.utils import timezone

from tests.conftest import login_client
from tests.factories.cases import CaseFactory


def _where_sent(client, url: str) -> str:
    """The console sends a refused visitor to its login view, which hands over to allauth."""
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    onward = client.get(response["Location"])
    assert onward.status_code == 302
    return onward["Location"]


def test_console_requires_a_totp_session_for_staff(agent):
    """§10.5.2: MFA is mandatory for staff; a staff sign-in without the second factor is sent
    to re-authenticate, not let in."""
    client = login_client(agent)
    for url in (reverse("admin:index"), reverse("admin:cases_case_triage_queue")):
        assert _where_sent(client, url).startswith(reverse("mfa_reauthenticate"))


def test_console_refuses_participants(org_client):
    """§10.4: participants use the portal; the console is for the desk only."""
    for url in (
        reverse("admin:index"),
        reverse("admin:cases_case_changelist"),
        reverse("admin:cases_case_triage_queue"),
    ):
        assert _where_sent(org_client, url).startswith(reverse("account_login"))


def test_console_admits_staff_after_totp(agent_client):
    """§10.5.2: with the second factor passed the agent reaches the console."""
    response = agent_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "MHHS Service Desk console" in response.content.decode()


def test_index_panel_counts_new_cases_and_those_past_fifteen_minutes(agent_client, org_user):
    """§4.1: the home page shows the triage queue's size and how many are past 15 minutes."""
    now = timezone.now()
    with time_machine.travel(now - timedelta(minutes=40), tick=False):
        CaseFactory(caller=org_user)
    with time_machine.travel(now - timedelta(minutes=16), tick=False):
        CaseFactory(caller=org_user)
    CaseFactory(caller=org_user)

    response = agent_client.get(reverse("admin:index"))

    assert response.context["triage_summary"]["new"] == 3
    assert response.context["triage_summary"]["overdue"] == 2
    html = response.content.decode()
    assert 'id="service-desk-panel"' in html
    assert reverse("admin:cases_case_triage_queue") in html
