"""REST API v1: cases — raise, list, read, comments, attachments and lifecycle actions.

Every endpoint group has its happy path, bad input (400), wrong role (403, or 401 where there
is no role to be wrong about) and other organisation (404). State is built through services.
"""

from datetime import datetime, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.models import Case, ReopenRequest
from cases.services import case_comment_add, case_raise_incident, case_transition
from comms.models import OutboundMessage
from tests.factories.access import api_client
from tests.factories.accounts import UserFactory
from tests.factories.cases import PNG_BYTES, CaseFactory, category, text_upload
from tickets.models import JournalEntry

CASES = "/api/v1/cases/"


def api(user=None) -> APIClient:
    """A client with an access token of `user` carrying every scope."""
    return api_client(user)


def case_url(case, suffix: str = "") -> str:
    return f"{CASES}{case.number}/{suffix}"


def outbox_templates(case) -> list[str]:
    return list(
        OutboundMessage.objects.filter(
            ticket_type=ContentType.objects.get_for_model(Case), ticket_id=case.pk
        ).values_list("template", flat=True)
    )


def started(case, agent) -> Case:
    return case_transition(case=case, actor=agent, name="start")


def resolved(case, agent) -> Case:
    return case_transition(case=started(case, agent), actor=agent, name="resolve", notes="Fixed.")


def payload(**overrides) -> dict:
    data = {
        "category": "Market Systems",
        "short_description": "DIP messages rejected",
        "description": "Since 09:00 every message is rejected with E123.",
        "party_id": "NPSU",
    }
    data.update(overrides)
    return data


def error(response) -> dict:
    return response.json()["error"]


# --- raising a case (§3.2) ----------------------------------------------------------------


