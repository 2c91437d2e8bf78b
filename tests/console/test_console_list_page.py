"""The rest of a console list page drawn in Python (issue 9): search form, pagination, object
tools and breadcrumbs must be what Django's own templates draw for the same list, bar the
console's capped count ("1,000+")."""

import re

import pytest
from django.contrib.admin.templatetags.admin_list import pagination, search_form
from django.template.loader import render_to_string
from django.urls import reverse

from tests.factories.cases import CaseFactory

CASES = reverse("admin:cases_case_changelist")


def _squeezed(html: str) -> str:
    html = re.sub(r"<!--.*?-->", "", html)
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html.strip())).replace("> ", ">")


def _between(html: str, start: str, end: str) -> str:
    at = html.index(start)
    return html[at : html.index(end, at) + len(end)]


@pytest.mark.parametrize(
    "query",
    [{}, {"q": "Settlement"}, {"q": "Settlement", "state__exact": "new"}],
    ids=["plain", "searched", "searched-and-filtered"],
)
def test_the_search_form_is_djangos(query, org_user, agent_client):
    for number in range(3):
        CaseFactory(caller=org_user, short_description=f"Settlement {number}")
    CaseFactory(caller=org_user, short_description="Something else")
    response = agent_client.get(CASES, query)
    cl = response.context["cl"]
    djangos = render_to_string("admin/search_form.html", search_form(cl))
    drawn = _between(response.content.decode(), '<div id="toolbar">', "</form></div>")
    assert _squeezed(drawn) == _squeezed(djangos)


def test_the_pagination_is_djangos_on_a_list_of_several_pages(org_user, agent_client, settings):
    from cases.admin import CaseAdmin

    for number in range(7):
        CaseFactory(caller=org_user, short_description=f"Case {number}")
    per_page = CaseAdmin.list_per_page
    CaseAdmin.list_per_page = 2
    try:
        response = agent_client.get(CASES, {"p": "2"})
    finally:
        CaseAdmin.list_per_page = per_page
    cl = response.context["cl"]
    djangos = render_to_string("admin/pagination.html", pagination(cl))
    drawn = _between(response.content.decode(), '<p class="paginator">', "</p>")
    assert _squeezed(drawn) == _squeezed(djangos)
    assert '<span class="this-page">2</span>' in drawn
    assert "7 cases" in drawn


def test_the_breadcrumbs_lead_home_and_to_the_app(agent_client):
    html = agent_client.get(CASES).content.decode()
    crumbs = _between(html, '<div class="breadcrumbs">', "</div>")
    assert f'<a href="{reverse("admin:index")}">Home</a>' in crumbs
    assert f'<a href="{reverse("admin:app_list", args=["cases"])}">Cases</a>' in crumbs


@pytest.mark.parametrize("list_name", ["cases_case", "incidents_incident", "problems_problem"])
def test_the_add_link_shows_exactly_when_the_admin_allows_adding(list_name, agent_client):
    response = agent_client.get(reverse(f"admin:{list_name}_changelist"))
    link = f'href="{reverse(f"admin:{list_name}_add")}" class="addlink'
    assert (link in response.content.decode()) is bool(response.context["has_add_permission"])
