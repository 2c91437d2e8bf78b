"""Using an access token: Bearer only, scopes enforced with the missing one named, expiry,
revocation, last use recorded, and staff second factor on tokens and sessions (§10.5.2)."""

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import AccessToken
from access.services import access_token_revoke
from tests.conftest import login_client, mfa_client
from tests.factories.access import access_token, api_client, bearer
from tests.factories.cases import CaseFactory, category

CASES = "/api/v1/cases/"
INCIDENTS = "/api/v1/incidents/"


def case_payload() -> dict:
    return {
        "category": category().name,
        "short_description": "DIP messages rejected",
        "description": "Every message since 09:00 is rejected with E123.",
        "party_id": "NPSU",
    }


def error(response) -> dict:
    return response.json()["error"]


def test_a_token_reads_the_callers_cases(org_user):
    CaseFactory(caller=org_user)
    response = api_client(org_user, scopes=["read", "cases"]).get(CASES)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_a_read_only_token_cannot_write_and_is_told_which_scope_is_missing(org_user):
    response = api_client(org_user, scopes=["read", "cases"]).post(
        CASES, case_payload(), format="json"
    )
    assert response.status_code == 403
    assert error(response)["code"] == "missing_scope"
    assert "'write'" in error(response)["message"]


def test_a_token_without_the_area_is_refused_naming_it(resolver):
    response = api_client(resolver, scopes=["read", "cases"]).get(INCIDENTS)
    assert response.status_code == 403
    assert "'incidents'" in error(response)["message"]


def test_a_write_token_creates_a_case(org_user):
    response = api_client(org_user, scopes=["write", "cases"]).post(
        CASES, case_payload(), format="json"
    )
    assert response.status_code == 201, response.json()


def test_an_expired_token_is_401_with_the_reason(org_user):
    _, raw = access_token(org_user, expires_at=timezone.now() - timedelta(seconds=1))
    response = APIClient().get(CASES, **bearer(raw))
    assert response.status_code == 401
    assert "expired" in error(response)["message"]


def test_a_revoked_token_stops_working_at_once(org_user):
    token, raw = access_token(org_user)
    client = APIClient()
    assert client.get(CASES, **bearer(raw)).status_code == 200
    access_token_revoke(actor=org_user, token=token)
    response = client.get(CASES, **bearer(raw))
    assert response.status_code == 401
    assert "revoked" in error(response)["message"]


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer mhhs_short_x", "Bearer mhhs_0123456789ab_wrong-secret"],
)
def test_malformed_or_wrong_tokens_are_401(org_user, header):
    access_token(org_user)
    response = APIClient().get(CASES, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_old_token_keyword_is_refused_with_directions(org_user):
    _, raw = access_token(org_user)
    response = APIClient().get(CASES, HTTP_AUTHORIZATION=f"Token {raw}")
    assert response.status_code == 401
    assert "Bearer" in error(response)["message"]


def test_a_token_of_a_deactivated_account_is_refused(org_user):
    _, raw = access_token(org_user)
    org_user.is_active = False
    org_user.save(update_fields=["is_active"])
    assert APIClient().get(CASES, **bearer(raw)).status_code == 401


def test_last_use_and_address_are_recorded(org_user):
    token, raw = access_token(org_user)
    APIClient().get(CASES, REMOTE_ADDR="192.0.2.10", **bearer(raw))
    token.refresh_from_db()
    assert token.last_used_ip == "192.0.2.10"
    assert token.last_used_at is not None


def test_a_staff_token_stops_working_when_two_factor_is_removed(agent):
    """§10.5.2: a staff token is a second factor only while the account has TOTP."""
    _, raw = access_token(agent)
    assert APIClient().get(CASES, **bearer(raw)).status_code == 200
    Authenticator.objects.filter(user=agent).delete()
    response = APIClient().get(CASES, **bearer(raw))
    assert response.status_code == 401
    assert "two-factor" in error(response)["message"]


def test_password_only_staff_session_is_refused_and_a_two_factor_session_works(agent):
    """The hole this closes: a password-only agent session listed every organisation's cases."""
    refused = login_client(agent).get(CASES)
    assert refused.status_code in (401, 403)
    assert "two-factor" in error(refused)["message"]
    assert mfa_client(agent).get(CASES).status_code == 200


def test_participant_session_still_uses_the_api(org_user):
    assert login_client(org_user).get(CASES).status_code == 200


def test_integration_accounts_cannot_use_a_session(gateway):
    response = login_client(gateway).get(CASES)
    assert response.status_code in (401, 403)
    assert "access tokens" in error(response)["message"]


def test_the_mail_gateway_token_needs_the_inbound_email_scope(gateway):
    """§10.2: the gateway's token is scoped; a cases-only token cannot hand over email."""
    _, raw = access_token(gateway, scopes=["write", "cases"])
    response = APIClient().post(
        "/api/v1/inbound-email/",
        b"Subject: hi\r\n\r\nbody",
        content_type="message/rfc822",
        **bearer(raw),
    )
    assert response.status_code == 403
    assert "'inbound-email'" in error(response)["message"]


def test_the_schema_documents_bearer_tokens_and_scopes(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["accessToken"]["type"] == "http"
    assert schemes["accessToken"]["scheme"] == "bearer"
    assert "missing_scope" in schemes["accessToken"]["description"]
    operation = schema["paths"]["/api/v1/cases/"]["get"]
    assert {"accessToken": []} in operation["security"]
    assert "tokenAuth" not in schemes
    assert AccessToken.Scope.INBOUND_EMAIL.value in schemes["accessToken"]["description"]
