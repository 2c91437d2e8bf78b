"""Resolution history (§10.3): every resolution summary stays in the case's history for the
participant, with its date — on the case page and in the API — not only the latest. And what
an incident proposes never reaches the participant until the desk sends it (Appendix G)."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases.proposed_updates import case_update_send, case_updates_pending_for
from cases.selectors import case_resolutions_for
from cases.services import case_raise_incident, case_reject_resolution, case_transition
from incidents.services import incident_transition
from tests.factories.access import api_client
from tests.factories.cases import CaseFactory

FIRST = "The DIP certificate was renewed."
SECOND = "The adaptor queue was cleared and your messages were replayed."
RAW = "kubectl rollout restart deploy/dip-adaptor; heap 4G"


def detail_url(case) -> str:
    return reverse("portal:case_detail", kwargs={"number": case.number})


@pytest.fixture
def twice_resolved(org_user, agent):
    """Resolved, reopened by the caller, resolved again, a day apart each."""
    start = timezone.now() - timedelta(days=3)
    with time_machine.travel(start, tick=False):
        case = CaseFactory(caller=org_user)
        case = case_transition(case=case, actor=agent, name="start")
        case = case_transition(case=case, actor=agent, name="resolve", notes=FIRST, code="solved")
    with time_machine.travel(start + timedelta(days=1), tick=False):
        case = case_reject_resolution(case=case, actor=org_user, reason="Still rejected.")
    with time_machine.travel(start + timedelta(days=2), tick=False):
        case = case_transition(case=case, actor=agent, name="resolve", notes=SECOND)
    return case, start


def test_both_resolutions_are_kept_oldest_first(twice_resolved):
    case, start = twice_resolved
    resolutions = case_resolutions_for(case)
    assert [(r["resolution_notes"], r["resolution_code"]) for r in resolutions] == [
        (FIRST, "solved"),
        (SECOND, ""),
    ]
    assert resolutions[0]["resolved_at"] == start
    assert resolutions[1]["resolved_at"] == start + timedelta(days=2)


def test_participant_page_shows_every_resolution_summary_with_its_date(twice_resolved, org_client):
    case, start = twice_resolved
    response = org_client.get(detail_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    history = html[html.index('id="timeline"') :].split("</section>")[0]
    items = [item for item in history.split("<li ")[1:] if "timeline__item--resolution" in item]
    assert len(items) == 2
    assert FIRST in items[0] and "Resolution summary" in items[0]
    assert SECOND in items[1]
    first_day = timezone.localtime(start).strftime("%-d %b %Y")
    assert first_day in items[0]
    # In time order: the first summary before the caller's reason, the second after it.
    assert history.index(FIRST) < history.index("Still rejected.") < history.index(SECOND)


def test_after_closure_the_history_still_has_both(twice_resolved, org_user, org_client):
    case, _ = twice_resolved
    case_transition(case=case, actor=org_user, name="close")
    html = org_client.get(detail_url(case)).content.decode()
    history = html[html.index('id="timeline"') :].split("</section>")[0]
    assert FIRST in history and SECOND in history


def test_api_case_detail_lists_every_resolution(twice_resolved, org_user):
    case, start = twice_resolved
    body = api_client(org_user).get(f"/api/v1/cases/{case.number}/").json()
    assert [r["resolution_notes"] for r in body["resolutions"]] == [FIRST, SECOND]
    assert body["resolutions"][0]["resolution_code"] == "solved"
    assert body["resolutions"][0]["resolved_at"].startswith(start.strftime("%Y-%m-%d"))
    assert body["resolution_notes"] == SECOND


def test_a_case_never_resolved_has_no_resolutions(org_user, org_client):
    case = CaseFactory(caller=org_user)
    assert case_resolutions_for(case) == []
    body = api_client(org_user).get(f"/api/v1/cases/{case.number}/").json()
    assert body["resolutions"] == []
    assert "timeline__item--resolution" not in org_client.get(detail_url(case)).content.decode()


@pytest.fixture
def proposed(org_user, agent, resolver, resolver_group):
    case = CaseFactory(caller=org_user)
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    incident = incident_transition(incident=incident, actor=resolver, name="start")
    incident_transition(incident=incident, actor=resolver, name="resolve", notes=RAW, code="solved")
    case.refresh_from_db()
    return case


def test_the_participant_never_sees_a_pending_proposal(proposed, org_user, org_client):
    """Appendix G: the incident's raw notes never reach the caller unsent — not on the page,
    not in the API's detail or journal."""
    case = proposed
    assert RAW not in org_client.get(detail_url(case)).content.decode()
    client = api_client(org_user)
    detail = client.get(f"/api/v1/cases/{case.number}/")
    assert "proposed_updates" not in detail.json() and RAW not in detail.content.decode()
    assert RAW not in client.get(f"/api/v1/cases/{case.number}/comments/").content.decode()


def test_staff_see_the_pending_proposal_in_the_api(proposed, agent):
    case = proposed
    body = api_client(agent).get(f"/api/v1/cases/{case.number}/").json()
    [proposal] = body["proposed_updates"]
    assert proposal["kind"] == "resolution" and proposal["proposed_text"] == RAW
    assert proposal["incident"].startswith("INC")


def test_the_participant_reads_the_desk_words_once_sent(proposed, agent, org_client):
    """§10.3: the resolution the desk sent is the one in the participant's history."""
    case = proposed
    [proposal] = case_updates_pending_for(case)
    case_update_send(
        proposal=proposal, actor=agent, text="We restarted the message service.", resolve=True
    )
    html = org_client.get(detail_url(case)).content.decode()
    assert "We restarted the message service." in html
    assert RAW not in html
