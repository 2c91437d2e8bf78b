"""Services (the systems an incident names as affected, §3.5, §3.6, §5.7) and subcategories
(§5.16) are data in the console: agents read them, service managers keep them, nobody deletes
them, and every change is kept (§12)."""

import pytest
from django.urls import reverse

from tests.conftest import mfa_client
from tickets.models import Service, Subcategory

LISTS = {
    "service": reverse("admin:tickets_service_changelist"),
    "subcategory": reverse("admin:tickets_subcategory_changelist"),
}


@pytest.mark.parametrize("model", ["service", "subcategory"])
def test_agents_read_services_and_subcategories_but_do_not_change_them(agent_client, model):
    listing = agent_client.get(LISTS[model])
    assert listing.status_code == 200
    first = (Service if model == "service" else Subcategory).objects.order_by("pk").first()
    change = reverse(f"admin:tickets_{model}_change", args=[first.pk])
    page = agent_client.get(change)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert agent_client.get(reverse(f"admin:tickets_{model}_add")).status_code == 403


def test_service_managers_keep_the_list_of_services(service_manager):
    client = mfa_client(service_manager)
    response = client.post(
        reverse("admin:tickets_service_add"),
        {
            "name": "Market-wide Reporting",
            "code": "mwr",
            "abbreviation": "MWR",
            "kind": "new",
            "description": "Reports across the market.",
            "on_status_page": "on",
            "active": "on",
            "sort_order": "200",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    service = Service.objects.get(code="mwr")
    assert service.history.count() == 1
    listing = client.get(LISTS["service"]).content.decode()
    assert "Market-wide Reporting" in listing and "New service" in listing
    assert "§" not in listing


def test_service_managers_retire_a_subcategory_rather_than_delete_it(service_manager):
    client = mfa_client(service_manager)
    outage = Subcategory.objects.get(category__name="Market Systems", name="Outage")
    change = reverse("admin:tickets_subcategory_change", args=[outage.pk])
    response = client.post(
        change,
        {"category": outage.category_id, "name": "Outage", "sort_order": "10"},
    )
    assert response.status_code == 302
    outage.refresh_from_db()
    assert not outage.active
    delete = reverse("admin:tickets_subcategory_delete", args=[outage.pk])
    assert client.get(delete).status_code == 403


@pytest.mark.parametrize("size", [2, 20])
def test_subcategory_list_query_count_is_constant(agent_client, size, django_assert_num_queries):
    """docs/conventions.md §7: the list joins each subcategory's category."""
    from tests.factories.cases import category

    market = category("Market Systems")
    for n in range(size):
        Subcategory.objects.create(category=market, name=f"Extra {n}")
    agent_client.get(LISTS["subcategory"])  # warm the access cache
    # session, user, the category filter's choices, the filtered and the full count (a small
    # reference table, counted whole as Django's lists are), the page with categories joined
    # (the bell's count and permissions are cached).
    with django_assert_num_queries(6):
        response = agent_client.get(LISTS["subcategory"])
    assert response.status_code == 200
