"""Where people see the clocks (docs/architecture.md §3, issue point 7): the agent's SLA panel, the
console's definitions (editable by a service manager) and clocks (read-only, time to breach,
at-risk / breached / paused filters), the participant's case page, and the read-only API."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from rest_framework.test import APIRequestFactory, force_authenticate

from accounts import roles
from cases.services import case_classify, case_transition
from incidents.services import incident_create
from sla.api import sla_clocks_view
from sla.calendar import LONDON
from sla.models import SLADefinition, TicketSLA
from sla.selectors import case_target_resolution, sla_timeline_for
from sla.sweeps import sla_sweep
from tests.conftest import _staff, mfa_client
from tests.factories.access import access_token
from tests.factories.cases import CaseFactory, category
from tickets.priority import Impact, Urgency
from tickets.registry import ticket_type_by_label

pytestmark = pytest.mark.django_db

RAISED = datetime(2026, 12, 3, 10, 0, tzinfo=LONDON)  # Thursday
P3 = {"impact": Impact.LOW, "urgency": Urgency.HIGH}
# What the Service manager role needs for the SLA console (to be added in accounts.roles).
SERVICE_MANAGER_SLA_PERMS = [
    "view_sladefinition",
    "add_sladefinition",
    "change_sladefinition",
    "view_ticketsla",
]


@pytest.fixture
def travel():
    with time_machine.travel(RAISED, tick=False) as traveller:
        yield traveller


@pytest.fixture
def service_manager(db):
    user = _staff("sue.service@mhhs.example", roles.SERVICE_MANAGER)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="sla", codename__in=SERVICE_MANAGER_SLA_PERMS
        )
    )
    return user


@pytest.fixture
def p3_case(travel, org_user, agent):
    case = CaseFactory(caller=org_user)
    case_classify(case=case, actor=agent, **P3)
    return case_transition(case=case, actor=agent, name="start")


# --- the agent's panel -------------------------------------------------------------------------


def test_panel_shows_each_clock_with_deadline_in_uk_time_and_elapsed_share(travel, p3_case):
    """docs/architecture.md §3: each clock with its deadline (UK time), elapsed % and state. P3 raised
    Thu 3 Dec 10:00 is due Thu 10 Dec 10:00 (45 business hours, §3.10)."""
    travel.move_to(datetime(2026, 12, 8, 17, 0, tzinfo=LONDON))  # 34 h of 45: 75%, at risk
    html = render_to_string("sla/_sla_panel.html", {"sla_clocks": sla_timeline_for(p3_case)})

    assert "Case P3 resolution" in html
    assert "Thu 10 Dec 2026, 10:00" in html
    assert "75%" in html
    assert "At risk" in html
    assert "First-line triage" in html  # the desk sees the internal triage clock


def test_panel_shows_paused_and_breached(travel, p3_case, agent):
    """§5.12: a clock On Hold is shown paused; a clock past its deadline breached."""
    case = case_transition(case=p3_case, actor=agent, name="hold", reason="awaiting_caller")
    travel.move_to(datetime(2026, 12, 21, 12, 0, tzinfo=LONDON))
    html = render_to_string("sla/_sla_panel.html", {"sla_clocks": sla_timeline_for(case)})
    assert "Paused" in html and "if work resumes now" in html

    case = case_transition(case=case, actor=agent, name="resume")
    travel.move_to(datetime(2027, 1, 29, 12, 0, tzinfo=LONDON))
    sla_sweep()
    html = render_to_string("sla/_sla_panel.html", {"sla_clocks": sla_timeline_for(case)})
    assert "Breached" in html


# --- the console -------------------------------------------------------------------------------


def test_service_manager_edits_a_definition(travel, service_manager):
    """docs/architecture.md §3: definitions are data a service manager edits; new clocks use the change."""
    definition = SLADefinition.objects.get(name="Case P3 resolution")
    client = mfa_client(service_manager)
    url = f"/admin/sla/sladefinition/{definition.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200

    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v is not None}
    data["duration"] = "2 09:00:00"  # 57 working hours
    data["at_risk_percent"] = 80
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    definition.refresh_from_db()
    assert definition.duration == timedelta(days=2, hours=9)
    assert definition.at_risk_percent == 80
    assert definition.pause_states == ["on_hold"]


def test_definition_cannot_be_deleted_only_retired(service_manager):
    """Clocks keep their definition for the record: definitions are deactivated instead."""
    definition = SLADefinition.objects.get(name="Case P3 resolution")
    client = mfa_client(service_manager)
    assert client.get(f"/admin/sla/sladefinition/{definition.pk}/delete/").status_code == 403


def test_agent_without_the_permission_cannot_edit_definitions(agent_client):
    """Only a service manager configures service levels (docs/architecture.md §9)."""
    definition = SLADefinition.objects.get(name="Case P3 resolution")
    response = agent_client.post(f"/admin/sla/sladefinition/{definition.pk}/change/", {})
    assert response.status_code == 403


def test_clock_list_shows_time_to_breach_and_filters(travel, p3_case, agent, service_manager):
    """docs/architecture.md §3: time-to-breach column and at-risk / breached / paused filters."""
    other = CaseFactory(caller=p3_case.caller)
    case_classify(case=other, actor=agent, **P3)
    other = case_transition(case=other, actor=agent, name="start")
    case_transition(case=other, actor=agent, name="hold", reason="awaiting_vendor")
    travel.move_to(datetime(2026, 12, 10, 9, 0, tzinfo=LONDON))
    client = mfa_client(service_manager)

    page = client.get("/admin/sla/ticketsla/", {"sla_status": "at_risk"})
    assert page.status_code == 200
    text = page.content.decode()
    assert p3_case.number in text and "1 h 00 min" in text  # due Thu 10 Dec 10:00
    assert other.number not in text

    paused = client.get("/admin/sla/ticketsla/", {"sla_status": "paused"}).content.decode()
    assert other.number in paused and "paused" in paused and p3_case.number not in paused

    travel.move_to(datetime(2026, 12, 10, 11, 0, tzinfo=LONDON))
    breached = client.get("/admin/sla/ticketsla/", {"sla_status": "breached"}).content.decode()
    assert p3_case.number in breached and "breached 1 h 00 min ago" in breached

    searched = client.get("/admin/sla/ticketsla/", {"q": other.number}).content.decode()
    assert other.number in searched and p3_case.number not in searched


def test_clock_page_is_read_only_with_its_timeline(travel, p3_case, service_manager):
    """docs/architecture.md §3 point 5: the agent reads how a clock was counted in the console."""
    clock = TicketSLA.objects.get(ticket_id=p3_case.pk, definition__name="Case P3 resolution")
    client = mfa_client(service_manager)

    page = client.get(f"/admin/sla/ticketsla/{clock.pk}/change/")

    assert page.status_code == 200
    text = page.content.decode()
    assert "Time counted towards the resolution target" in text
    assert 'name="_save"' not in text
    assert client.post(f"/admin/sla/ticketsla/{clock.pk}/change/", {}).status_code == 403


@pytest.mark.parametrize("size", [2, 20])
def test_clock_list_query_count_does_not_grow(
    size, travel, org_user, agent, service_manager, django_assert_num_queries
):
    """docs/conventions.md §7: the clock list costs the same at 2 and 20 tickets."""
    for _ in range(size):
        case = CaseFactory(caller=org_user)
        case_classify(case=case, actor=agent, **P3)
    client = mfa_client(service_manager)
    client.get("/admin/sla/ticketsla/")  # warm the content-type cache

    # session, user, the definitions for the definition filter, the page count, the page of
    # clocks (definition and ticket number joined); permissions, whether the account has TOTP
    # and the bell's unread count come from the cache (issue 9)
    with django_assert_num_queries(5):
        response = client.get("/admin/sla/ticketsla/")
    assert response.status_code == 200


def test_resolver_sees_only_the_clocks_of_their_groups_tickets(
    travel, agent, resolver, resolver_group, org_user
):
    """§10.4: the clock list follows the visibility selector."""
    resolver.user_permissions.add(Permission.objects.get(codename="view_ticketsla"))
    ours = incident_create(
        actor=agent,
        short_description="Ours",
        description="x",
        category=category(),
        assignment_group=resolver_group,
        **P3,
    )
    from tests.factories.accounts import ResolverGroupFactory

    theirs = incident_create(
        actor=agent,
        short_description="Theirs",
        description="x",
        category=category(),
        assignment_group=ResolverGroupFactory(),
        **P3,
    )
    text = mfa_client(resolver).get("/admin/sla/ticketsla/").content.decode()

    assert ours.number in text and theirs.number not in text


# --- the participant's case page -----------------------------------------------------------------


def test_participant_sees_target_resolution_and_their_clocks_without_internal_details(
    travel, p3_case
):
    """docs/architecture.md §3 point 7: the target resolution date once prioritised, and the clock
    timeline without the internal triage clock or desk notes; in plain words (issue 10), with
    how it is counted behind "How is this measured?"."""
    target = case_target_resolution(p3_case)
    assert target == datetime(2026, 12, 10, 10, 0, tzinfo=LONDON)
    clocks = sla_timeline_for(p3_case, for_participant=True)
    html = render_to_string("sla/_clock_timeline.html", {"sla_clocks": clocks})
    assert '<h3 class="sla-clock__name">Resolution</h3>' in html
    assert "<dd>5 working days</dd>" in html
    assert "First-line triage" not in html
    assert "Desk note" not in html


def test_case_page_shows_target_resolution_when_the_view_provides_it(travel, p3_case, org_client):
    """docs/architecture.md §3 point 7: the case page template shows the date and the clocks it is given."""
    from django.test import RequestFactory

    from cases.forms import CaseAttachmentForm, CaseCommentForm, CaseRejectForm

    request = RequestFactory().get("/")
    request.user = p3_case.caller
    html = render_to_string(
        "cases/case_detail.html",
        {
            "case": p3_case,
            "timeline": [],
            "attachments": [],
            "comment_form": CaseCommentForm(),
            "attachment_form": CaseAttachmentForm(),
            "reject_form": CaseRejectForm(),
            "target_resolution": case_target_resolution(p3_case),
            "sla_clocks": sla_timeline_for(p3_case, for_participant=True),
        },
        request=request,
    )
    assert "Target resolution" in html and "10 Dec 2026, 10:00" in html
    assert 'id="service-levels"' in html


# --- the API -----------------------------------------------------------------------------------


def _get(kind: str, user, number: str, token=None):
    """GET the clocks of a ticket of `kind` ("case", "incident") through the type's view."""
    request = APIRequestFactory().get(f"/api/v1/x/{number}/slas/")
    if user is not None:
        # An access token with every scope, as an integration would call (§10.5.2).
        force_authenticate(request, user=user, token=token or access_token(user)[0])
    return sla_clocks_view(ticket_type_by_label(kind))(request, number=number)