def test_participant_raises_case_through_api_with_section_3_2_fields(
    org_user, org, django_capture_on_commit_callbacks
):
    """§3.2: the portal fields, channel API, an acknowledgement in the outbox (§3.1)."""
    with django_capture_on_commit_callbacks(execute=True):
        response = api(org_user).post(
            CASES,
            payload(
                organisation=org.pk,
                unregistered_organisation_name="Northern Trading",
                market_participant_id="MP123",
                cra_market_role="supplier",
                related_url="https://example.com/runbook",
            ),
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("CS")
    assert response["Location"].endswith(f"{CASES}{body['number']}/")
    assert body["state"] == "new"
    assert body["channel"] == "api"
    assert body["priority"] is None and body["impact"] is None and body["urgency"] is None
    assert body["category"]["name"] == "Market Systems"
    assert body["organisation"] == {"id": org.pk, "name": org.name}
    assert body["market_participant_id"] == "MP123"
    assert body["related_url"] == "https://example.com/runbook"
    case = Case.objects.get(number=body["number"])
    assert case.channel == Case.Channel.API and case.caller == org_user
    assert "case_acknowledged" in outbox_templates(case)


def test_category_may_be_given_by_id_and_organisation_defaults_to_callers(org_user, org):
    """§3.2: category from the drop-down (id or name); the organisation defaults to the caller's."""
    response = api(org_user).post(CASES, payload(category=category("Security").pk), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["category"]["name"] == "Security"
    assert response.json()["organisation"]["id"] == org.pk


def test_parent_user_may_raise_case_for_child_organisation(parent_user, org):
    """§10.4: a parent organisation's user may raise for any organisation below it."""
    response = api(parent_user).post(CASES, payload(organisation=org.pk), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["organisation"]["id"] == org.pk


def test_raising_case_without_mandatory_fields_is_400_per_field(org_user):
    """§3.2: category, subject and description are mandatory."""
    response = api(org_user).post(CASES, {}, format="json")
    assert response.status_code == 400
    assert error(response)["code"] == "validation_failed"
    assert set(error(response)["fields"]) >= {"category", "short_description", "description"}
    assert not Case.objects.exists()


def test_party_id_or_no_party_id_rule_comes_back_as_field_error(org_user):
    """§3.2: Party ID, or tick "I do not have a party ID" — not both, not neither."""
    response = api(org_user).post(CASES, payload(no_party_id=True), format="json")
    assert response.status_code == 400
    assert "not both" in error(response)["fields"]["party_id"][0]


def test_participant_cannot_set_impact_or_urgency(org_user):
    """§3.8: impact and urgency are assessed by the service desk, never chosen by the caller."""
    response = api(org_user).post(CASES, payload(impact=1, urgency=1), format="json")
    assert response.status_code == 400
    fields = error(response)["fields"]
    assert set(fields) == {"impact", "urgency"}
    assert "set by the service desk only (§3.8)" in fields["impact"][0]
    assert not Case.objects.exists()


def test_user_without_organisation_cannot_raise_case(db):
    """§10.1: a registration not yet attached to an organisation cannot raise cases."""
    unattached = UserFactory(email="new.person@example.com")
    response = api(unattached).post(CASES, payload(), format="json")
    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"
    assert "not yet attached to an organisation" in error(response)["message"]


@pytest.mark.parametrize("which", ["unrelated", "missing"])
def test_participant_cannot_raise_case_for_another_organisation(org_user, unrelated_org, which):
    """§10.4: only your own organisation or those below it; a missing id reads the same."""
    organisation_id = unrelated_org.pk if which == "unrelated" else 999_999
    response = api(org_user).post(CASES, payload(organisation=organisation_id), format="json")
    assert response.status_code == 400
    assert error(response)["fields"]["organisation"] == [
        "You can only raise cases for your own organisation or those below it."
    ]


# --- listing (§10.4) ---------------------------------------------------------------------------


@pytest.fixture
def tree_cases(org_user, sibling_user, parent_user):
    return {
        "own": CaseFactory(caller=org_user),
        "sibling": CaseFactory(caller=sibling_user),
        "parent": CaseFactory(caller=parent_user),
    }


def listed(user, **params) -> list[str]:
    response = api(user).get(CASES, params)
    assert response.status_code == 200, response.json()
    return [row["number"] for row in response.json()["results"]]


def test_list_shows_own_organisation_and_below_never_sibling_or_parent(
    tree_cases, org_user, sibling_user, parent_user, other_org_user
):
    """§10.4: child sees its own; parent sees itself and all descendants; siblings see nothing of each other."""
    own, sibling, parent = tree_cases["own"], tree_cases["sibling"], tree_cases["parent"]
    assert listed(org_user) == [own.number]
    assert listed(sibling_user) == [sibling.number]
    assert set(listed(parent_user)) == {own.number, sibling.number, parent.number}
    assert listed(other_org_user) == []


def test_agent_lists_every_organisations_cases(tree_cases, agent, other_org_user):
    """§10.4: desk roles see every organisation's cases."""
    other = CaseFactory(caller=other_org_user)
    numbers = listed(agent)
    assert set(numbers) == {c.number for c in tree_cases.values()} | {other.number}


def test_list_rows_are_paginated_newest_first(org_user):
    """Issue 9: newest first, a cursor page at a time with no total; the numbered form
    (`?page=`) keeps its count."""
    first, second = CaseFactory(caller=org_user), CaseFactory(caller=org_user)
    response = api(org_user).get(CASES, {"page_size": 1})
    body = response.json()
    assert "count" not in body
    assert [row["number"] for row in body["results"]] == [second.number]
    assert "cursor=" in body["next"] and body["previous"] is None
    numbered = api(org_user).get(CASES, {"page": 2, "page_size": 1}).json()
    assert numbered["count"] == 2
    assert [row["number"] for row in numbered["results"]] == [first.number]


def _walk(client, url: str, key: str) -> list[list[str]]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        pages.append([row["number"] for row in body["results"]])
        url = body[key]
    return pages


def test_cursor_pages_walk_forwards_and_back_without_gaps_or_repeats(org_user):
    """Issue 9: keyset pages over cases raised in the same instant (ties broken by id) cover
    every case once, forwards by `next` and back by `previous`."""
    moment = timezone.now() - timedelta(hours=1)
    cases = [CaseFactory(caller=org_user) for _ in range(7)]
    Case.objects.filter(pk__in=[c.pk for c in cases[2:5]]).update(opened_at=moment)
    expected = list(
        Case.objects.filter(pk__in=[c.pk for c in cases])
        .order_by("-opened_at", "-pk")
        .values_list("number", flat=True)
    )
    client = api(org_user)
    forwards = _walk(client, f"{CASES}?page_size=3", "next")
    assert [n for page in forwards for n in page] == expected
    assert [len(page) for page in forwards] == [3, 3, 1]
    last = client.get(f"{CASES}?page_size=3").json()["next"]
    last = client.get(last).json()["next"]
    backwards = _walk(client, last, "previous")
    assert [n for page in reversed(backwards) for n in page] == expected


@pytest.mark.parametrize("cursor", ["abc", "!!!", "MjAyNnwxfG4", "x" * 200])
def test_a_cursor_the_api_did_not_give_is_400_naming_it(org_user, cursor):
    response = api(org_user).get(CASES, {"cursor": cursor})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["cursor"]


def test_list_filters_by_state_category_organisation_dates_and_text(
    org_user, parent_user, org, agent
):
    """Filters: state (repeatable), category, organisation, opened_after/opened_before, q."""
    market = CaseFactory(caller=org_user, short_description="Settlement run late")
    security = CaseFactory(caller=org_user, category_name="Security")
    started(security, agent)
    parents_own = CaseFactory(caller=parent_user)
    Case.objects.filter(pk=parents_own.pk).update(opened_at=timezone.now() - timedelta(days=10))

    assert listed(parent_user, state="in_progress") == [security.number]
    assert set(listed(parent_user, state=["new", "in_progress"])) == {
        market.number,
        security.number,
        parents_own.number,
    }
    assert listed(parent_user, category=category("Security").pk) == [security.number]
    assert set(listed(parent_user, organisation=org.pk)) == {market.number, security.number}
    week_ago = (timezone.now() - timedelta(days=7)).isoformat()
    assert listed(parent_user, opened_before=week_ago) == [parents_own.number]
    assert parents_own.number not in listed(parent_user, opened_after=week_ago)
    assert listed(parent_user, q="settlement RUN") == [market.number]
    assert listed(parent_user, q=security.number.lower()) == [security.number]


def test_list_with_bad_filter_values_is_400_per_field(org_user):
    """Bad filters are refused with the field named, not ignored."""
    response = api(org_user).get(CASES, {"state": "lost", "opened_after": "yesterday"})
    assert response.status_code == 400
    assert set(error(response)["fields"]) == {"state", "opened_after"}


def test_list_without_credentials_is_401(tree_cases):
    """The API is for signed-in users and integrations with a token only."""
    response = APIClient().get(CASES)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert error(response)["code"] == "not_authenticated"


@pytest.mark.parametrize("comments", [2, 20])
def test_case_detail_query_count_is_constant(org_user, agent, django_assert_num_queries, comments):
    """Issue 9: a participant's case detail reads the case and nothing else, whatever its
    history: no staff-only relation (assignment, links) is joined or loaded for them."""
    case = CaseFactory(caller=org_user)
    for index in range(comments):
        case_comment_add(case=case, actor=agent, body=f"Update {index}")
    client = api_client(org_user)
    url = reverse("api:case_detail", kwargs={"number": case.number})
    client.get(url)  # the token's first use stamps last-used; the access cache warms
    # 1 token joined with its user; 2 the case with category, organisation, caller and
    # re-route desk joined.
    with django_assert_num_queries(2):
        response = client.get(url)
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == case.number
    assert not {"assignment_group", "assigned_to", "links"} & set(body)


@pytest.mark.parametrize("size", [2, 20])
def test_case_list_query_count_is_constant(org_user, django_assert_num_queries, size):
    """docs/conventions.md §7: the list costs the same number of queries at any size."""
    for _ in range(size):
        CaseFactory(caller=org_user)
    client = api_client(org_user)
    client.get(CASES, {"page_size": 1})  # the token's first use stamps last-used (once a minute)
    # 1 token joined with its user; 2 the cursor page's rows with category, organisation and
    # caller joined. Permissions and the ids of the user's organisation tree (visible_tickets
    # filters by them) come from the access cache; a cursor page counts nothing (issue 9).
    with django_assert_num_queries(2):
        response = client.get(CASES, {"page_size": 50})
    assert response.status_code == 200
    assert len(response.json()["results"]) == size


# --- one case ---------------------------------------------------------------------------------


def test_case_detail_shows_state_priority_triage_and_aware_timestamps(
    org_user, agent, resolver_group
):
    """§10.2: state, hold reason, priority (§3.8), triage outcome (§4.1), ISO timestamps with zone."""
    case = CaseFactory(caller=org_user)
    case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    case_comment_add(
        case=case, actor=agent, body="Internal: DIP vendor ticket 4471", work_note=True
    )

    response = api(org_user).get(case_url(case))
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "in_progress"
    assert body["hold_reason"] is None
    assert body["priority"] == 3 and body["impact"] == 2 and body["urgency"] == 2
    assert body["triage_outcome"] == "incident"
    for stamp in ("opened_at", "updated_at", "triaged_at"):
        assert datetime.fromisoformat(body[stamp]).tzinfo is not None
    assert body["resolved_at"] is None
    # Participants never see work notes, linked incidents or who works the case.
    assert "4471" not in response.content.decode()
    assert not {"links", "assignment_group", "assigned_to"} & set(body)
    assert body["actions"] == []


def test_case_detail_for_staff_lists_linked_incidents(org_user, agent, resolver_group):
    """Appendix G: the desk sees the incidents raised from a case; participants do not."""
    case = CaseFactory(caller=org_user)
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    body = api(agent).get(case_url(case)).json()
    assert [link["number"] for link in body["links"]] == [incident.number]
    assert body["links"][0]["assignment_group"]["name"] == resolver_group.name
    assert body["links"][0]["url"].endswith(f"/api/v1/incidents/{incident.number}/")
    assert "assignment_group" in body and "assigned_to" in body
    assert set(body["actions"]) == {"hold", "resolve", "cancel"}


def test_case_detail_of_resolved_case_offers_caller_confirm_or_reject(org_user, agent):
    """§10.3: once resolved, the caller may confirm or reject."""
    case = resolved(CaseFactory(caller=org_user), agent)
    body = api(org_user).get(case_url(case)).json()
    assert body["state"] == "resolved"
    assert body["resolution_notes"] == "Fixed."
    assert body["actions"] == ["reject-resolution", "confirm-resolution"]


def test_parent_sees_child_case_but_child_does_not_see_parent_case(org_user, parent_user):
    """§10.4: visibility runs down the tree, never up."""
    childs = CaseFactory(caller=org_user)
    parents = CaseFactory(caller=parent_user)
    assert api(parent_user).get(case_url(childs)).status_code == 200
    assert api(org_user).get(case_url(parents)).status_code == 404


def test_sibling_or_other_organisation_case_detail_is_404(org_user, sibling_user, other_org_user):
    """§10.4: a case outside your tree is not found, exactly like one that does not exist."""
    case = CaseFactory(caller=org_user)
    for outsider in (sibling_user, other_org_user):
        response = api(outsider).get(case_url(case))
        assert response.status_code == 404
        assert error(response)["code"] == "not_found"
        assert case.short_description not in response.content.decode()


def test_case_detail_without_credentials_is_401(org_user):
    """No anonymous reads."""
    case = CaseFactory(caller=org_user)
    assert APIClient().get(case_url(case)).status_code == 401


# --- comments (§10.2) ----------------------------------------------------------------------


def test_participant_posts_customer_comment_and_desk_is_told(
    org_user, django_capture_on_commit_callbacks
):
    """§10.2: a caller's comment goes on the journal and alerts whoever works the case."""
    case = CaseFactory(caller=org_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(org_user).post(
            case_url(case, "comments/"), {"body": "Logs attached."}, format="json"
        )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "comment"
    assert response.json()["author"] == "Sam Supplier"
    assert "case_caller_replied" in outbox_templates(case)
    kinds = [entry["kind"] for entry in api(org_user).get(case_url(case, "comments/")).json()]
    assert kinds == ["system", "comment"]


def test_work_notes_are_listed_for_staff_only(org_user, agent):
    """§10.2: work notes never leave the desk; the caller's journal leaves them out."""
    case = CaseFactory(caller=org_user)
    response = api(agent).post(
        case_url(case, "comments/"),
        {"body": "Vendor says patch Friday.", "work_note": True},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "work_note"
    staff_view = api(agent).get(case_url(case, "comments/")).json()
    caller_view = api(org_user).get(case_url(case, "comments/")).json()
    assert "work_note" in [entry["kind"] for entry in staff_view]
    assert "work_note" not in [entry["kind"] for entry in caller_view]
    assert "patch Friday" not in str(caller_view)


def test_caller_comment_resumes_case_awaiting_caller(org_user, agent):
    """§5.12: a reply to an Awaiting Caller hold puts the case back In Progress."""
    case = case_transition(
        case=started(CaseFactory(caller=org_user), agent),
        actor=agent,
        name="hold",
        reason="awaiting_caller",
    )
    api(org_user).post(case_url(case, "comments/"), {"body": "Here are the logs."}, format="json")
    assert api(org_user).get(case_url(case)).json()["state"] == "in_progress"


def test_empty_comment_is_400(org_user):
    """A comment needs a body."""
    case = CaseFactory(caller=org_user)
    response = api(org_user).post(case_url(case, "comments/"), {"body": ""}, format="json")
    assert response.status_code == 400
    assert "body" in error(response)["fields"]


def test_participant_cannot_post_work_note(org_user):
    """§10.2: work notes are for the service desk only."""
    case = CaseFactory(caller=org_user)
    response = api(org_user).post(
        case_url(case, "comments/"), {"body": "psst", "work_note": True}, format="json"
    )
    assert response.status_code == 403
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.WORK_NOTE).exists()


def test_other_organisation_comments_are_404(org_user, other_org_user):
    """§10.4: neither reading nor writing another organisation's journal."""
    case = CaseFactory(caller=org_user)
    assert api(other_org_user).get(case_url(case, "comments/")).status_code == 404
    response = api(other_org_user).post(case_url(case, "comments/"), {"body": "hi"}, format="json")
    assert response.status_code == 404
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.COMMENT).exists()


def test_comment_on_closed_case_asks_to_reopen_it(org_user, agent):
    """§10.3: a comment on a Closed case is a request to reopen it, recorded with its
    channel; the case stays Closed until the desk decides."""
    case = case_transition(
        case=resolved(CaseFactory(caller=org_user), agent), actor=org_user, name="close"
    )
    response = api(org_user).post(
        case_url(case, "comments/"), {"body": "One more thing"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["body"] == "One more thing"
    case.refresh_from_db()
    assert case.state == "closed"
    request = ReopenRequest.objects.get(case=case)
    assert (request.requester, request.channel) == (org_user, "api")


def test_comment_on_cancelled_case_is_409(org_user, agent):
    """A cancelled case takes no more comments: a later issue needs a new case."""
    case = case_transition(
        case=CaseFactory(caller=org_user), actor=agent, name="cancel", reason="duplicate"
    )
    response = api(org_user).post(
        case_url(case, "comments/"), {"body": "One more thing"}, format="json"
    )
    assert response.status_code == 409
    assert "raise a new case" in error(response)["message"]


def test_reopen_is_not_an_api_action(org_user, agent):
    """Reopening a Closed case answers a request in the console (§10.3): no API route."""
    case = case_transition(
        case=resolved(CaseFactory(caller=org_user), agent), actor=org_user, name="close"
    )
    assert act(agent, case, "reopen", {"expected_state": "closed"}).status_code == 404


# --- attachments (§3.2) -----------------------------------------------------------------------


def test_participant_attaches_file_and_gets_portal_download_url(org_user):
    """§3.2: error logs and screenshots; downloads go through the portal's checked route."""
    case = CaseFactory(caller=org_user)
    response = api(org_user).post(
        case_url(case, "attachments/"), {"file": text_upload("dip-error.log")}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "dip-error.log"
    assert body["mime_type"] == "text/plain"
    assert body["download_url"] == "http://testserver" + reverse(
        "portal:attachment_download", kwargs={"pk": body["id"]}
    )
    listing = api(org_user).get(case_url(case, "attachments/")).json()
    assert [item["id"] for item in listing] == [body["id"]]


def test_png_screenshot_is_accepted(org_user):
    """§3.2: screenshots."""
    case = CaseFactory(caller=org_user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("screen.png", PNG_BYTES, content_type="image/png")
    response = api(org_user).post(
        case_url(case, "attachments/"), {"file": upload}, format="multipart"
    )
    assert response.status_code == 201
    assert response.json()["mime_type"] == "image/png"


def test_attachment_of_a_type_we_do_not_accept_is_400_with_message(org_user):
    """Types are checked by content: an executable is refused, whatever it is called."""
    case = CaseFactory(caller=org_user)
    upload = text_upload("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00")
    response = api(org_user).post(
        case_url(case, "attachments/"), {"file": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "not a type we accept" in error(response)["message"]
    assert "not a type we accept" in error(response)["fields"]["file"][0]


def test_attachment_whose_content_contradicts_its_name_is_400(org_user):
    """A text file named .png is refused: the content decides."""
    case = CaseFactory(caller=org_user)
    response = api(org_user).post(
        case_url(case, "attachments/"), {"file": text_upload("screen.png")}, format="multipart"
    )
    assert response.status_code == 400
    assert "does not contain what its name says" in error(response)["message"]


def test_attachment_without_file_is_400(org_user):
    """The multipart field is `file`."""
    case = CaseFactory(caller=org_user)
    response = api(org_user).post(case_url(case, "attachments/"), {}, format="multipart")
    assert response.status_code == 400
    assert "file" in error(response)["fields"]


def test_attachment_without_credentials_is_401(org_user):
    """No anonymous uploads."""
    case = CaseFactory(caller=org_user)
    response = APIClient().post(
        case_url(case, "attachments/"), {"file": text_upload()}, format="multipart"
    )
    assert response.status_code == 401


def test_other_organisation_attachments_are_404(org_user, other_org_user):
    """§10.4: no listing of, or adding to, another organisation's case."""
    case = CaseFactory(caller=org_user, uploads=[text_upload()])
    assert api(other_org_user).get(case_url(case, "attachments/")).status_code == 404
    response = api(other_org_user).post(
        case_url(case, "attachments/"), {"file": text_upload()}, format="multipart"
    )
    assert response.status_code == 404


# --- lifecycle actions (§5.12, §5.13, §10.3) -------------------------------------------------


def act(user, case, action: str, data: dict | None = None):
    return api(user).post(case_url(case, f"{action}/"), data or {}, format="json")


def test_agent_starts_case(org_user, agent):
    """§4.1: the desk picks the case up; New → In Progress."""
    case = CaseFactory(caller=org_user)
    response = act(agent, case, "start", {"expected_state": "new"})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "in_progress"
    assert response.json()["number"] == case.number


def test_agent_puts_case_on_hold_with_reason_and_caller_is_asked(org_user, agent):
    """§5.12: On Hold with a reason; Awaiting Caller asks the caller for information."""
    case = started(CaseFactory(caller=org_user), agent)
    response = act(
        agent, case, "hold", {"reason": "awaiting_caller", "note": "Please send the logs."}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "on_hold"
    assert response.json()["hold_reason"] == "awaiting_caller"
    assert "case_information_requested" in outbox_templates(case)
    comments = api(org_user).get(case_url(case, "comments/")).json()
    assert comments[-1]["body"] == "Please send the logs."


def test_agent_resumes_case(org_user, agent):
    """§5.12: On Hold → In Progress."""
    case = case_transition(
        case=started(CaseFactory(caller=org_user), agent),
        actor=agent,
        name="hold",
        reason="awaiting_vendor",
    )
    response = act(agent, case, "resume")
    assert response.status_code == 200
    assert response.json()["state"] == "in_progress"
    assert response.json()["hold_reason"] is None


def test_agent_resolves_case_with_notes_and_code(org_user, agent):
    """§10.3: resolved with notes; the caller is invited to confirm."""
    case = started(CaseFactory(caller=org_user), agent)
    response = act(agent, case, "resolve", {"notes": "Certificate renewed.", "code": "solved"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "resolved"
    assert (
        body["resolution_notes"] == "Certificate renewed." and body["resolution_code"] == "solved"
    )
    assert datetime.fromisoformat(body["resolved_at"]).tzinfo is not None
    assert "case_resolved" in outbox_templates(case)


def test_resolution_code_must_come_from_the_list(org_user, agent):
    """Issue 10 point 18: a resolution code is one of the list's (§10.3, §6.5), or none."""
    case = started(CaseFactory(caller=org_user), agent)
    response = act(agent, case, "resolve", {"notes": "Certificate renewed.", "code": "fixed it"})
    assert response.status_code == 400, response.json()
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS

    response = act(agent, case, "resolve", {"notes": "Certificate renewed.", "code": ""})
    assert response.status_code == 200, response.json()
    assert response.json()["resolution_code"] == ""


def test_caller_rejects_resolution_with_reason_and_case_reopens(org_user, agent):
    """§10.3: the caller rejects; the case reopens and their reason is a comment."""
    case = resolved(CaseFactory(caller=org_user), agent)
    response = act(org_user, case, "reject-resolution", {"reason": "Still failing at 10:00."})
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "in_progress"
    assert response.json()["reopen_count"] == 1
    comments = api(org_user).get(case_url(case, "comments/")).json()
    assert comments[-1]["body"] == "Still failing at 10:00."


def test_caller_confirms_resolution_and_case_closes(org_user, agent):
    """§10.3: the caller confirms; Closed, with a final email."""
    case = resolved(CaseFactory(caller=org_user), agent)
    response = act(org_user, case, "confirm-resolution", {"expected_state": "resolved"})
    assert response.status_code == 200
    assert response.json()["state"] == "closed"
    assert response.json()["closed_at"] is not None
    assert "case_closed" in outbox_templates(case)


def test_parent_organisation_user_may_confirm_childs_resolution(org_user, parent_user, agent):
    """§10.4: who may see the case may confirm it for the caller's side."""
    case = resolved(CaseFactory(caller=org_user), agent)
    assert act(parent_user, case, "confirm-resolution").json()["state"] == "closed"


def test_agent_cancels_case_with_reason(org_user, agent):
    """§5.13: any open case may be cancelled as a duplicate, raised in error or withdrawn."""
    case = CaseFactory(caller=org_user)
    response = act(agent, case, "cancel", {"reason": "duplicate"})
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert response.json()["cancel_reason"] == "duplicate"


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("hold", {}, "reason"),
        ("hold", {"reason": "lunch"}, "reason"),
        ("resolve", {"notes": ""}, "notes"),
        ("cancel", {"reason": "bored"}, "reason"),
        ("start", {"expected_state": "sideways"}, "expected_state"),
    ],
)
def test_action_with_bad_payload_is_400_naming_the_field(org_user, agent, action, data, field):
    """Each action's payload is checked before anything changes."""
    case = CaseFactory(caller=org_user)
    if action != "start":
        case = started(case, agent)
    response = act(agent, case, action, data)
    assert response.status_code == 400
    assert field in error(response)["fields"]
    assert Case.objects.get(pk=case.pk).state == case.state


def test_reject_resolution_needs_a_reason(org_user, agent):
    """§10.3: say what is still wrong."""
    case = resolved(CaseFactory(caller=org_user), agent)
    response = act(org_user, case, "reject-resolution", {})
    assert response.status_code == 400
    assert "reason" in error(response)["fields"]


@pytest.mark.parametrize("action", ["start", "resolve", "cancel"])
def test_participant_cannot_take_desk_actions(org_user, action):
    """§5.12, §5.13: starting, resolving and cancelling are the desk's."""
    case = CaseFactory(caller=org_user)
    data = {"notes": "I fixed it myself"} if action == "resolve" else {"reason": "withdrawn"}
    response = act(org_user, case, action, data)
    assert response.status_code == 403
    assert error(response)["code"] == "not_permitted"
    assert Case.objects.get(pk=case.pk).state == Case.State.NEW


def test_action_not_allowed_in_current_state_is_409(org_user, agent):
    """§10.3: only a resolved case can be confirmed."""
    case = started(CaseFactory(caller=org_user), agent)
    response = act(org_user, case, "confirm-resolution")
    assert response.status_code == 409
    assert error(response)["code"] == "transition_not_allowed"
    assert "In Progress" in error(response)["message"]


def test_action_on_stale_state_is_409_changed_by_someone_else(org_user, agent):
    """docs/conventions.md §3: acting on what you saw, not on what is there now, is refused."""
    case = CaseFactory(caller=org_user)
    started(case, agent)
    response = act(agent, case, "cancel", {"reason": "duplicate", "expected_state": "new"})
    assert response.status_code == 409
    assert error(response)["code"] == "changed_by_someone_else"
    assert Case.objects.get(pk=case.pk).state == Case.State.IN_PROGRESS


def test_other_organisation_actions_are_404(org_user, sibling_user, agent):
    """§10.4: a sibling cannot confirm or reject another organisation's resolution."""
    case = resolved(CaseFactory(caller=org_user), agent)
    for action, data in (("confirm-resolution", {}), ("reject-resolution", {"reason": "no"})):
        response = act(sibling_user, case, action, data)
        assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).state == Case.State.RESOLVED


# --- authentication --------------------------------------------------------------------------


def test_token_authentication_lists_and_raises_cases(org_user):
    """Integrations authenticate with `Authorization: Bearer <access token>` (§10.5.2)."""
    client = api_client(org_user)
    assert client.post(CASES, payload(), format="json").status_code == 201
    assert len(client.get(CASES).json()["results"]) == 1


def test_unknown_token_is_401(org_user):
    """A wrong token is refused, not treated as anonymous."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer mhhs_000000000000_not-a-real-token")
    response = client.get(CASES)
    assert response.status_code == 401
    assert error(response)["code"] == "authentication_failed"


def test_session_authenticated_write_needs_csrf_token(org_user):
    """A browser session may use the API, with CSRF enforced on writes."""
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(org_user)
    refused = client.post(CASES, payload(), format="json")
    assert refused.status_code == 403
    assert "CSRF" in error(refused)["message"]
    assert client.get(CASES).status_code == 200

    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    accepted = client.post(CASES, payload(), format="json", HTTP_X_CSRFTOKEN=secret)
    assert accepted.status_code == 201, accepted.json()


def test_the_list_rows_fast_form_is_the_serializers_own_output(org_user, agent):
    """Issue 9: `case_summary` builds list rows directly; it must say exactly what the declared
    fields say, for every shape of case (held, prioritised, triaged, closed, no category)."""
    from cases.api import CASE_SUMMARY_VALUES, CaseSummarySerializer, case_summary

    held = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    held = case_transition(
        case=held, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_VENDOR
    )
    fresh = CaseFactory(caller=org_user)
    Case.objects.filter(pk=fresh.pk).update(category=None, priority=3)
    closed = resolved(CaseFactory(caller=org_user), agent)
    named = UserFactory(organisation=org_user.organisation, full_name="")
    unnamed = CaseFactory(caller=named)
    ids = [held.pk, fresh.pk, closed.pk, unnamed.pk]
    rows = {row["pk"]: row for row in Case.objects.filter(pk__in=ids).values(*CASE_SUMMARY_VALUES)}
    assert len(rows) == 4
    for case in Case.objects.filter(pk__in=ids):
        assert case_summary(rows[case.pk]) == CaseSummarySerializer(case).data
