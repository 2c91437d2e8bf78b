"""Who sees which case in the portal pages (§10.4 Parent & Child Accounts).

Users of a child organisation see only their organisation's cases; users of a parent see
their own and every descendant's; a case outside the tree is a 404, never a 403, so its
number gives nothing away.
"""

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case
from cases.services import case_transition
from tests.factories.cases import CaseFactory, text_upload
from tickets.models import JournalEntry

LIST = reverse("portal:case_list")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(client, **params) -> set[str]:
    return {case.number for case in client.get(LIST, params).context["cases"]}


@pytest.fixture
def own_case(org_user):
    return CaseFactory(caller=org_user, short_description="Own organisation case")


@pytest.fixture
def sibling_case(sibling_user):
    return CaseFactory(caller=sibling_user, short_description="Sibling organisation case")


def test_child_user_cannot_see_a_sibling_organisations_case(org_client, own_case, sibling_case):
    """A child organisation sees only its own data (§10.4): the sibling's case is a 404."""
    assert listed(org_client) == {own_case.number}
    response = org_client.get(reverse("portal:case_detail", kwargs={"number": sibling_case.number}))
    assert response.status_code == 404
    assert "Sibling organisation case" not in response.content.decode()


def test_child_user_cannot_act_on_a_sibling_organisations_case(org_client, sibling_case):
    """Every case action goes through the same selector, so it is a 404 as well (§10.4)."""
    for name, data in (
        ("case_comment", {"comment-body": "Sneaky"}),
        ("case_attachment_add", {"attach-files": [text_upload()]}),
        ("case_confirm", {}),
        ("case_reject", {"reject-reason": "Sneaky"}),
    ):
        response = org_client.post(
            reverse(f"portal:{name}", kwargs={"number": sibling_case.number}), data
        )
        assert response.status_code == 404, name
    assert not JournalEntry.objects.filter(body="Sneaky").exists()


def test_child_user_cannot_reject_a_sibling_organisations_resolved_case(
    org_client, sibling_case, agent
):
    """Resolved or not, another organisation's case cannot be reopened from outside (§10.4)."""
    case = case_transition(case=sibling_case, actor=agent, name="start")
    case = case_transition(case=case, actor=agent, name="resolve", notes="Done.")
    url = reverse("portal:case_reject", kwargs={"number": case.number})
    assert org_client.post(url, {"reject-reason": "Not fixed"}).status_code == 404
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED


def test_parent_user_sees_every_child_organisations_cases(parent_user, own_case, sibling_case):
    """A parent account sees aggregated information from all child accounts (§10.4)."""
    client = client_for(parent_user)
    assert listed(client) == {own_case.number, sibling_case.number}
    for case in (own_case, sibling_case):
        response = client.get(reverse("portal:case_detail", kwargs={"number": case.number}))
        assert response.status_code == 200
        assert case.short_description in response.content.decode()


def test_parent_user_search_stays_inside_the_tree(
    parent_user, own_case, sibling_case, other_org_user
):
    """Search narrows what the user may see; it never widens it (§10.4)."""
    outsider = CaseFactory(caller=other_org_user, short_description="Own organisation case too")
    found = listed(client_for(parent_user), q="organisation case")
    assert found == {own_case.number, sibling_case.number}
    assert outsider.number not in found


def test_child_user_does_not_see_the_parents_cases(org_client, parent_user, own_case):
    """Visibility runs down the tree, never up (§10.4)."""
    parent_case = CaseFactory(caller=parent_user, short_description="Group-level case")
    assert listed(org_client) == {own_case.number}
    url = reverse("portal:case_detail", kwargs={"number": parent_case.number})
    assert org_client.get(url).status_code == 404


def test_unrelated_organisation_sees_none_of_them(other_org_user, own_case, sibling_case):
    """Another market participant sees nothing of this group (§10.4)."""
    client = client_for(other_org_user)
    assert listed(client) == set()
    assert "You have no cases yet" in client.get(LIST).content.decode()
    for case in (own_case, sibling_case):
        assert (
            client.get(reverse("portal:case_detail", kwargs={"number": case.number})).status_code
            == 404
        )


def test_desk_agent_sees_every_organisations_cases(agent, own_case, sibling_case, other_org_user):
    """Desk roles with view_all see every case (DESIGN §9)."""
    outsider = CaseFactory(caller=other_org_user)
    assert listed(client_for(agent)) == {own_case.number, sibling_case.number, outsider.number}


def test_home_open_count_is_scoped_to_the_tree(org_client, parent_user, own_case, sibling_case):
    """The home page count uses the same scoping as My Cases (§10.4)."""
    assert org_client.get(reverse("portal:home")).context["open_count"] == "1"
    assert client_for(parent_user).get(reverse("portal:home")).context["open_count"] == "2"
