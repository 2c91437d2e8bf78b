"""The console's navigation (issue 9): the list of apps and the sidebar are built once per
permission set and kept, and must stay what Django would draw for this user on this page."""

import re

from django.contrib import admin
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from django.urls import reverse

CASES = reverse("admin:cases_case_changelist")


def _sidebar(html: str) -> str:
    start = html.index('<nav class="sticky" id="nav-sidebar"')
    return re.sub(r">\s+<", "><", html[start : html.index("</nav>", start)])


def _djangos_sidebar(response) -> str:
    request = response.wsgi_request
    app_list = admin.AdminSite.get_app_list(admin.site, request)
    drawn = render_to_string(
        "admin/app_list.html",
        {"app_list": app_list, "show_changelinks": False, "request": request},
    )
    return re.sub(r">\s+<", "><", drawn.strip())


def test_the_sidebar_is_djangos_list_for_the_user_with_the_current_model_marked(agent_client):
    response = agent_client.get(CASES)
    sidebar = _sidebar(response.content.decode())
    assert _djangos_sidebar(response) in sidebar
    assert f'<a href="{CASES}" aria-current="page">' in sidebar


def test_another_page_marks_its_own_model(agent_client):
    agent_client.get(CASES)
    incidents = reverse("admin:incidents_incident_changelist")
    sidebar = _sidebar(agent_client.get(incidents).content.decode())
    assert f'<a href="{incidents}" aria-current="page">' in sidebar
    assert f'<a href="{CASES}" aria-current="page">' not in sidebar


def test_a_permission_granted_shows_its_model_on_the_next_page(agent, agent_client):
    """The kept list is per permission set: a new permission is a new list, at once."""
    definitions = reverse("admin:sla_sladefinition_changelist")
    assert definitions not in _sidebar(agent_client.get(CASES).content.decode())
    agent.user_permissions.add(Permission.objects.get(codename="view_sladefinition"))
    assert definitions in _sidebar(agent_client.get(CASES).content.decode())
