"""The account page's API tokens (§10.5.2): create, see the secret once, list, revoke."""

import re

import pytest
from django.urls import reverse

from access.models import AccessToken
from tests.conftest import login_client, mfa_client
from tests.factories.access import access_token

URL = "/accounts/tokens/"


def form(**fields) -> dict:
    return {"name": "CRM case sync", "scopes": ["read", "cases"], "expires_in_days": "90", **fields}


def test_participant_creates_a_token_and_sees_the_secret_once(org_client, org_user):
    response = org_client.post(URL, form())
    assert response.status_code == 302
    page = org_client.get(URL)
    html = page.content.decode()
    token = AccessToken.objects.get(user=org_user)
    secret = re.search(rf'value="(mhhs_{token.prefix}_[^"]+)"', html).group(1)
    assert token.key_hash and secret.startswith("mhhs_")
    assert page["Cache-Control"] == "no-store"
    assert "Copy your new token now" in html
    again = org_client.get(URL).content.decode()
    assert secret not in again
    assert f"mhhs_{token.prefix}_…" in again and "CRM case sync" in again


def test_the_secret_works_against_the_api(org_client, org_user):
    org_client.post(URL, form())
    html = org_client.get(URL).content.decode()
    secret = re.search(r'value="(mhhs_[^"]+)"', html).group(1)
    response = org_client.get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200


def test_bad_input_is_400_with_errors_next_to_the_fields(org_client):
    response = org_client.post(URL, form(name="", scopes=[], expires_in_days="9999"))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"name", "scopes", "expires_in_days"}
    assert 'id="id_scopes_error"' in response.content.decode()
    assert not AccessToken.objects.exists()


def test_a_refusal_from_the_service_is_shown_on_the_form(org_client):
    response = org_client.post(URL, form(scopes=["read"]))
    assert response.status_code == 400
    assert "at least one area" in str(response.context["form"].errors["scopes"])


def test_staff_reach_the_page_only_with_a_two_factor_session(agent):
    """§10.5.2: a password-only staff session is sent to enter the authenticator code."""
    response = login_client(agent).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    refused = login_client(agent).post(URL, form())
    assert refused.status_code == 302
    assert not AccessToken.objects.exists()
    assert mfa_client(agent).post(URL, form()).status_code == 302
    assert AccessToken.objects.filter(user=agent).count() == 1


def test_staff_without_totp_are_sent_to_set_it_up(agent_without_totp):
    response = login_client(agent_without_totp).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_integration_accounts_have_no_tokens_page(gateway):
    assert login_client(gateway).get(URL).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_revoking_an_own_token(org_client, org_user):
    token, _ = access_token(org_user)
    response = org_client.post(reverse("access:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in org_client.get(URL).content.decode()


def test_someone_elses_token_is_not_found(org_client, other_org_user):
    token, _ = access_token(other_org_user)
    response = org_client.post(reverse("access:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_answers_post_only(org_client, org_user):
    token, _ = access_token(org_user)
    assert org_client.get(reverse("access:token_revoke", args=[token.pk])).status_code == 405


def test_empty_state_says_what_to_do(org_client):
    html = org_client.get(URL).content.decode()
    assert "You have no tokens yet" in html
    assert reverse("api-docs") in html


@pytest.mark.parametrize("size", [2, 20])
def test_token_list_query_count_is_constant(org_user, django_assert_num_queries, size):
    """docs/conventions.md §7: the page costs the same at 2 and 20 tokens."""
    for number in range(size):
        access_token(org_user, name=f"token {number}")
    client = login_client(org_user)
    client.get(URL)
    # session, user, the page count, the page of tokens (the navigation's organisation-admin
    # check and the bell's unread count come from the cache once warm, issue 9)
    with django_assert_num_queries(4):
        response = client.get(URL)
    assert response.status_code == 200
    assert len(response.context["tokens"]) == size
