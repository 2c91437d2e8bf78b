"""Who may hold which access token, and for how long (§10.5.2, §10.5.3)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from access.models import AccessToken
from access.selectors import access_token_find, token_digest
from access.services import MAX_ACTIVE_TOKENS, access_token_create, access_token_revoke
from accounts.models import SecurityEvent
from core.errors import ActionNotPermitted, ValidationFailed
from tests.factories.access import access_token

READ_CASES = ["read", "cases"]


def create(actor, user=None, **overrides):
    arguments = {
        "name": "CRM sync",
        "scopes": READ_CASES,
        "expires_in_days": 90,
        "mfa_verified": False,
    }
    arguments.update(overrides)
    return access_token_create(actor=actor, user=user or actor, **arguments)


def test_participant_creates_a_token_stored_only_as_a_digest(org_user):
    """The secret is returned once; the database keeps its SHA-256 digest and a prefix."""
    token, raw = create(org_user)
    assert raw.startswith(f"mhhs_{token.prefix}_")
    assert token.key_hash == token_digest(raw)
    assert raw not in str(AccessToken.objects.filter(pk=token.pk).values().get())
    assert token.scopes == ["read", "cases"]
    assert access_token_find(raw) == token
    assert access_token_find(raw[:-1] + ("A" if raw[-1] != "A" else "B")) is None


def test_a_token_expires_after_90_days_by_default(org_user, settings):
    token, _ = create(org_user, expires_in_days=settings.API_TOKEN_DEFAULT_DAYS)
    expected = timezone.now() + timedelta(days=90)
    assert abs((token.expires_at - expected).total_seconds()) < 5


@pytest.mark.parametrize("days", [0, -1, 366])
def test_a_personal_token_lasts_between_one_day_and_the_maximum(org_user, days):
    with pytest.raises(ValidationFailed) as refusal:
        create(org_user, expires_in_days=days)
    assert "expires_in_days" in refusal.value.field_errors


def test_only_integration_accounts_hold_tokens_that_never_expire(
    org_user, gateway, service_manager
):
    with pytest.raises(ValidationFailed, match="never expire"):
        create(org_user, expires_in_days=None)
    token, _ = create(
        service_manager, gateway, scopes=["write", "inbound-email"], expires_in_days=None
    )
    assert token.expires_at is None


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        ([], "read, write or both"),
        (["cases"], "read, write or both"),
        (["read"], "at least one area"),
        (["read", "cases", "admin"], "can hold: admin"),
        (["read", "incidents"], "can hold: incidents"),
    ],
)
def test_scopes_need_an_access_level_and_an_area(org_user, scopes, message):
    with pytest.raises(ValidationFailed) as refusal:
        create(org_user, scopes=scopes)
    assert message in " ".join(refusal.value.field_errors["scopes"])


def test_staff_tokens_may_reach_incidents(resolver):
    token, _ = create(resolver, scopes=["read", "incidents"], mfa_verified=True)
    assert token.scopes == ["read", "incidents"]


def test_a_blank_name_is_refused(org_user):
    with pytest.raises(ValidationFailed) as refusal:
        create(org_user, name="   ")
    assert "name" in refusal.value.field_errors


def test_staff_create_tokens_only_from_a_two_factor_session(agent):
    """§10.5.2: a password-only staff session cannot mint a token that skips two-factor."""
    with pytest.raises(ActionNotPermitted, match="two-factor"):
        create(agent, mfa_verified=False)
    token, _ = create(agent, mfa_verified=True)
    assert token.user == agent


def test_staff_without_totp_cannot_create_a_token_even_when_told_verified(agent_without_totp):
    with pytest.raises(ActionNotPermitted, match="two-factor"):
        create(agent_without_totp, mfa_verified=True)


def test_integration_tokens_are_issued_by_a_service_manager_only(
    gateway, service_manager, agent, org_user
):
    with pytest.raises(ActionNotPermitted, match="service manager"):
        create(gateway)  # an integration account cannot mint its own
    with pytest.raises(ActionNotPermitted, match="service manager"):
        create(agent, gateway, mfa_verified=True)
    with pytest.raises(ActionNotPermitted, match="personal"):
        create(service_manager, org_user)  # nobody mints a token for another person
    token, _ = create(service_manager, gateway, scopes=["write", "inbound-email"])
    assert token.created_by == service_manager


def test_an_account_holds_at_most_twenty_active_tokens(org_user):
    for number in range(MAX_ACTIVE_TOKENS):
        access_token(org_user, name=f"token {number}")
    access_token(org_user, name="old", expires_at=timezone.now() - timedelta(days=1))
    with pytest.raises(ValidationFailed, match="at most 20"):
        create(org_user)


def test_creating_and_revoking_are_security_events_and_history(org_user):
    """§10.5.3: the security log and the token's own history say who did what."""
    token, _ = create(org_user)
    access_token_revoke(actor=org_user, token=token)
    kinds = list(
        SecurityEvent.objects.filter(subject=org_user, kind__startswith="token_").values_list(
            "kind", flat=True
        )
    )
    assert sorted(kinds) == ["token_created", "token_revoked"]
    history = list(token.history.order_by("history_date"))
    assert [entry.revoked_at is not None for entry in history] == [False, True]
    assert history[-1].history_user == org_user


def test_revoking_twice_records_one_revocation(org_user):
    token, _ = create(org_user)
    first = access_token_revoke(actor=org_user, token=token)
    second = access_token_revoke(actor=org_user, token=token)
    assert first.revoked_at == second.revoked_at
    assert SecurityEvent.objects.filter(kind="token_revoked").count() == 1


def test_people_revoke_only_their_own_tokens_service_managers_any(
    org_user, other_org_user, service_manager
):
    token, _ = create(org_user)
    with pytest.raises(ActionNotPermitted):
        access_token_revoke(actor=other_org_user, token=token)
    assert access_token_revoke(actor=service_manager, token=token).revoked_by == service_manager
