"""One JSON error shape for the whole API: {"error": {"code", "message", "fields"}}.

Domain errors keep their status (400, 403, 404, 409); framework errors (parse, auth, method)
come out in the same shape. A refused action is never a 500 (docs/conventions.md §2).
"""

import pytest
from rest_framework.test import APIClient

from cases.services import case_transition
from tests.factories.access import api_client
from tests.factories.cases import CaseFactory, text_upload

CASES = "/api/v1/cases/"


def api(user=None) -> APIClient:
    """A client with an access token of `user` carrying every scope."""
    return api_client(user)


def assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


def valid_case(**overrides) -> dict:
    data = {
        "category": "Market Systems",
        "short_description": "Settlement file missing",
        "description": "The SF run file for 27/11 is missing.",
        "no_party_id": True,
    }
    data.update(overrides)
    return data


def test_malformed_json_body_is_400_parse_error(org_user):
    """A body that is not JSON is refused with the parser's reason."""
    response = api(org_user).post(
        CASES, '{"short_description": "oops",', content_type="application/json"
    )
    err = assert_error_shape(response, 400, "parse_error")
    assert "JSON parse error" in err["message"]
    assert err["fields"] == {}


def test_unknown_category_is_400_listing_the_choices(org_user):
    """§5.16: categories come from the desk's list; an unknown name says which ones exist."""
    response = api(org_user).post(CASES, valid_case(category="Coffee Machine"), format="json")
    err = assert_error_shape(response, 400, "validation_failed")
    message = err["fields"]["category"][0]
    assert "Unknown category “Coffee Machine”" in message
    assert "Market Systems" in message


def test_unknown_category_id_is_400(org_user):
    """A category id that does not exist reads like an unknown name."""
    response = api(org_user).post(CASES, valid_case(category=999_999), format="json")
    err = assert_error_shape(response, 400, "validation_failed")
    assert "Unknown category" in err["fields"]["category"][0]


@pytest.mark.parametrize("url", ["not a url", "ftp://files.example.com/log", "javascript:alert(1)"])
def test_invalid_related_url_is_400(org_user, url):
    """§3.2: the related page or document is a full http(s) address."""
    response = api(org_user).post(CASES, valid_case(related_url=url), format="json")
    err = assert_error_shape(response, 400, "validation_failed")
    assert err["fields"]["related_url"] == ["Enter a full web address starting with https://."]
    assert err["message"] == "The case could not be raised; check the highlighted fields."


def test_desk_only_fields_are_refused_with_their_reason(org_user):
    """§3.8: impact, urgency and priority are not the caller's to set."""
    response = api(org_user).post(CASES, valid_case(priority=1), format="json")
    err = assert_error_shape(response, 400, "validation_failed")
    assert err["fields"] == {
        "priority": ["Impact and urgency are set by the service desk only (§3.8); leave them out."]
    }


def test_not_allowed_transition_is_409_json(org_user, agent):
    """§10.3: a case that is not resolved cannot be confirmed; the message says why."""
    case = CaseFactory(caller=org_user)
    response = api(org_user).post(f"{CASES}{case.number}/confirm-resolution/", {}, format="json")
    err = assert_error_shape(response, 409, "transition_not_allowed")
    assert err["message"] == f"You can't close {case.number} while it is New."


def test_concurrent_change_is_409_changed_by_someone_else(org_user, agent):
    """docs/conventions.md §3: a stale `expected_state` is refused with "reload"."""
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    response = api(agent).post(
        f"{CASES}{case.number}/start/", {"expected_state": "new"}, format="json"
    )
    err = assert_error_shape(response, 409, "changed_by_someone_else")
    assert "reload" in err["message"]


def test_wrong_role_is_403_json(org_user):
    """§5.13: a participant cannot cancel a case; that is the desk's."""
    case = CaseFactory(caller=org_user)
    response = api(org_user).post(
        f"{CASES}{case.number}/cancel/", {"reason": "withdrawn"}, format="json"
    )
    err = assert_error_shape(response, 403, "not_permitted")
    assert err["message"] == f"You are not allowed to cancel {case.number}."


def test_invisible_and_missing_cases_give_the_same_404(org_user, other_org_user):
    """§10.4: a number outside your tree reveals nothing beyond "not found"."""
    case = CaseFactory(caller=org_user)
    hidden = assert_error_shape(api(other_org_user).get(f"{CASES}{case.number}/"), 404, "not_found")
    missing = assert_error_shape(api(other_org_user).get(f"{CASES}CS9999999/"), 404, "not_found")
    assert hidden["message"].replace(case.number, "N") == missing["message"].replace(
        "CS9999999", "N"
    )


def test_missing_credentials_is_401_json(db):
    """Anonymous calls get 401 with the token scheme named."""
    response = APIClient().post(CASES, valid_case(), format="json")
    assert_error_shape(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_attachment_sent_as_json_is_415(org_user):
    """Attachments are multipart uploads."""
    case = CaseFactory(caller=org_user)
    response = api(org_user).post(
        f"{CASES}{case.number}/attachments/", {"file": "x"}, format="json"
    )
    assert_error_shape(response, 415, "unsupported_media_type")


def test_attachment_validation_error_keeps_service_message(org_user):
    """Size and type checks come from the kernel's validator with their own words."""
    case = CaseFactory(caller=org_user)
    response = api(org_user).post(
        f"{CASES}{case.number}/attachments/",
        {"file": text_upload("blob.bin", b"\x00\x01\x02\x03")},
        format="multipart",
    )
    err = assert_error_shape(response, 400, "validation_failed")
    assert err["message"].startswith("“blob.bin” is not a type we accept.")
    assert err["fields"]["file"] == [err["message"]]


def test_method_not_allowed_is_405_json(org_user):
    """Cases are not deleted through the API."""
    case = CaseFactory(caller=org_user)
    assert_error_shape(api(org_user).delete(f"{CASES}{case.number}/"), 405, "method_not_allowed")
