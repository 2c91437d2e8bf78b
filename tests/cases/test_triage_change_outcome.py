"""Triage's Change outcome (§4.1 step 3): the case is assigned to Change Management — a draft
change is raised from it and linked, triage ends, and the caller is told in plain words."""

import pytest
from django.urls import reverse

from cases.models import Case
from cases.services import CHANGE_TRIAGE_MESSAGE, case_raise_change
from changes.models import Change
from core.errors import ActionNotPermitted, TransitionNotAllowed
from tests.conftest import mfa_client
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry, TicketLink
from tickets.selectors import journal_for


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user, short_description="Please add our new MPID to the DIP")


def test_change_outcome_raises_a_change_links_the_case_and_tells_the_caller(case, agent):
    """§4.1 step 3: "Case is assigned to Change Management and triage process will end
    here"; the change starts as a draft for its owner to complete (§8.3)."""
    change = case_raise_change(case=case, actor=agent)

    assert change.change_type == Change.ChangeType.NORMAL
    assert change.state == Change.State.NEW
    assert change.short_description == case.short_description
    assert TicketLink.objects.filter(kind="case_change", from_id=case.pk, to_id=change.pk).exists()
    case.refresh_from_db()
    assert case.triage_outcome == Case.TriageOutcome.CHANGE
    assert case.state == Case.State.IN_PROGRESS
    entries = list(journal_for(case, include_work_notes=True))
    assert any(
        e.kind == JournalEntry.Kind.COMMENT and e.body == CHANGE_TRIAGE_MESSAGE for e in entries
    )
    # The change number is the desk's business: a work note, not a comment (Appendix G).
    notes = [e.body for e in entries if e.kind == JournalEntry.Kind.WORK_NOTE]
    assert any(change.number in body for body in notes)


def test_change_outcome_is_for_first_line_agents_and_only_once(case, agent, change_manager):
    """§4.1: triage is first line's; a triaged case is not triaged again."""
    with pytest.raises(ActionNotPermitted):
        case_raise_change(case=case, actor=change_manager)
    case_raise_change(case=case, actor=agent, change_type="emergency")
    with pytest.raises(TransitionNotAllowed, match="already been triaged"):
        case_raise_change(case=case, actor=agent)
    assert Change.objects.get().change_type == Change.ChangeType.EMERGENCY


def test_triage_page_offers_the_change_outcome(case, agent):
    """§4.1 step 3 in the console: the triage page's Change form assigns the case."""
    client = mfa_client(agent)
    url = reverse("admin:cases_case_triage", args=[case.pk])
    page = client.get(url)
    assert "Assign to Change Management" in page.content.decode()
    response = client.post(url, {"outcome": "change", "change-change_type": "normal"})
    change = Change.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:changes_change_change", args=[change.pk])


def test_caller_hears_when_the_change_is_cancelled(case, agent, change_manager):
    """§4.1 step 3, §8.8: the change raised from the case is cancelled; the caller reads in
    plain words that it will not go ahead (no change number or notes, Appendix G)."""
    from changes.services import change_cancel

    change = case_raise_change(case=case, actor=agent)
    change_cancel(change=change, actor=change_manager, notes="Duplicate of CHG0000009.")
    comments = [e.body for e in journal_for(case, include_work_notes=True) if e.kind == "comment"]
    assert comments[-1].startswith("The change needed for this case will not go ahead")
    assert "CHG" not in comments[-1]
