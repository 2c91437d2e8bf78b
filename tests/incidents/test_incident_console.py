"""The incident console (§5, Appendix G): the "Raise incident" page, the list's filters and
search, the incident page's §5.7 fields, assignment history, people engaged, incident report
and update for the callers, and the small forms behind them. Refusals are messages or form
errors, never a 500."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from cases.models import ProposedUpdate
from cases.services import case_raise_incident
from incidents.models import Incident, IncidentEngagement, IncidentReport
from incidents.services import (
    incident_assign,
    incident_engage,
    incident_transition,
    incident_work_note_add,
)
from tests.factories.accounts import ResolverGroupFactory, UserFactory
from tests.factories.cases import CaseFactory, category
from tests.factories.incidents import direct_incident
from tickets.models import Service, Subcategory

LIST = reverse("admin:incidents_incident_changelist")
RAISE = reverse("admin:incidents_incident_add")


def page(incident) -> str:
    return reverse("admin:incidents_incident_change", args=[incident.pk])


def url(name: str, incident, *args) -> str:
    return reverse(f"admin:incidents_incident_{name}", args=[incident.pk, *args])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def incident(agent, resolver_group):
    return direct_incident(
        agent=agent,
        resolver_group=resolver_group,
        services=["dip", "isd"],
        subcategory="Outage",
        detection_method=Incident.DetectionMethod.MONITORING,
        symptoms="Queue depth rising.",
        initial_severity=Incident.Severity.HIGH,
    )


def resolved(incident, actor):
    incident = incident_transition(incident=incident, actor=actor, name="start")
    return incident_transition(
        incident=incident, actor=actor, name="resolve", notes="Restarted.", code="solved"
    )


# --- raising ---------------------------------------------------------------------------------


def test_the_list_offers_raise_incident_to_those_who_may(agent_client, resolver_client):
    """§5.4: the desk raises incidents; resolvers work them."""
    assert "Raise incident" in agent_client.get(LIST).content.decode()
    assert "Raise incident" not in resolver_client.get(LIST).content.decode()
    response = resolver_client.get(RAISE, follow=True)
    assert "Only the service desk can raise incidents." in messages_of(response)


def test_staff_raise_an_incident_on_the_raise_page(
    agent_client, resolver_group, resolver, org_user, django_capture_on_commit_callbacks
):
    """§5.4, §5.7, §3.8: the mandatory and logging fields; the group is told."""
    form = agent_client.get(RAISE)
    assert form.status_code == 200
    html = form.content.decode()
    for label in ("Systems affected", "Observed symptoms", "Detected at", "Initial severity"):
        assert label in html
    outage = Subcategory.objects.get(category__name="Market Systems", name="Outage")
    dip = Service.objects.get(code="dip")

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            RAISE,
            {
                "short_description": "DIP messages queued",
                "description": "Nothing delivered since 09:00.",
                "category": category("Market Systems").pk,
                "subcategory": outage.pk,
                "services": [dip.pk],
                "detected_at": (timezone.localtime() - timedelta(minutes=30)).strftime(
                    "%Y-%m-%dT%H:%M"
                ),
                "detection_method": "monitoring",
                "symptoms": "Queue depth rising.",
                "initial_severity": "2",
                "impact": "1",
                "urgency": "1",
                "assignment_group": resolver_group.pk,
                "assigned_to": resolver.pk,
                "caller": org_user.email.upper(),
            },
            follow=True,
        )

    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == page(incident)
    assert f"{incident.number} raised with priority P1 — 6 hours" in messages_of(response)[0]
    assert (incident.subcategory, incident.assigned_to, incident.caller) == (
        outage,
        resolver,
        org_user,
    )
    assert list(incident.services.all()) == [dip]
    assert incident.assignments.count() == 1


def test_the_raise_page_shows_the_services_refusals_on_its_fields(agent_client, resolver_group):
    """§5.16: a subcategory of another category is refused with a field error."""
    breach = Subcategory.objects.get(category__name="Security", name="Data breach")

    response = agent_client.post(
        RAISE,
        {
            "short_description": "DIP messages queued",
            "description": "",
            "category": category("Market Systems").pk,
            "subcategory": breach.pk,
            "impact": "1",
            "urgency": "1",
            "assignment_group": resolver_group.pk,
            "caller": "nobody@nowhere.example",
        },
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["caller"] == ["There is no active account with that address."]
    response = agent_client.post(
        RAISE,
        {
            "short_description": "DIP messages queued",
            "description": "",
            "category": category("Market Systems").pk,
            "subcategory": breach.pk,
            "impact": "1",
            "urgency": "1",
            "assignment_group": resolver_group.pk,
        },
    )
    errors = response.context["form"].errors
    assert "not a subcategory of Market Systems" in errors["subcategory"][0]
    assert errors["description"] == ["An incident needs a description."]
    assert not Incident.objects.exists()


# --- list: filters and search ----------------------------------------------------------------


def test_the_list_filters_by_service_category_and_subcategory_and_searches(
    agent_client, agent, resolver_group, incident
):
    """§5.7, §5.16: services and categories are data the desk filters by."""
    other = direct_incident(
        agent=agent,
        resolver_group=resolver_group,
        short_description="VAS run late",
        category_name="Settlement Services",
        subcategory="Settlement run",
        services=["vas"],
    )

    def listed(**query) -> set[str]:
        response = agent_client.get(LIST, query)
        assert response.status_code == 200
        return {row.number for row in response.context["cl"].result_list}

    dip = Service.objects.get(code="dip")
    outage = Subcategory.objects.get(category__name="Market Systems", name="Outage")
    assert listed(service=dip.pk) == {incident.number}
    assert listed(service=Service.objects.get(code="vas").pk) == {other.number}
    assert listed(subcategory=outage.pk) == {incident.number}
    assert listed(category__id__exact=category("Settlement Services").pk) == {other.number}
    assert listed(q=other.number) == {other.number}
    assert listed(q="vas run") == {other.number}
    html = agent_client.get(LIST).content.decode()
    assert "Market Systems → Outage" in html and "Data Integration Platform" in html


@pytest.mark.parametrize(
    "query", ["service=99999999999999999999", "subcategory=x", "service=-1", "subcategory=%C2%B2"]
)
def test_odd_filter_values_are_an_empty_list_not_a_500(agent_client, incident, query):
    response = agent_client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


# --- the incident page -----------------------------------------------------------------------


def test_the_page_shows_the_logging_fields_history_people_and_forms(
    agent_client, agent, incident, resolver_group
):
    """§5.7, Appendix G: what was detected, where the incident went, who is engaged."""
    lss = ResolverGroupFactory(name="LSS Support")
    incident_assign(incident=incident, actor=agent, assignment_group=lss, reason="Load shapes.")
    incident_engage(
        incident=incident,
        actor=agent,
        role=IncidentEngagement.Role.SERVICE_USER_SUPPORT,
        contact_name="DCC Service Centre",
        contact_details="0844 225 4445",
    )

    response = agent_client.get(page(incident))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Logging: detection and systems affected",
        "Monitoring alert",
        "Data Integration Platform (DIP), Industry Standing Data (ISD)",
        "Queue depth rising.",
        "Outage",
        "Assignment history",
        "Raised",
        "LSS Support",
        "Load shapes.",
        "People engaged",
        "DCC Service Centre",
        "0844 225 4445",
        "Incident report",
        "Written once the incident is resolved",
        "Update for the callers — checked by the service desk first",
        "Send to the desk for checking",
        "Edit details",
    ):
        assert text in html, text
    assert [(r.from_group, r.to_group) for r in response.context["assignments"]] == [
        (None, resolver_group),
        (resolver_group, lss),
    ]


def test_engage_and_release_from_the_page(
    agent_client, incident, django_capture_on_commit_callbacks
):
    """§5.5 step 7: engage a product owner; they are told; release them when done."""
    owner = UserFactory(
        email="pat.owner@mhhs.example",
        full_name="Pat Owner",
        is_staff=True,
        roles=[roles.SERVICE_DESK_AGENT],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            url("engage", incident), {"role": "product_owner", "person": owner.pk}, follow=True
        )
    assert "Pat Owner engaged as product owner; they have been told." in messages_of(response)
    engagement = IncidentEngagement.objects.get()

    response = agent_client.post(url("release", incident, engagement.pk), follow=True)

    assert "Pat Owner released." in messages_of(response)
    engagement.refresh_from_db()
    assert engagement.released_at is not None


def test_an_engagement_naming_nobody_comes_back_with_the_error_on_the_form(agent_client, incident):
    response = agent_client.post(url("engage", incident), {"role": "product_owner"})
    assert response.status_code == 200
    assert response.context["form"].errors["person"] == [
        "Choose a person, or name a contact outside the portal."
    ]


def test_the_report_is_refused_while_open_and_written_once_resolved(
    resolver_client, resolver, incident
):
    """§5.5 step 16: the incident report follows the resolution."""
    data = {
        "fix_summary": "Restarted the adaptor.",
        "cause": "",
        "problem_needed": "yes",
        "problem_reason": "It will recur.",
    }
    response = resolver_client.post(url("report", incident), data, follow=True)
    assert any("written once" in message for message in messages_of(response))
    assert not IncidentReport.objects.exists()

    incident = resolved(incident, resolver)
    page_html = resolver_client.get(page(incident)).content.decode()
    assert "Save the incident report" in page_html

    response = resolver_client.post(url("report", incident), data, follow=True)

    assert "Incident report saved." in messages_of(response)
    report = IncidentReport.objects.get()
    assert (report.problem_needed, report.fix_summary) == (True, "Restarted the adaptor.")
    assert "It will recur." in resolver_client.get(page(incident)).content.decode()


def test_edit_details_corrects_the_fields_through_the_service(agent_client, incident):
    vas = Service.objects.get(code="vas")
    data = {
        "short_description": incident.short_description,
        "description": incident.description,
        "category": incident.category_id,
        "subcategory": incident.subcategory_id,
        "services": [vas.pk],
        "symptoms": "Volumes missing.",
        "detection_method": "monitoring",
        "initial_severity": "2",
    }
    response = agent_client.post(url("details", incident), data, follow=True)

    assert f"{incident.number} updated." in messages_of(response)
    incident.refresh_from_db()
    assert list(incident.services.all()) == [vas]
    assert incident.symptoms == "Volumes missing."

    breach = Subcategory.objects.get(category__name="Security", name="Data breach")
    response = agent_client.post(url("details", incident), {**data, "subcategory": breach.pk})
    assert "not a subcategory" in response.context["form"].errors["subcategory"][0]


def test_the_console_resolve_form_asks_for_a_close_code(resolver_client, resolver, incident):
    """§5.5 steps 13–15: resolution notes and a close code."""
    incident_transition(incident=incident, actor=resolver, name="start")
    form_url = reverse("admin:incidents_incident_transition", args=[incident.pk, "resolve"])

    response = resolver_client.post(
        form_url, {"expected_state": "in_progress", "notes": "Restarted.", "code": ""}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["Choose a resolution code from the list."]
    incident.refresh_from_db()
    assert incident.state == Incident.State.IN_PROGRESS


def test_update_for_the_callers_goes_to_the_desk_for_checking(
    resolver_client, org_user, agent, resolver_group
):
    """Appendix G: the update becomes a proposal on each open linked case, for the desk."""
    case = CaseFactory(caller=org_user)
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )

    response = resolver_client.post(
        url("work_note", incident), {"kind": "caller_update", "body": "Fix by 15:00."}, follow=True
    )

    assert any("checks it before any caller sees it" in m for m in messages_of(response))
    assert ProposedUpdate.objects.get(case=case).proposed_text == "Fix by 15:00."


# --- query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 20])
def test_incident_page_query_count_is_constant(
    agent_client, agent, resolver_group, size, django_assert_num_queries
):
    """docs/conventions.md §7: the page costs the same however long its history, its list of
    people engaged, its systems affected and its journal."""
    incident = direct_incident(
        agent=agent, resolver_group=resolver_group, services=["dip", "isd", "vas"]
    )
    groups = [ResolverGroupFactory(name=f"Group {n}") for n in range(2)]
    for n in range(size):
        incident = incident_assign(
            incident=incident, actor=agent, assignment_group=groups[n % 2], reason=f"Move {n}"
        )
        incident_engage(
            incident=incident,
            actor=agent,
            role=IncidentEngagement.Role.OTHER,
            contact_name=f"Contact {n}",
        )
        incident_work_note_add(incident=incident, actor=agent, body=f"Note {n}")
    agent_client.get(page(incident))  # warm the access cache
    # 1 session; 2 user (TOTP and permissions from the access cache); 3 the incident joined
    # with its group, category, subcategory and organisation; 4 its people by id (assignee,
    # caller, opener); 5 its journal with authors; 6 the SLA panel's clocks with their
    # definitions; 7 the assignment history with groups and people joined; 8 the people
    # engaged with their accounts; 9 the incident report; 10 the systems affected; 11 its
    # links to cases (none here: a linked incident reads its cases in one more query, at any
    # number); 12 the engage form's desk staff; 13–14 the major-incident panel (its latest
    # candidacy, its major incident); 15 the problems linked to it; 16 the changes linked to it.
    with django_assert_num_queries(16):
        response = agent_client.get(page(incident))
    assert response.status_code == 200
    assert len(response.context["assignments"]) == size + 1
    assert len(response.context["engagements"]) == size


def test_edit_details_keeps_a_subcategory_and_service_retired_since(agent_client, incident):
    """Data under review (§5.16): retiring a subcategory or a service does not clear it from
    the incidents that have it when someone saves other fields."""
    Subcategory.objects.filter(pk=incident.subcategory_id).update(active=False)
    Service.objects.filter(code="isd").update(active=False)
    form = agent_client.get(url("details", incident)).context["form"]
    data = {
        "short_description": incident.short_description,
        "description": incident.description,
        "category": incident.category_id,
        "subcategory": incident.subcategory_id,
        "services": [s.pk for s in incident.services.all()],
        "symptoms": "Now also slow.",
        "detection_method": incident.detection_method,
        "initial_severity": str(incident.initial_severity),
    }
    assert form["subcategory"].value() == incident.subcategory_id

    response = agent_client.post(url("details", incident), data, follow=True)

    assert f"{incident.number} updated." in messages_of(response)
    incident.refresh_from_db()
    assert incident.subcategory.name == "Outage"
    assert {s.code for s in incident.services.all()} == {"dip", "isd"}
    assert incident.symptoms == "Now also slow."
