"""Per-client API rates (issue 9): an integration token may carry its own rate per minute,
counted for that token alone; everyone else shares the configured default per user."""

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from access.services import access_token_create
from accounts import roles
from accounts.models import User
from core.errors import ValidationFailed
from tests.factories.access import access_token, bearer
from tests.factories.accounts import UserFactory

CASES = reverse("api:case_list")


@pytest.fixture
def desk_sync(db):
    """Another desk's system: an integration account that reads every case."""
    return UserFactory(
        email="desk.sync@dno.example", kind=User.Kind.INTEGRATION, roles=[roles.INTEGRATION]
    )


@pytest.fixture
def default_rate(monkeypatch):
    """The default user rate, lowered so a test can reach it; throttle counts start empty."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "2/min", "anon": None})
    cache.clear()
    yield
    cache.clear()


def _client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(**bearer(raw))
    return client


def test_a_token_with_its_own_rate_is_held_to_that_rate_not_the_default(default_rate, desk_sync):
    token, raw = access_token(desk_sync, scopes=["read", "cases"])
    token.rate_per_minute = 4
    token.save(update_fields=["rate_per_minute"])
    client = _client(raw)
    statuses = [client.get(CASES).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def test_without_a_rate_of_its_own_a_client_gets_the_default(default_rate, org_user):
    _, raw = access_token(org_user, scopes=["read", "cases"])
    client = _client(raw)
    assert [client.get(CASES).status_code for _ in range(2)] == [200, 200]
    refused = client.get(CASES)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert refused.json()["error"]["code"] == "throttled"


def test_a_tokens_own_rate_is_counted_apart_from_its_accounts_other_clients(
    default_rate, desk_sync
):
    """The integration's fast token does not use up the account's default allowance."""
    fast, fast_raw = access_token(desk_sync, scopes=["read", "cases"], name="fast")
    fast.rate_per_minute = 10
    fast.save(update_fields=["rate_per_minute"])
    _, slow_raw = access_token(desk_sync, scopes=["read", "cases"], name="slow")
    for _ in range(5):
        assert _client(fast_raw).get(CASES).status_code == 200
    assert [_client(slow_raw).get(CASES).status_code for _ in range(3)] == [200, 200, 429]


def test_a_service_manager_issues_an_integration_token_with_its_own_rate(
    service_manager, desk_sync
):
    token, _raw = access_token_create(
        actor=service_manager,
        user=desk_sync,
        name="DNO sync",
        scopes=["read", "cases"],
        expires_in_days=None,
        mfa_verified=True,
        rate_per_minute=3000,
    )
    assert token.rate_per_minute == 3000


@pytest.mark.parametrize("rate", [0, -1, 100_001, "600", True])
def test_a_rate_out_of_range_is_refused_naming_the_field(service_manager, desk_sync, rate):
    with pytest.raises(ValidationFailed) as refused:
        access_token_create(
            actor=service_manager,
            user=desk_sync,
            name="DNO sync",
            scopes=["read", "cases"],
            expires_in_days=None,
            mfa_verified=True,
            rate_per_minute=rate,
        )
    assert list(refused.value.field_errors) == ["rate_per_minute"]


def test_people_do_not_get_a_rate_of_their_own(org_user):
    with pytest.raises(ValidationFailed, match="Only integration accounts"):
        access_token_create(
            actor=org_user,
            user=org_user,
            name="my script",
            scopes=["read", "cases"],
            expires_in_days=30,
            rate_per_minute=1000,
        )
