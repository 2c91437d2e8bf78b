"""Access tokens in the console (§10.5.2): service managers issue integration tokens and
revoke any token; nobody edits or deletes one."""

import re

from django.urls import reverse

from access.models import AccessToken
from tests.conftest import mfa_client
from tests.factories.access import access_token

ADD = reverse("admin:access_accesstoken_add")
CHANGELIST = reverse("admin:access_accesstoken_changelist")


def issue_form(gateway, **fields) -> dict:
    return {
        "user": gateway.pk,
        "name": "Mail gateway",
        "scopes": ["write", "inbound-email"],
        "expires_in_days": "never",
        **fields,
    }


def test_service_manager_issues_an_integration_token_shown_once(service_manager, gateway):
    client = mfa_client(service_manager)
    response = client.post(ADD, issue_form(gateway))
    assert response.status_code == 200
    token = AccessToken.objects.get(user=gateway)
    assert token.expires_at is None and token.created_by == service_manager
    secret = re.search(r'value="(mhhs_[^"]+)"', response.content.decode()).group(1)
    assert secret.startswith(f"mhhs_{token.prefix}_")
    assert "no-store" in response["Cache-Control"]
    reply = client.post(
        "/api/v1/inbound-email/",
        b"From: x@example.com\r\nSubject: hello\r\nMessage-ID: <a@b>\r\n\r\nhi",
        content_type="message/rfc822",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert reply.status_code == 202


def test_the_issue_form_offers_integration_accounts_only(service_manager, gateway, org_user):
    response = mfa_client(service_manager).post(ADD, issue_form(org_user))
    assert response.status_code == 400
    assert "user" in response.context["form"].errors
    assert not AccessToken.objects.exists()


def test_bad_input_on_the_issue_form_is_400(service_manager, gateway):
    response = mfa_client(service_manager).post(ADD, issue_form(gateway, scopes=["write"]))
    assert response.status_code == 400
    assert "scopes" in response.context["form"].errors


def test_an_agent_cannot_issue_tokens(agent_client, gateway):
    assert agent_client.get(ADD).status_code == 403
    assert agent_client.post(ADD, issue_form(gateway)).status_code == 403
    assert not AccessToken.objects.exists()


def test_service_manager_revokes_selected_tokens(service_manager, org_user, gateway):
    first, _ = access_token(org_user)
    second, _ = access_token(gateway)
    response = mfa_client(service_manager).post(
        CHANGELIST,
        {"action": "revoke_selected", "_selected_action": [first.pk, second.pk]},
    )
    assert response.status_code == 302
    assert AccessToken.objects.filter(revoked_at__isnull=False).count() == 2


def test_tokens_are_never_edited_or_deleted_in_the_console(service_manager, org_user):
    token, _ = access_token(org_user)
    client = mfa_client(service_manager)
    page = client.get(reverse("admin:access_accesstoken_change", args=[token.pk]))
    assert page.status_code == 200
    assert list(page.context["adminform"].form.fields) == []
    assert "key_hash" not in page.content.decode()
    assert (
        client.get(reverse("admin:access_accesstoken_delete", args=[token.pk])).status_code == 403
    )
    assert (
        client.get(reverse("admin:access_accesstoken_history", args=[token.pk])).status_code == 200
    )
