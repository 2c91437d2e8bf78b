"""Fuzzing gate: every operation of the generated OpenAPI schema (`/api/schema/`), driven by
Schemathesis in-process against the WSGI app, for a participant and for a desk agent (issue 7).

No input the schema allows may give a server error, and every answer must match the schema
(status code, content type, headers, body). Generation is deterministic (Hypothesis
`derandomize`, a fixed seed) with 25 examples per operation and persona, once with generated
path values and once on a real ticket, so transitions and comments meet real records.

The agent's session has passed two-factor (§10.5.2), the participant's is a plain sign-in;
both send the CSRF token, as a browser would, for unsafe methods.
"""

from collections import defaultdict

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases.models import Case
from incidents.models import Incident
from mhhs_portal.wsgi import application
from problems.models import Problem
from tests.conftest import login_client, mfa_client
from tests.factories.cases import CaseFactory
from tests.factories.glossary import published_article

EXAMPLES_PER_OPERATION = 25
SEED = 20261130
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# The inbound-email endpoint takes only the mail gateway's integration token, never a person's
# session; its own tests (tests/comms/test_inbound_api.py) cover its bad input and refusals.
EXCLUDED_PATHS = ("/api/v1/inbound-email/",)
# Which real record a `{number}` in a path names (cases otherwise).
NUMBERED = (
    ("/api/v1/incidents/", "incidents"),
    ("/api/v1/problems/", "problems"),
    ("/api/v1/knowledge/articles/", "articles"),
)
# Any 32-character secret is a valid CSRF cookie; the header must repeat it.
CSRF_SECRET = "f" * 32


def _operations(schema):
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(EXCLUDED_PATHS) or not operation.path.startswith("/api/"):
            continue
        yield operation


@pytest.fixture
def wsgi_app_in_test_transaction():
    """The WSGI app called directly would close the test's database connection at the start
    and end of each request; Django's test client avoids that the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, monkeypatch, wsgi_app_in_test_transaction):
    # Hundreds of requests a minute from one user are the point here, not abuse: throttling
    # (its own tests, its own configuration) is lifted, every scope unlimited.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", defaultdict(lambda: None))
    return schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app_in_test_transaction)


def _session_kwargs(client) -> dict:
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    return {
        "cookies": {
            django_settings.SESSION_COOKIE_NAME: cookie,
            django_settings.CSRF_COOKIE_NAME: CSRF_SECRET,
        },
        "headers": {"X-CSRFToken": CSRF_SECRET},
    }


def _run(strategy, statuses: set[int]) -> None:
    @seed(SEED)
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call()
        statuses.add(response.status_code)
        case.validate_response(response, checks=CHECKS)

    run()


def _fuzz(schema, client, *, numbers: dict[str, str]) -> dict[str, set[int]]:
    """Run every operation; returns the status codes each operation answered with."""
    kwargs = _session_kwargs(client)
    exercised: dict[str, set[int]] = {}
    for operation in _operations(schema):
        variants = [{}]
        if "{number}" in operation.path:
            kind = next(
                (kind for prefix, kind in NUMBERED if operation.path.startswith(prefix)), "cases"
            )
            variants.append({"number": numbers[kind]})
        for path_parameters in variants:
            label = f"{operation.method.upper()} {operation.path}"
            # Invalid input (negative mode) on a made-up number stops at the 404; it is sent
            # where it reaches the parsers and services: on a real ticket, or with no number.
            modes = list(GenerationMode) if path_parameters or len(variants) == 1 else []
            for mode in modes or [GenerationMode.POSITIVE]:
                strategy = operation.as_strategy(
                    mode, path_parameters=path_parameters or None, **kwargs
                )
                try:
                    _run(strategy, exercised.setdefault(label, set()))
                except Unsatisfiable:
                    # Nothing to make invalid: the operation's only input is the real number
                    # fixed above (a plain GET of one record). Any other failure still fails.
                    if mode is not GenerationMode.NEGATIVE or not path_parameters:
                        raise
    return exercised


def _tickets(org_user, agent) -> dict[str, str]:
    case = CaseFactory(caller=org_user)
    incident = Incident.objects.order_by("pk").first()
    problem = Problem.objects.order_by("pk").first()
    article = published_article(title="Renewing a DIP certificate", audience="public")
    return {
        "cases": case.number,
        "incidents": incident.number if incident else "INC0000001",
        "problems": problem.number if problem else "PRB0000001",
        "articles": article.number,
    }


@pytest.mark.django_db
def test_api_survives_fuzzing_as_a_participant(api_schema, org_user, agent):
    """Issue 7: no server error and no answer outside the schema, for a participant."""
    numbers = _tickets(org_user, agent)
    answered = _fuzz(api_schema, login_client(org_user), numbers=numbers)
    # The session is honoured (not a run of 401s) and generated input reaches the services.
    assert 200 in answered["GET /api/v1/cases/"]
    assert 200 in answered["GET /api/v1/cases/{number}/"]
    assert 400 in answered["POST /api/v1/cases/"]
    # Participants see no incidents; a generated token that is no token is a 401.
    assert answered["GET /api/v1/incidents/"] <= {200, 400, 401}
    assert Case.objects.count() >= 1


@pytest.mark.django_db
def test_api_survives_fuzzing_as_a_desk_agent_with_two_factor(api_schema, org_user, agent):
    """Issue 7, §10.5.2: the same for a desk agent whose session passed TOTP."""
    numbers = _tickets(org_user, agent)
    answered = _fuzz(api_schema, mfa_client(agent), numbers=numbers)
    assert 200 in answered["GET /api/v1/cases/"]
    assert 200 in answered["GET /api/v1/cases/{number}/comments/"]
    assert answered["POST /api/v1/cases/{number}/comments/"] & {201, 409}
