"""A NUL character anywhere in a request is a 400, never a 500 (issue 7, point 4).

PostgreSQL refuses U+0000 in any text value, so these only failed there: run this file on
PostgreSQL too (DATABASE_URL). The middleware refuses NULs in the path, the query string and
form bodies; JSON bodies are refused field by field, naming the field.
"""

import json

import pytest

from cases.models import Case
from tests.conftest import login_client, mfa_client
from tests.factories.access import api_client
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry


def _error(response) -> dict:
    return json.loads(response.content)["error"]


@pytest.mark.parametrize("path", ["/cases/CS%00/", "/cases/CS0000001%00/comment/"])
def test_nul_in_a_portal_address_is_400(org_user, path):
    """Issue 7: the portal answers a NUL in the path with a plain 400, not a database error."""
    response = login_client(org_user).get(path)
    assert response.status_code == 400
    assert b"NUL" in response.content


def test_nul_in_an_api_address_is_400_in_the_error_shape(org_user):
    """Issue 7: `/api/v1/cases/CS%00/` is a 400 in the API's one error shape."""
    response = api_client(org_user).get("/api/v1/cases/CS%00/")
    assert response.status_code == 400
    assert _error(response)["code"] == "bad_request"
    assert "NUL" in _error(response)["message"]


@pytest.mark.parametrize("path", ["/api/v1/cases/?q=%00", "/api/v1/incidents/?q=a%00b"])
def test_nul_in_an_api_query_string_is_400_naming_the_parameter(agent, path):
    """Issue 7: `?q=%00` names `q`."""
    response = mfa_client(agent).get(path)
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["q"]


@pytest.mark.parametrize("query", ["q=%00", "state=%00", "page=1%00"])
def test_nul_in_the_my_cases_filter_is_400(org_user, query):
    """Issue 7: the My Cases search (§10.4 list) refuses a NUL rather than querying with it."""
    response = login_client(org_user).get(f"/cases/?{query}")
    assert response.status_code == 400


def test_nul_in_a_portal_form_field_is_400_and_nothing_is_stored(org_user):
    """Issue 7: a NUL in a posted form field (raise a case, §3.2) is refused before the view."""
    response = login_client(org_user).post(
        "/cases/new/",
        {"short_description": "Login\x00fails", "description": "x", "category": "1"},
    )
    assert response.status_code == 400
    assert b"Null characters are not allowed" in response.content
    assert not Case.objects.exists()


def test_nul_in_a_comment_form_is_400(org_user):
    """Issue 7: the same for a comment on a case (§10.2)."""
    case = CaseFactory(caller=org_user)
    response = login_client(org_user).post(
        f"/cases/{case.number}/comment/", {"comment-body": "Still\x00 broken"}
    )
    assert response.status_code == 400
    assert not JournalEntry.objects.filter(body__contains="Still").exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("category", "Participant\u0000Issues"),
        ("short_description", "Login\u0000 fails"),
        ("description", "Steps\u0000 taken"),
        ("party_id", "NP\u0000SU"),
    ],
)
def test_nul_in_a_json_field_is_400_naming_the_field(org_user, field, value):
    """Issue 7: `"category": "Participant\\u0000Issues"` is a 400 naming `category`."""
    body = {
        "category": "Market Systems",
        "short_description": "DIP messages rejected",
        "description": "Since 09:00 every message is rejected.",
        "party_id": "NPSU",
        field: value,
    }
    response = api_client(org_user).post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == [field]
    assert "Null characters are not allowed" in _error(response)["fields"][field][0]


def test_nul_in_a_json_comment_is_400_naming_body(org_user):
    """Issue 7: comments through the API (§10.2) refuse a NUL in `body`."""
    case = CaseFactory(caller=org_user)
    response = api_client(org_user).post(
        f"/api/v1/cases/{case.number}/comments/", {"body": "a\u0000b"}, format="json"
    )
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["body"]


def test_cookie_holding_a_nul_is_ignored_not_a_500(org_user):
    """Issue 7: a session cookie with a NUL is dropped, so the browser is asked to sign in."""
    client = login_client(org_user)
    response = client.get("/cases/", HTTP_COOKIE="sessionid=abc\x00def")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
