"""Plain words in the console (issue 10, point 15): what agents read — page text, headings,
fieldset titles, labels and help texts — carries no manual § numbers and no internal names
("ticket kernel", "24x7 (elapsed time)", "How the acknowledgement clock was counted"). The
manual's sections stay in the code's docstrings and comments, where developers read them.

Every list and one change page of every model registered in the console are read, as a
superuser (who sees every field), with the case and incident pages in the states that show
their forms."""

import re
from html import unescape

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from accounts import roles
from cases.services import case_raise_incident, case_transition
from sla.models import SLADefinition
from tests.conftest import TOTP_SECRET, mfa_client
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory

FORBIDDEN = re.compile(
    r"§|ticket kernel|24x7 \(elapsed time\)|clock was counted|docs/architecture",
    re.IGNORECASE,
)


def visible_text(html: str) -> str:
    """The page as a person reads it: text and the attributes shown or spoken (titles,
    placeholders, labels, button values), without scripts, styles and comments."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    shown = re.findall(r'\b(?:title|placeholder|aria-label|alt|value)="([^"]*)"', html, flags=re.I)
    text = re.sub(r"<[^>]+>", " ", html)
    return unescape(" ".join([text, *shown]))


def _findings(client, urls: dict[str, str]) -> list[str]:
    problems = []
    for name, url in urls.items():
        response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        text = visible_text(response.content.decode())
        for match in FORBIDDEN.finditer(text):
            start = max(0, match.start() - 60)
            context = " ".join(text[start : match.end() + 60].split())
            problems.append(f"{name}: …{context}…")
    return problems


@pytest.fixture
def superuser(db):
    user = UserFactory(
        email="sean.super@mhhs.example",
        is_staff=True,
        is_superuser=True,
        roles=[roles.SERVICE_MANAGER],
    )
    TOTP.activate(user, TOTP_SECRET)
    return user


def test_console_pages_speak_plainly(agent, agent_client, superuser, org_user, resolver_group):
    case = CaseFactory(caller=org_user)
    worked = CaseFactory(caller=org_user)
    incident = case_raise_incident(
        case=worked, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    worked.refresh_from_db()
    urls = {
        "console index": reverse("admin:index"),
        "triage queue": reverse("admin:cases_case_triage_queue"),
        "triage page": reverse("admin:cases_case_triage", args=[case.pk]),
        "case page": reverse("admin:cases_case_change", args=[worked.pk]),
        "case history": reverse("admin:cases_case_history", args=[worked.pk]),
        "incident page": reverse("admin:incidents_incident_change", args=[incident.pk]),
        "incident reassign": reverse("admin:incidents_incident_assign", args=[incident.pk]),
    }
    for action in ("start", "hold", "resolve", "cancel", "close", "reject_resolution"):
        urls[f"case {action} form"] = reverse(
            "admin:cases_case_transition", args=[worked.pk, action]
        )
        urls[f"incident {action} form"] = reverse(
            "admin:incidents_incident_transition", args=[incident.pk, action]
        )
    case_transition(case=case, actor=agent, name="start")
    urls["new case page"] = reverse("admin:cases_case_change", args=[case.pk])
    problems = _findings(agent_client, urls)

    # Every model of the console, its list and the change page of one of its rows (the SLA
    # definitions and clocks, categories, people, communications…) as a superuser.
    everything = {}
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        try:
            everything[f"{model.__name__} list"] = reverse("admin:{}_{}_changelist".format(*info))
        except NoReverseMatch:
            continue
        first = model_admin.get_queryset(_request(superuser)).order_by("pk").first()
        if first is not None:
            everything[f"{model.__name__} page"] = reverse(
                "admin:{}_{}_change".format(*info), args=[first.pk]
            )
    everything["SLA definition (add)"] = reverse("admin:sla_sladefinition_add")
    assert SLADefinition.objects.exists()
    problems += _findings(mfa_client(superuser), everything)

    assert not problems, "Manual references or internal names in the console:\n" + "\n".join(
        problems
    )


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request
