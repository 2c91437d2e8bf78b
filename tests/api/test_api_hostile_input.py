"""Hostile input is a clear 400, 404 or 415 in the API, the portal and the console, never a 500
(issue 7, point 4), and `POST /api/v1/cases/` does not tell unknown organisations from other
people's (issue 7, point 7; §10.4).
"""

import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from cases.models import Case
from tests.conftest import login_client, mfa_client
from tests.factories.access import api_client
from tests.factories.cases import CaseFactory
from tickets.limits import COMMENT_MAX_CHARS, DESCRIPTION_MAX_CHARS

CASES = "/api/v1/cases/"
ONE_MEGABYTE = "x" * 1_048_576


def _error(response) -> dict:
    return json.loads(response.content)["error"]


def _payload(**overrides) -> dict:
    return {
        "category": "Market Systems",
        "short_description": "DIP messages rejected",
        "description": "Since 09:00 every message is rejected with E123.",
        "party_id": "NPSU",
        **overrides,
    }


# --- list filters ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, field",
    [
        ("/api/v1/cases/?organisation=99999999999999999999", "organisation"),
        ("/api/v1/cases/?organisation=0", "organisation"),
        ("/api/v1/cases/?category=-5.2e175", "category"),
        ("/api/v1/cases/?opened_before=0001-01-01T00:00:00%2B14:00", "opened_before"),
        ("/api/v1/cases/?opened_after=0328-02-07T14:25:36%2B17:38", "opened_after"),
        ("/api/v1/cases/?opened_after=9999-12-31T23:00:00-12:00", "opened_after"),
        ("/api/v1/incidents/?assignment_group=99999999999999999999", "assignment_group"),
        ("/api/v1/incidents/?opened_before=0001-01-01T00:00:00%2B14:00", "opened_before"),
        ("/api/v1/cases/?q=" + "x" * 161, "q"),
    ],
)
def test_out_of_range_filter_is_400_naming_the_field(agent, path, field):
    """Issue 7: values the database cannot hold are refused with the field named."""
    response = mfa_client(agent).get(path)
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == [field]


def test_in_range_filters_still_work(org_user):
    """The bounds refuse nothing real: a case of today matches a filter from year 1."""
    case = CaseFactory(caller=org_user)
    response = api_client(org_user).get(
        f"{CASES}?opened_after=0002-01-01T00:00:00%2B14:00&organisation={case.organisation_id}"
    )
    assert response.status_code == 200
    assert [row["number"] for row in response.json()["results"]] == [case.number]


@pytest.mark.parametrize(
    "query, field",
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("page=99999999999999999999", "page"),
        ("page=2", "page"),  # past the last page
        ("page_size=-1", "page_size"),
        ("page_size=abc", "page_size"),
    ],
)
def test_bad_page_or_page_size_is_400_naming_it(org_user, query, field):
    """Issue 7: pagination input is bad input like any other, not a 404 or a silent default."""
    CaseFactory(caller=org_user)
    response = api_client(org_user).get(f"{CASES}?{query}")
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == [field]


def test_page_size_above_the_maximum_is_capped(org_user):
    CaseFactory(caller=org_user)
    response = api_client(org_user).get(f"{CASES}?page_size=99999999999999999999999")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


# --- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/CS99999999999999999999999/",
        "/api/v1/cases/%FF%FE/",
        "/api/v1/incidents/INC99999999999999999999/slas/",
        "/api/v1/cases/" + "C" * 5000 + "/comments/",
    ],
)
def test_odd_ticket_numbers_in_api_paths_are_404(agent, path):
    response = mfa_client(agent).get(path)
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


@pytest.mark.parametrize(
    "path", ["/attachments/99999999999999999999/", "/cases/%FF/", "/cases/" + "9" * 4000 + "/"]
)
def test_odd_ids_in_portal_paths_are_404(org_user, path):
    assert login_client(org_user).get(path).status_code == 404


def test_portal_page_number_out_of_range_shows_the_last_page(org_user):
    CaseFactory(caller=org_user)
    response = login_client(org_user).get("/cases/?page=99999999999999999999")
    assert response.status_code == 200


def _api_routes():
    resolver = get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver) and str(pattern.pattern) == "api/v1/":
            for route in pattern.url_patterns:
                assert isinstance(route, URLPattern)
                yield "/api/v1/" + str(route.pattern)


def test_options_answers_on_every_api_route(agent, org_user):
    """Issue 7: `OPTIONS /api/v1/cases/` was a 500; every route, present and future, answers."""
    case = CaseFactory(caller=org_user)
    client = mfa_client(agent)
    routes = list(_api_routes())
    assert "/api/v1/cases/" in routes
    for route in routes:
        path = route.replace("<str:number>", case.number)
        response = client.options(path)
        assert response.status_code in (200, 401, 403), (path, response.status_code)


def test_options_on_the_case_list_describes_the_create_body(org_user):
    response = api_client(org_user).options(CASES)
    assert response.status_code == 200
    assert "description" in response.json()["actions"]["POST"]


# --- bodies ------------------------------------------------------------------------------------