def test_api_participant_gets_their_case_clocks_without_internal_details(travel, p3_case, org_user):
    """docs/architecture.md §3: read-only clocks; a participant sees what the portal shows."""
    response = _get("case", org_user, p3_case.number.lower())

    assert response.status_code == 200
    names = [clock["name"] for clock in response.data]
    assert "Case P3 resolution" in names and "First-line triage" not in names
    resolution = next(c for c in response.data if c["name"] == "Case P3 resolution")
    assert resolution["target_seconds"] == 45 * 3600
    assert resolution["phase"] == "running"
    assert resolution["deadline"] == "2026-12-10T10:00:00Z"
    assert "at_risk" not in resolution
    assert all("note" not in event for event in resolution["events"])


def test_api_desk_gets_every_clock(travel, p3_case, agent):
    """The desk sees the triage clock, at-risk flags and desk notes too."""
    response = _get("case", agent, p3_case.number)

    assert response.status_code == 200
    names = [clock["name"] for clock in response.data]
    assert "First-line triage" in names
    assert all("at_risk" in clock for clock in response.data)


def test_api_other_organisation_gets_404(travel, p3_case, other_org_user):
    """§10.4: a case of another organisation is reported like one that does not exist."""
    assert _get("case", other_org_user, p3_case.number).status_code == 404
    assert _get("case", other_org_user, "CS9999999").status_code == 404


