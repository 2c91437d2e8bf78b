"""Personas and records for the problem tests (§6): a problem manager, an incident raised
from a case at triage, and a problem raised through the services."""

import pytest

from accounts import roles
from problems.services import problem_create
from tests.conftest import _staff, mfa_client
from tests.factories.accounts import ResolverGroupFactory
from tests.factories.cases import category
from tests.factories.incidents import raised_incident
from tickets.models import Service


@pytest.fixture
def problem_manager(db):
    return _staff("pam.problem@mhhs.example", roles.PROBLEM_MANAGER)


@pytest.fixture
def problem_manager_client(problem_manager):
    return mfa_client(problem_manager)


@pytest.fixture
def incident(org_user, agent, resolver_group):
    """An incident raised at triage for the resolver's group, affecting DIP and ISD."""
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    incident.services.set(Service.objects.filter(code__in=["isd", "dip"]))
    return incident


@pytest.fixture
def other_group():
    return ResolverGroupFactory(name="Settlement Operations")


def raise_problem(actor, group, **fields):
    values = {
        "short_description": "Recurring DIP message rejections",
        "description": "Messages from several suppliers are rejected at the DIP each night.",
        "category": category("Market Systems"),
        "assignment_group": group,
        "impact": 2,
        "urgency": 1,
        **fields,
    }
    return problem_create(actor=actor, **values)


@pytest.fixture
def problem(agent, resolver_group, resolver):
    """A problem for the resolver's group with its configuration item and the resolver
    responsible (§6.5)."""
    return raise_problem(
        agent, resolver_group, service=Service.objects.get(code="dip"), assigned_to=resolver
    )