def test_one_megabyte_description_is_refused_by_the_api_naming_the_field(org_user):
    """Issue 7: the API holds the portal's limits; a 1 MB description is a clear 400."""
    response = api_client(org_user).post(CASES, _payload(description=ONE_MEGABYTE), format="json")
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["description"]
    assert f"{DESCRIPTION_MAX_CHARS}" in _error(response)["fields"]["description"][0]
    assert not Case.objects.exists()


def test_one_megabyte_description_is_refused_by_the_portal_form(org_user):
    """Issue 7: the same limit on the portal's raise-a-case form (§3.2)."""
    response = login_client(org_user).post(
        "/cases/new/",
        {
            "organisation": org_user.organisation_id,
            "short_description": "DIP messages rejected",
            "description": ONE_MEGABYTE,
            "party_id": "NPSU",
        },
    )
    assert response.status_code == 400
    assert b"Keep the description to 20,000 characters or fewer" in response.content
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "suffix, field",
    [("comments/", "body"), ("reject-resolution/", "reason")],
)
def test_api_comment_over_the_portal_limit_is_refused(org_user, suffix, field):
    """Issue 7: a comment over 20,000 characters was accepted by the API; the form refuses it."""
    case = CaseFactory(caller=org_user)
    response = api_client(org_user).post(
        f"{CASES}{case.number}/{suffix}", {field: "x" * (COMMENT_MAX_CHARS + 1)}, format="json"
    )
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == [field]


def test_work_note_over_the_limit_is_refused(agent, org_user):
    case = CaseFactory(caller=org_user)
    response = api_client(agent).post(
        f"{CASES}{case.number}/comments/",
        {"body": "x" * (COMMENT_MAX_CHARS + 1), "work_note": True},
        format="json",
    )
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["body"]


@pytest.mark.parametrize(
    "category", [99999999999999999999, "9" * 5000, -1, "x" * 500, ["Market Systems"]]
)
def test_odd_category_values_are_400_naming_category(org_user, category):
    response = api_client(org_user).post(CASES, _payload(category=category), format="json")
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["category"]


def test_invalid_utf8_json_body_is_400(org_user):
    response = api_client(org_user).post(CASES, b"\xff\xfe{", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


@pytest.mark.parametrize("suffix", [None, "comments/", "hold/"])
def test_json_nested_past_the_recursion_limit_is_400(agent, org_user, suffix):
    """A body of a hundred thousand nested lists was an unhandled RecursionError (a 500)."""
    path = CASES if suffix is None else f"{CASES}{CaseFactory(caller=org_user).number}/{suffix}"
    body = "[" * 100_000 + "]" * 100_000
    response = api_client(agent).post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"
    assert "nested too deeply" in _error(response)["message"]


def test_unknown_content_type_is_415(org_user):
    response = api_client(org_user).post(CASES, b"a=b", content_type="text/weird")
    assert response.status_code == 415
    assert _error(response)["code"] == "unsupported_media_type"


def test_broken_multipart_body_is_not_a_500(org_user):
    case = CaseFactory(caller=org_user)
    response = api_client(org_user).post(
        f"{CASES}{case.number}/attachments/",
        b"--nope\r\ngarbage",
        content_type="multipart/form-data; boundary=other",
    )
    assert response.status_code in (400, 415)


# --- no enumeration on POST /api/v1/cases/ (issue 7, point 7) --------------------------------


@pytest.mark.parametrize(
    "overrides",
    [{}, {"party_id": "", "category": "No such category"}],
    ids=["otherwise-valid", "other-fields-wrong-too"],
)
def test_unknown_and_foreign_organisation_ids_get_the_same_answer(
    org_user, unrelated_org, overrides
):
    """§10.4, issue 7: an id that does not exist and one of another organisation are refused
    with the same status, words and fields, so organisation ids cannot be probed."""
    client = api_client(org_user)
    foreign = client.post(
        CASES, _payload(organisation=unrelated_org.pk, **overrides), format="json"
    )
    unknown = client.post(
        CASES, _payload(organisation=unrelated_org.pk + 1000, **overrides), format="json"
    )
    assert foreign.status_code == unknown.status_code == 400
    assert foreign.json() == unknown.json()
    assert foreign.json()["error"]["fields"]["organisation"] == [
        "You can only raise cases for your own organisation or those below it."
    ]


def test_agent_may_still_raise_for_any_organisation(agent, unrelated_org):
    """Desk staff raise cases on a caller's behalf for any organisation (§10.4)."""
    response = api_client(agent).post(
        CASES, _payload(organisation=unrelated_org.pk, party_id="BRWT"), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["organisation"]["id"] == unrelated_org.pk


# --- console changelists -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "organisation=99999999999999999999",
        "opened_at__gte=0001-01-01T00:00:00%2B14:00",
        "opened_at__year=99999",
        "opened_at__year=0",
        "q=%00",
    ],
)
@pytest.mark.parametrize("changelist", ["/admin/cases/case/", "/admin/incidents/incident/"])
def test_console_changelist_filters_out_of_range_are_never_a_500(agent, changelist, query):
    """Issue 7: the console's generic `field__lookup=value` filters never give a 500."""
    agent.is_superuser = True
    agent.save()
    response = mfa_client(agent).get(f"{changelist}?{query}")
    # An empty list (PostgreSQL matches nothing), the admin's "?e=1" redirect, or a 400.
    assert response.status_code in (200, 302, 400)
