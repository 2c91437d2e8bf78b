"""The portal's "Other service desks" page (§18.4, Appendix H): every desk with its contacts,
hours and whether it is open now in UK time; searchable, filterable, linked from the navigation
and from a re-routed case."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import ServiceDesk
from cases.services import case_reroute
from tests.factories.cases import CaseFactory

PAGE = reverse("portal:service_desks")
LONDON = ZoneInfo("Europe/London")
MONDAY_NOON = datetime(2026, 6, 1, 12, 0, tzinfo=LONDON)
SATURDAY_NOON = datetime(2026, 6, 6, 12, 0, tzinfo=LONDON)


def _card(html: str, desk: ServiceDesk) -> str:
    return html[html.index(f'id="desk-{desk.pk}"') :].split("</li>")[0]


def test_page_lists_every_active_desk_with_contacts_and_hours(org_client):
    """A participant reads each desk's shared mailbox, phone, hours and out-of-hours line."""
    with time_machine.travel(MONDAY_NOON, tick=False):
        response = org_client.get(PAGE)

    assert response.status_code == 200
    html = response.content.decode()
    assert ServiceDesk.objects.filter(active=True).count() == len(response.context["entries"])
    siemens = _card(html, ServiceDesk.objects.get(name="Siemens Service Desk"))
    assert 'href="mailto:mas.itsd.gb@siemens.com"' in siemens
    assert 'href="tel:02038327269"' in siemens
    assert "Monday to Friday, 08:30 to 16:30 (closed on bank holidays)" in siemens
    assert "Open now" in siemens
    ees = _card(html, ServiceDesk.objects.get(name="EES Service Desk (C&C Group)"))
    assert "0203 086 7107" in ees and "no email service out of hours" in ees
    beboc = _card(html, ServiceDesk.objects.get(name="Beboc Ltd"))
    assert "No shared mailbox or desk number has been published" in beboc
    # No manual section numbers for participants (issue 10 point 15).
    assert "§" not in html


def test_open_and_closed_now_follow_uk_time(org_client):
    """On a Saturday a weekday desk is closed and a 24/7 desk open."""
    siemens = ServiceDesk.objects.get(name="Siemens Service Desk")
    ukpn = ServiceDesk.objects.get(name="UK Power Networks Service Desk")
    with time_machine.travel(SATURDAY_NOON, tick=False):
        html = org_client.get(PAGE).content.decode()

    assert "Closed now" in _card(html, siemens)
    assert "Open now" in _card(html, ukpn)
    assert "Hours not published" in _card(html, ServiceDesk.objects.get(name="Champion Energy"))


def test_search_and_open_now_filter(org_client):
    with time_machine.travel(SATURDAY_NOON, tick=False):
        searched = org_client.get(PAGE, {"q": "smart metering"})
        open_now = org_client.get(PAGE, {"status": "open"})

    names = [entry.desk.name for entry in searched.context["entries"]]
    assert "DCC Service Desk" in names and "Siemens Service Desk" not in names
    assert "matching your search" in searched.content.decode()
    assert all(entry.open_now for entry in open_now.context["entries"])
    assert "Siemens Service Desk" not in open_now.content.decode()


def test_search_with_no_match_says_what_to_do_next(org_client):
    response = org_client.get(PAGE, {"q": "no desk is called this"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "No desk matches your search" in html
    assert reverse("portal:case_create") in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"status": "sometimes"}, "status", "Choose open now, closed now, or both."),
        ({"q": "x" * 101}, "q", "Keep the search to 100 characters or fewer."),
    ],
)
def test_bad_filter_is_shown_next_to_its_field(org_client, query, field, message):
    response = org_client.get(PAGE, query)

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert f'href="#id_{field}"' in html  # the error summary links to the field
    assert 'aria-invalid="true"' in html


def test_page_needs_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_navigation_links_to_the_page(org_client):
    html = org_client.get(reverse("portal:home")).content.decode()

    assert f'href="{PAGE}"' in html and "Other service desks" in html


def test_rerouted_case_links_to_the_desk_in_the_directory(org_client, org_user, agent):
    desk = ServiceDesk.objects.get(name="DCC Service Desk")
    case = case_reroute(case=CaseFactory(caller=org_user), actor=agent, desk=desk)

    html = org_client.get(reverse("portal:case_detail", args=[case.number])).content.decode()

    assert f'href="{PAGE}#desk-{desk.pk}"' in html


def test_page_costs_the_same_queries_whatever_the_number_of_desks(
    org_client, django_assert_num_queries
):
    """1 the session; 2 the user; 3 the desks, by name (the bell and nav come from the access
    cache, warmed by the first request)."""
    org_client.get(PAGE)
    with django_assert_num_queries(3) as first:
        org_client.get(PAGE)
    ServiceDesk.objects.bulk_create(
        ServiceDesk(name=f"Extra desk {n}", owner="Extra", query_types="Extra") for n in range(20)
    )
    with django_assert_num_queries(len(first.captured_queries)):
        org_client.get(PAGE)
