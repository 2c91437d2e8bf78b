"""Personas and shared fixtures (docs/conventions.md §6).

The organisation tree: `parent_org` has two children, `org` and `sibling_org`; `unrelated_org`
stands alone. `org_user` belongs to `org`, `sibling_user` to its sibling, `parent_user` to the
parent, `other_org_user` to the unrelated organisation. Staff personas have TOTP set up and
their clients are signed in with a second factor, as the console requires (§10.5.2).
"""

import pyotp
import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.totp.internal.auth import TOTP
from django.core.cache import cache
from django.test import Client

from accounts import roles
from mhhs_portal.celery import app as celery_app
from tests.factories.accounts import OrganisationFactory, ResolverGroupFactory, UserFactory
from tests.reference_data import ensure_reference_data
from tickets.reference_cache import category_choices_forget, service_choices_forget

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(request.fixturenames))


@pytest.fixture
def portal_ticket_types(monkeypatch):
    """The ticket-type registry as the portal has it, without the test suite's probe types
    (tests/probe_tickets): for tests whose expected wording names the registered types."""
    from tickets import registry

    portal = tuple(
        t for t in registry.ticket_types() if not t.model.__module__.startswith("tests.")
    )
    monkeypatch.setattr(registry, "_registry", lambda: portal)
    return portal


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests start from a flushed database: restore the migration-seeded rows."""
    if _is_transactional(request):
        request.getfixturevalue("transactional_db")
        ensure_reference_data()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashing costs ~0.3 s per user; tests create many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks():
    """Throttling counters must not leak between tests; tasks run inline unless a test
    starts a real worker (tests/integration)."""
    cache.clear()
    # Per-process reference data (issue 9): a rolled-back test's categories must not linger.
    category_choices_forget()
    service_choices_forget()
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous
    cache.clear()


@pytest.fixture
def parent_org(db):
    return OrganisationFactory(name="Northern Power Group", party_id="NPGP")


@pytest.fixture
def org(parent_org):
    return OrganisationFactory(name="Northern Power Supply", parent=parent_org, party_id="NPSU")


@pytest.fixture
def sibling_org(parent_org):
    return OrganisationFactory(name="Northern Power Metering", parent=parent_org, party_id="NPME")


@pytest.fixture
def unrelated_org(db):
    return OrganisationFactory(name="Brightwatt Energy", party_id="BRWT")


@pytest.fixture
def org_user(org):
    return UserFactory(
        email="sam.supplier@example.com",
        full_name="Sam Supplier",
        organisation=org,
        roles=[roles.SERVICE_USER],
    )


@pytest.fixture
def sibling_user(sibling_org):
    return UserFactory(
        email="mo.metering@example.com", organisation=sibling_org, roles=[roles.SERVICE_USER]
    )


@pytest.fixture
def parent_user(parent_org):
    return UserFactory(
        email="pat.parent@example.com", organisation=parent_org, roles=[roles.SERVICE_USER]
    )


@pytest.fixture
def other_org_user(unrelated_org):
    return UserFactory(
        email="olly.other@example.com", organisation=unrelated_org, roles=[roles.SERVICE_USER]
    )


def _staff(email: str, role: str):
    user = UserFactory(email=email, is_staff=True, roles=[role])
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def agent(db):
    return _staff("ada.agent@mhhs.example", roles.SERVICE_DESK_AGENT)


@pytest.fixture
def resolver_group(db):
    return ResolverGroupFactory(name="DIP Technical Support", email="dip.support@mhhs.example")


@pytest.fixture
def resolver(resolver_group):
    user = _staff("rita.resolver@mhhs.example", roles.RESOLVER)
    resolver_group.members.add(user)
    return user


@pytest.fixture
def incident_manager(db):
    return _staff("ian.incident@mhhs.example", roles.INCIDENT_MANAGER)


@pytest.fixture
def service_manager(db):
    """The desk lead: alerted when major-incident comms are late, signs off reviews."""
    return _staff("sean.service@mhhs.example", roles.SERVICE_MANAGER)


@pytest.fixture
def change_manager(db):
    return _staff("cora.change@mhhs.example", roles.CHANGE_MANAGER)


@pytest.fixture
def cab_member(db):
    return _staff("cal.cab@mhhs.example", roles.CAB_MEMBER)


@pytest.fixture
def knowledge_manager(db):
    return _staff("kim.knowledge@mhhs.example", roles.KNOWLEDGE_MANAGER)


def totp_now() -> str:
    return pyotp.TOTP(TOTP_SECRET).now()


def mfa_client(user) -> Client:
    """A client signed in as `user` whose session records a TOTP second factor."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": 0, "email": user.email},
        {"method": "mfa", "at": 0, "type": "totp"},
    ]
    session.save()
    return client


def login_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent_client(agent):
    return mfa_client(agent)


@pytest.fixture
def resolver_client(resolver):
    return mfa_client(resolver)


@pytest.fixture
def org_client(org_user):
    return login_client(org_user)


# --- CI: every service present, no test skipped for lack of one (tests/ci_services.py) -------


def pytest_collection_finish(session):
    from tests import ci_services

    if ci_services.required() and session.items:
        ci_services.check_or_exit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    from tests import ci_services

    report = outcome.get_result()
    if ci_services.required() and report.skipped and not ci_services.skip_allowed(report):
        ci_services.fail_skip(report)
