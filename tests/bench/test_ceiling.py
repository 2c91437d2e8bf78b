"""The ceiling endpoint of the page benchmark exists only under bench.settings (issue 9.5)."""

import importlib

import pytest
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.django_db

CEILING = "/bench/ceiling/"


def test_ceiling_is_not_reachable_under_the_portal_settings(org_client):
    """Under the normal URL conf the path is an ordinary 404, and its name does not resolve."""
    assert org_client.get(CEILING).status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("bench_ceiling")


@override_settings(ROOT_URLCONF="bench.urls")
def test_ceiling_serves_the_newest_cases_of_the_users_organisation(org_user, org_client, org):
    """Under the bench URL conf: session-authenticated, at most 50 rows of the user's own
    organisation, newest first; anonymous callers are refused."""
    CaseFactory.create_batch(3, organisation=org, caller=org_user)
    response = org_client.get(CEILING)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 3
    assert set(rows[0]) == {"number", "short_description", "state", "opened_at"}
    assert [r["opened_at"] for r in rows] == sorted((r["opened_at"] for r in rows), reverse=True)
    assert Client().get(CEILING).status_code == 403


def test_bench_settings_install_the_app_and_lift_the_api_throttle():
    """The bench's gunicorn must not meet 429s from the API throttle, nor run with DEBUG."""
    bench_settings = importlib.import_module("bench.settings")
    assert bench_settings.ROOT_URLCONF == "bench.urls"
    assert "bench" in bench_settings.INSTALLED_APPS
    assert bench_settings.DEBUG is False
    rates = bench_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates and all(rate is None for rate in rates.values())
