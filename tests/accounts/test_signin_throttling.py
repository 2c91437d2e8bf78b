"""Sign-in throttling per account and per client address (§10.5.2): failures for one account
lock that account, not everyone behind the same address; one address trying many accounts is
stopped; X-Forwarded-For names the client only when it comes from proxies we configured."""

import pytest
from allauth.core.internal.ratelimit import parse_rates
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.throttling import AnonRateThrottle

from tests.factories.accounts import DEMO_PASSWORD

OFFICE = "198.51.100.20"  # one NAT address shared by a whole office
ELSEWHERE = "203.0.113.50"
PROXY = "10.0.0.1"
TOO_MANY = b"Too many failed login attempts"


@pytest.fixture(autouse=True)
def _own_throttle_cache(settings):
    """A cache of this module's own, so parallel test processes cannot clear its counters."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "signin-throttling-test",
        }
    }


def _limit(settings, per: str) -> int:
    """The smallest configured number of failed sign-ins allowed per `ip` or per `key`."""
    rates = parse_rates(settings.ACCOUNT_RATE_LIMITS["login_failed"])
    return min(rate.amount for rate in rates if rate.per == per)


def _sign_in(email: str, password: str, **meta):
    client = Client(**meta)
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    return client, response


def _signed_in(client, user) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


def _spray(count: int, **meta) -> None:
    """One wrong password each for `count` different accounts, as password spraying does."""
    for n in range(count):
        _sign_in(f"nobody{n}@example.com", "wrong", **meta)


def test_failures_for_one_account_do_not_lock_out_others_at_the_same_address(
    org_user, other_org_user
):
    """§10.5.2: sixty wrong passwords for one account (twice allauth's old 30/m/ip login limit)
    leave a colleague behind the same address able to sign in."""
    for _ in range(60):
        _, response = _sign_in(org_user.email, "wrong", REMOTE_ADDR=OFFICE)
        assert response.status_code == 200
    assert TOO_MANY in response.content, "the hammered account itself is locked"

    client, response = _sign_in(other_org_user.email, DEMO_PASSWORD, REMOTE_ADDR=OFFICE)
    assert response.status_code == 302
    assert _signed_in(client, other_org_user)


def test_failures_lock_the_account_from_every_address(settings, org_user, other_org_user):
    """§10.5.2: after the per-account number of failures the right password is refused too,
    from any address, while other accounts are unaffected."""
    for _ in range(_limit(settings, "key")):
        _sign_in(org_user.email, "wrong", REMOTE_ADDR=OFFICE)

    for address in (OFFICE, ELSEWHERE):
        client, response = _sign_in(org_user.email, DEMO_PASSWORD, REMOTE_ADDR=address)
        assert response.status_code == 200
        assert TOO_MANY in response.content
        assert not _signed_in(client, org_user)

    client, _ = _sign_in(other_org_user.email, DEMO_PASSWORD, REMOTE_ADDR=OFFICE)
    assert _signed_in(client, other_org_user)


def test_one_address_trying_many_accounts_is_stopped(settings, org_user):
    """§10.5.2: failures are also counted per address, so spraying many accounts from one
    address is stopped there, and only there."""
    _spray(_limit(settings, "ip"), REMOTE_ADDR=OFFICE)

    client, response = _sign_in(org_user.email, DEMO_PASSWORD, REMOTE_ADDR=OFFICE)
    assert TOO_MANY in response.content
    assert not _signed_in(client, org_user)
    client, _ = _sign_in(org_user.email, DEMO_PASSWORD, REMOTE_ADDR=ELSEWHERE)
    assert _signed_in(client, org_user)


def test_spoofed_forwarded_for_is_ignored_without_trusted_proxies(settings, org_user):
    """§10.5.2: with no proxies configured, anyone can write X-Forwarded-For, so a sprayer who
    changes it on every request is still counted by the address it connects from."""
    assert settings.ALLAUTH_TRUSTED_PROXY_COUNT == 0
    for n in range(_limit(settings, "ip")):
        _sign_in(
            f"nobody{n}@example.com",
            "wrong",
            REMOTE_ADDR=OFFICE,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        )

    client, response = _sign_in(
        org_user.email, DEMO_PASSWORD, REMOTE_ADDR=OFFICE, HTTP_X_FORWARDED_FOR="192.0.2.250"
    )
    assert TOO_MANY in response.content
    assert not _signed_in(client, org_user)


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(settings, org_user):
    """§10.5.2: with TRUSTED_PROXY_COUNT=1 the address our proxy appended is the client: a
    sprayer behind the proxy is stopped, another client behind the same proxy is not, and an
    address the sprayer puts in front of the header is not believed."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    _spray(_limit(settings, "ip"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=OFFICE)

    client, response = _sign_in(
        org_user.email,
        DEMO_PASSWORD,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{ELSEWHERE}, {OFFICE}",  # spoofed first entry, real last one
    )
    assert TOO_MANY in response.content
    assert not _signed_in(client, org_user)

    client, _ = _sign_in(
        org_user.email, DEMO_PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ELSEWHERE
    )
    assert _signed_in(client, org_user)


def test_api_throttling_ignores_forwarded_for_without_trusted_proxies(settings):
    """API throttles count the same client address as sign-in: X-Forwarded-For only from the
    configured number of proxies (NUM_PROXIES follows TRUSTED_PROXY_COUNT)."""
    request = RequestFactory().get(
        "/api/v1/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{ELSEWHERE}, {OFFICE}"
    )
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    assert AnonRateThrottle().get_ident(request) == PROXY

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert AnonRateThrottle().get_ident(request) == OFFICE
