"""Two-factor for staff on every API route (§10.5.2), checked by walking the API's URL conf.

A route added later is walked too: if it forgets the guard (other authentication or
permission classes), these tests fail for it.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from access.authentication import AccessTokenAuthentication, TwoFactorSessionAuthentication
from access.permissions import ApiAccess
from tests.conftest import login_client
from tests.factories.access import access_token, bearer
from tests.factories.cases import CaseFactory

API_PREFIX = "/api/v1/"
METHODS = ["get", "post", "put", "patch", "delete", "options", "head"]
SAMPLE_KWARGS = {"number": "CS0000001", "pk": "1", "id": "1"}


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def api_routes() -> list[tuple[str, type[APIView]]]:
    """(concrete path, view class) for every route under /api/v1/."""
    routes = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith(API_PREFIX.lstrip("/")):
            continue
        path = "/" + route
        for name in pattern.pattern.converters:
            path = path.replace(f"<str:{name}>", SAMPLE_KWARGS.get(name, "x"))
            path = path.replace(f"<int:{name}>", "1").replace(f"<{name}>", "x")
        view_class = getattr(pattern.callback, "cls", None) or getattr(
            pattern.callback, "view_class", None
        )
        routes.append((path, view_class))
    return routes


ROUTES = api_routes()


def _methods(view_class) -> list[str]:
    return [m for m in METHODS if hasattr(view_class, m) or m in ("options", "head")]


def test_the_walk_finds_every_api_module():
    """A guard that walked nothing would pass: the walk must see cases, incidents, their
    clocks and inbound email."""
    paths = [path for path, _ in ROUTES]
    assert len(ROUTES) >= 20
    for expected in ("/api/v1/cases/", "/api/v1/incidents/", "/api/v1/inbound-email/"):
        assert expected in paths
    assert any(path.endswith("/slas/") for path in paths)


def guard_problems(view_class) -> list[str]:
    """What lets a view skip the API's guard: not a DRF view, no ApiAccess, or an
    authentication class of its own."""
    if view_class is None or not issubclass(view_class, APIView):
        return ["not a DRF view"]
    view = view_class()
    problems = []
    if not any(isinstance(p, ApiAccess) for p in view.get_permissions()):
        problems.append("permissions without ApiAccess")
    for authenticator in view.get_authenticators():
        if not isinstance(
            authenticator, AccessTokenAuthentication | TwoFactorSessionAuthentication
        ):
            problems.append(f"authentication by {type(authenticator).__name__}")
    return problems


def test_the_guard_check_catches_an_unguarded_view():
    """The check below must be able to fail: a view with DRF's own classes is caught."""

    class Unguarded(APIView):
        authentication_classes = [SessionAuthentication]
        permission_classes = [IsAuthenticated]

    assert guard_problems(Unguarded) == [
        "permissions without ApiAccess",
        "authentication by SessionAuthentication",
    ]


@pytest.mark.parametrize(("path", "view_class"), ROUTES, ids=[p for p, _ in ROUTES])
def test_every_api_view_uses_the_access_guard(path, view_class):
    """Every endpoint is a DRF view whose permissions include ApiAccess and whose
    authentication is one of ours, so no route can skip staff two-factor."""
    assert guard_problems(view_class) == [], path


def _assert_refused(response, path, method):
    assert response.status_code in (401, 403), (method, path, response.status_code)
    if method != "head":
        assert response.json()["error"]["code"] in (
            "not_authenticated",
            "authentication_failed",
            "permission_denied",
        ), (method, path)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "view_class"), ROUTES, ids=[p for p, _ in ROUTES])
def test_password_only_staff_session_gets_nothing_from_any_api_route(
    path, view_class, agent, org_user
):
    """An agent whose session did not pass TOTP is refused on every route and method."""
    path = path.replace("CS0000001", CaseFactory(caller=org_user).number)
    client = login_client(agent)  # signed in with a password only
    for method in _methods(view_class):
        response = getattr(client, method)(path, content_type="application/json")
        _assert_refused(response, path, method)


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "view_class"), ROUTES, ids=[p for p, _ in ROUTES])
def test_staff_token_without_two_factor_gets_nothing_from_any_api_route(
    path, view_class, agent_without_totp, org_user
):
    """A token of a staff account that has no TOTP set up works nowhere, whatever its scopes."""
    path = path.replace("CS0000001", CaseFactory(caller=org_user).number)
    _, raw = access_token(agent_without_totp)
    client = Client(**bearer(raw))
    for method in _methods(view_class):
        response = getattr(client, method)(path, content_type="application/json")
        _assert_refused(response, path, method)
