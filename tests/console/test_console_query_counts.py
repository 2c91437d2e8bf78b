"""Console lists cost the same number of queries at any size (docs/conventions.md §7)."""

import pytest
from django.urls import reverse

from cases.services import case_raise_incident
from tests.factories.cases import CaseFactory


def _cases(caller, count: int) -> list:
    return [CaseFactory(caller=caller) for _ in range(count)]


@pytest.mark.parametrize("size", [2, 20])
def test_case_changelist_query_count_is_constant(
    agent_client, org_user, size, django_assert_num_queries
):
    """docs/conventions.md §7: the case list joins its organisation column and skips the full count."""
    _cases(org_user, size)
    agent_client.get(reverse("admin:cases_case_changelist"))  # warm the access cache
    # session, user (TOTP from the access cache), page count (capped at 1,000 rows), page of
    # cases joined with organisation and assignee, the page's SLA clocks by ticket id (issue 9:
    # the time-to-breach column costs the page, not the desk).
    # Permissions and the bell's unread count come from the cache, the category filter's
    # choices from the process (tickets.reference_cache).
    with django_assert_num_queries(5):
        response = agent_client.get(reverse("admin:cases_case_changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == size


@pytest.mark.parametrize("size", [2, 20])
def test_incident_changelist_query_count_is_constant(
    agent_client, agent, org_user, resolver_group, size, django_assert_num_queries
):
    """docs/conventions.md §7: the incident list joins its resolver group and assignee."""
    for case in _cases(org_user, size):
        case_raise_incident(
            case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
        )
    agent_client.get(reverse("admin:incidents_incident_changelist"))  # warm the access cache
    # session, user (TOTP from the access cache), resolver-group filter choices, subcategory
    # filter choices (with their categories' names), system-affected filter choices, page
    # count (capped), page of incidents joined with resolver group and assignee, the page's
    # SLA clocks by ticket id (the bell's count is cached; the category filter's choices are
    # kept by the process, tickets.reference_cache).
    with django_assert_num_queries(8):
        response = agent_client.get(reverse("admin:incidents_incident_changelist"))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == size


@pytest.mark.parametrize("size", [2, 20])
def test_triage_queue_query_count_is_constant(
    agent_client, org_user, size, django_assert_num_queries
):
    """§4.1 queue: one count and one page, with organisation, category and caller joined."""
    _cases(org_user, size)
    agent_client.get(reverse("admin:cases_case_triage_queue"))  # warm the access cache
    # session, user (TOTP from the access cache), count of New cases (capped),
    # page of New cases with their organisation, category and caller. Permissions and the
    # bell's unread count come from the cache.
    with django_assert_num_queries(4):
        response = agent_client.get(reverse("admin:cases_case_triage_queue"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == size


@pytest.mark.parametrize(
    "label",
    [
        "cases.case",
        "incidents.incident",
        "sla.ticketsla",
        "comms.outboundmessage",
        "comms.inboundemail",
        "accounts.securityevent",
        "accounts.user",
        "access.accesstoken",
    ],
)
def test_lists_of_growing_tables_count_no_further_than_the_page(label, rf):
    """Issue 9: the console never counts a whole growing table; its paginator stops counting
    past the page asked for ("1,000+")."""
    from django.apps import apps
    from django.contrib import admin

    from core.admin import CappedCountAdminMixin
    from core.pagination import CappedPaginator

    model_admin = admin.site._registry[apps.get_model(label)]
    assert isinstance(model_admin, CappedCountAdminMixin)
    assert not model_admin.show_full_result_count
    paginator = model_admin.get_paginator(rf.get("/", {"p": "3"}), [], 50)
    assert isinstance(paginator, CappedPaginator) and paginator.horizon == 1000