def test_api_needs_credentials(travel, p3_case):
    assert _get("case", None, p3_case.number).status_code == 401


def test_api_participants_do_not_see_incident_clocks(travel, agent, resolver_group, org_user):
    """Incidents are for the technical teams: a participant gets 404, the desk the clocks."""
    incident = incident_create(
        actor=agent,
        short_description="DIP down",
        description="x",
        category=category(),
        assignment_group=resolver_group,
        caller=org_user,
        organisation=org_user.organisation,
        **P3,
    )
    assert _get("incident", org_user, incident.number).status_code == 404
    response = _get("incident", agent, incident.number)
    assert response.status_code == 200
    assert [c["name"] for c in response.data] == ["Incident P3 resolution"]


@pytest.mark.parametrize("holds", [1, 10])
def test_api_query_count_does_not_grow_with_the_timeline(
    holds, travel, p3_case, agent, django_assert_num_queries
):
    """docs/conventions.md §7: clocks and their events come in a fixed number of queries."""
    case = p3_case
    for hour in range(holds):
        travel.move_to(RAISED + timedelta(hours=hour, minutes=10))
        case = case_transition(case=case, actor=agent, name="hold", reason="awaiting_vendor")
        travel.move_to(RAISED + timedelta(hours=hour, minutes=40))
        case = case_transition(case=case, actor=agent, name="resume")
    token, _ = access_token(agent)
    _get("case", agent, case.number, token)  # warm the content-type cache

    # the case through the visibility selector, its clocks joined with their definitions and
    # events (the user's permissions and TOTP are cached on the user from the first call)
    with django_assert_num_queries(2):
        response = _get("case", agent, case.number, token)
    assert response.status_code == 200
