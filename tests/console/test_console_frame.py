"""The console's page frame drawn in Python (mhhs_portal/console_frame.py, issue 9) keeps what
Django admin's frame gives staff: the desk's shortcuts they may use, sign-out, messages drawn
safely, the admin's own styles and scripts, and the offset the calendar widgets read."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import time_machine
from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.conftest import mfa_client

CASES = reverse("admin:cases_case_changelist")
LONDON = ZoneInfo("Europe/London")


def _header(html: str) -> str:
    return html[html.index('<header id="header">') : html.index("</header>")]


def test_an_agent_sees_the_desk_shortcuts_and_sign_out(agent_client):
    header = _header(agent_client.get(CASES).content.decode())
    assert f'href="{reverse("admin:cases_case_triage_queue")}" class="console-nav-triage"' in header
    assert 'class="console-nav-updates"' in header
    assert 'class="console-nav-raise-for-caller"' in header
    assert "data-notification-bell" in header
    assert f'<form id="logout-form" method="post" action="{reverse("admin:logout")}">' in header
    assert "Welcome, <strong>" in header


def test_a_role_without_case_permissions_gets_no_case_shortcuts(cab_member):
    header = _header(mfa_client(cab_member).get(reverse("admin:index")).content.decode())
    assert "console-nav-triage" not in header
    assert "console-nav-raise-for-caller" not in header
    assert 'id="logout-form"' in header


def test_the_sign_out_form_carries_a_token_that_signs_out(agent):
    client = mfa_client(agent)
    client.handler.enforce_csrf_checks = True
    html = client.get(CASES).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _header(html)).group(1)
    response = client.post(reverse("admin:logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code in (200, 302)
    assert client.get(CASES).status_code == 302  # signed out: sent to sign in


def test_every_stylesheet_and_script_of_the_frame_is_served_locally(agent_client):
    html = agent_client.get(CASES).content.decode()
    head = html[: html.index("</head>")]
    assets = re.findall(r'(?:href|src)="/static/([^"]+)"', head)
    assert {"admin/css/base.css", "admin/js/theme.js", "admin_console/console.css"} <= {
        re.sub(r"\.[0-9a-f]{12}\.", ".", asset) for asset in assets
    }
    for asset in assets:
        assert finders.find(re.sub(r"\.[0-9a-f]{12}\.", ".", asset)), asset


def test_a_message_with_markup_is_shown_as_text(agent_client):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(constants.WARNING, "<script>alert(1)</script> check the case")
    response = agent_client.get(CASES)
    storage.update(response)
    agent_client.cookies.update(response.cookies)
    html = agent_client.get(CASES).content.decode()
    assert '<ul class="messagelist"><li class="warning">&lt;script&gt;alert(1)' in html
    assert "<script>alert(1)</script>" not in html


@time_machine.travel(dt.datetime(2026, 1, 15, 12, tzinfo=LONDON), tick=False)
def test_the_calendar_offset_is_zero_in_winter(agent_client):
    assert 'data-admin-utc-offset="0"' in agent_client.get(CASES).content.decode()


@time_machine.travel(dt.datetime(2026, 7, 15, 12, tzinfo=LONDON), tick=False)
def test_the_calendar_offset_is_an_hour_in_british_summer_time(agent_client):
    assert 'data-admin-utc-offset="3600"' in agent_client.get(CASES).content.decode()
