"""REST API v1: raising incidents (`POST /api/v1/incidents/`), correcting them (`PATCH`),
assignment, people engaged, the incident report, resolving with a close code and the new
fields of the detail and the list (§5.4, §5.5, §5.7, §5.16, §5.17, Appendix G).

Desk staff and integration accounts whose token carries the "incidents" area raise incidents;
participants never see or raise them, and a token without the area is refused.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import roles
from accounts.models import User
from comms.models import OutboundMessage
from incidents.models import Incident, IncidentEngagement, IncidentReport
from incidents.services import incident_assign, incident_engage, incident_transition
from tests.conftest import login_client
from tests.factories.access import api_client
from tests.factories.accounts import ResolverGroupFactory, UserFactory
from tests.factories.cases import category
from tests.factories.incidents import direct_incident
from tickets.models import Subcategory

INCIDENTS = "/api/v1/incidents/"


def api(user, **kwargs) -> APIClient:
    return api_client(user, **kwargs)


def url(incident, suffix: str = "") -> str:
    return f"{INCIDENTS}{incident.number}/{suffix}"


def error(response) -> dict:
    return response.json()["error"]


@pytest.fixture
def integration(db):
    return UserFactory(
        email="monitoring@mhhs.example", kind=User.Kind.INTEGRATION, roles=[roles.INTEGRATION]
    )


@pytest.fixture
def incident(agent, resolver_group):
    return direct_incident(
        agent=agent, resolver_group=resolver_group, services=["dip"], subcategory="Outage"
    )


def new_incident(resolver_group, **overrides) -> dict:
    body = {
        "short_description": "DIP messages queued",
        "description": "Nothing delivered since 09:00.",
        "category": category("Market Systems").pk,
        "subcategory": Subcategory.objects.get(category__name="Market Systems", name="Outage").pk,
        "impact": 1,
        "urgency": 2,
        "assignment_group": resolver_group.pk,
        "services": ["dip", "isd"],
        "detected_at": (timezone.now() - timedelta(minutes=15)).isoformat(),
        "detection_method": "monitoring",
        "symptoms": "Queue depth rising.",
        "initial_severity": 2,
    }
    body.update(overrides)
    return body


# --- create ------------------------------------------------------------------------------------


def test_staff_raise_an_incident_and_read_it_back(
    agent, resolver, resolver_group, org_user, django_capture_on_commit_callbacks
):
    """§5.4, §5.7, §3.8: the detail shows the new fields, services and the first assignment."""
    with django_capture_on_commit_callbacks(execute=True):
        response = api(agent).post(
            INCIDENTS,
            new_incident(resolver_group, assigned_to=resolver.email, caller=org_user.email),
            format="json",
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"].endswith(f"{INCIDENTS}{body['number']}/")
    assert (body["priority"], body["state"]) == (2, "new")
    assert body["subcategory"]["name"] == "Outage"
    assert [(s["code"], s["name"]) for s in body["services"]] == [
        ("dip", "Data Integration Platform"),
        ("isd", "Industry Standing Data"),
    ]
    assert all(isinstance(s["id"], int) for s in body["services"])
    assert (body["detection_method"], body["initial_severity"]) == ("monitoring", 2)
    assert body["symptoms"] == "Queue depth rising."
    assert body["caller"]["email"] == org_user.email
    [first] = body["assignments"]
    assert first["from_group"] is None
    assert first["to_group"] == {"id": resolver_group.pk, "name": resolver_group.name}
    assert first["to_person"]["email"] == resolver.email
    assert body["engagements"] == []
    assert OutboundMessage.objects.filter(template="incident_assigned").exists()


def test_an_integration_token_with_the_incidents_area_raises_and_reads(
    integration, resolver_group, incident
):
    """§13: a monitoring tool raises incidents; its role sees every incident."""
    client = api(integration, scopes=["read", "write", "incidents"])

    response = client.post(
        INCIDENTS, new_incident(resolver_group, detection_method="monitoring"), format="json"
    )

    assert response.status_code == 201, response.json()
    raised = Incident.objects.get(number=response.json()["number"])
    assert raised.opened_by == integration
    listed = client.get(INCIDENTS).json()["results"]
    assert {row["number"] for row in listed} == {incident.number, raised.number}


def test_a_token_without_the_incidents_area_is_refused(integration, resolver_group):
    """The token's areas restrict an integration account to what it was issued for."""
    client = api(integration, scopes=["read", "write", "cases", "inbound-email"])
    for response in (
        client.post(INCIDENTS, new_incident(resolver_group), format="json"),
        client.get(INCIDENTS),
    ):
        assert response.status_code == 403
        assert error(response)["code"] == "missing_scope"
    assert not Incident.objects.exists()


def test_participants_never_raise_incidents_by_token_or_session(org_user, resolver_group):
    """Appendix G: participants raise cases; the refusal comes before the body is read."""
    for client in (api(org_user), login_client(org_user)):
        response = client.post(
            INCIDENTS, new_incident(resolver_group, category=999999), format="json"
        )
        assert response.status_code == 403
        assert error(response)["code"] == "not_permitted"
    assert not Incident.objects.exists()


def test_a_role_without_the_permission_is_refused(resolver, resolver_group):
    response = api(resolver).post(INCIDENTS, new_incident(resolver_group), format="json")
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subcategory": "security-breach"}, "subcategory"),
        ({"services": ["dip", "warp-drive"]}, "services"),
        ({"category": 99999999999999999999}, "category"),
        ({"assignment_group": 0}, "assignment_group"),
        ({"assignment_group": "²"}, "assignment_group"),
        ({"category": True}, "category"),
        ({"detected_at": "2999-01-01T00:00:00Z"}, "detected_at"),
        ({"detected_at": "0001-01-01T00:00:00+14:00"}, "detected_at"),
        ({"detected_at": "yesterday"}, "detected_at"),
        ({"detection_method": "owl"}, "detection_method"),
        ({"initial_severity": 7}, "initial_severity"),
        ({"impact": None}, "impact"),
        ({"assigned_to": "nobody@nowhere.example"}, "assigned_to"),
        ({"short_description": "\x00"}, "short_description"),
    ],
)
def test_bad_input_is_400_naming_the_field(agent, resolver_group, overrides, field):
    if overrides.get("subcategory") == "security-breach":
        overrides["subcategory"] = Subcategory.objects.get(
            category__name="Security", name="Data breach"
        ).pk
    response = api(agent).post(INCIDENTS, new_incident(resolver_group, **overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in error(response)["fields"]
    assert not Incident.objects.exists()


def test_subcategory_of_another_category_is_refused_with_a_field_error(agent, resolver_group):
    """§5.16: the subcategory must belong to the chosen category."""
    breach = Subcategory.objects.get(category__name="Security", name="Data breach")
    response = api(agent).post(
        INCIDENTS, new_incident(resolver_group, subcategory=breach.pk), format="json"
    )
    assert response.status_code == 400
    assert error(response)["fields"]["subcategory"] == [
        "“Data breach” is not a subcategory of Market Systems: choose one listed under "
        "Market Systems, or none."
    ]


# --- update ------------------------------------------------------------------------------------


def test_staff_correct_fields_and_the_journal_says_what_changed(agent, incident):
    security = category("Security")
    breach = Subcategory.objects.get(category=security, name="Data breach")

    response = api(agent).patch(
        url(incident),
        {"category": security.pk, "subcategory": breach.pk, "services": ["vas"], "symptoms": "x"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["category"]["name"] == "Security" and body["subcategory"]["name"] == "Data breach"
    assert [s["code"] for s in body["services"]] == ["vas"]
    journal = api(agent).get(url(incident, "journal/")).json()
    assert journal[-1]["body"].startswith("Incident updated: category: Market Systems → Security")


def test_patch_validation(agent, incident):
    """The subcategory must fit the category; priority and assignment have their endpoints."""
    security = category("Security")
    response = api(agent).patch(url(incident), {"category": security.pk}, format="json")
    assert response.status_code == 400
    assert list(error(response)["fields"]) == ["subcategory"]

    response = api(agent).patch(
        url(incident), {"impact": 1, "assignment_group": 1, "colour": "red"}, format="json"
    )
    assert response.status_code == 400
    fields = error(response)["fields"]
    assert fields["impact"] == ["Change impact and urgency with POST …/classify/."]
    assert fields["assignment_group"] == ["Reassign with POST …/assign/."]
    assert fields["colour"] == ["Not a field you can change here."]

    response = api(agent).patch(url(incident), {"short_description": ""}, format="json")
    assert response.status_code == 400 and "short_description" in error(response)["fields"]


def test_patch_is_for_staff_who_may_see_it(incident, integration, org_user, agent):
    response = api(integration, scopes=["read", "write", "incidents"]).patch(
        url(incident), {"symptoms": "x"}, format="json"
    )
    assert response.status_code == 403
    assert api(org_user).patch(url(incident), {"symptoms": "x"}, format="json").status_code == 404
    incident_transition(incident=incident, actor=agent, name="cancel", reason="duplicate")
    response = api(agent).patch(url(incident), {"symptoms": "x"}, format="json")
    assert response.status_code == 409


# --- assignment --------------------------------------------------------------------------------


def test_assign_moves_the_incident_and_the_detail_shows_its_history(
    agent, incident, resolver_group
):
    """Appendix G: each move is kept, with the reason."""
    lss = ResolverGroupFactory(name="LSS Support")

    response = api(agent).post(
        url(incident, "assign/"),
        {"assignment_group": lss.pk, "reason": "Load shapes are wrong."},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["assignment_group"]["name"] == "LSS Support"
    assert [(a["from_group"], a["to_group"]["name"], a["reason"]) for a in body["assignments"]] == [
        (None, resolver_group.name, ""),
        (
            {"id": resolver_group.pk, "name": resolver_group.name},
            "LSS Support",
            "Load shapes are wrong.",
        ),
    ]
    assert body["assignments"][1]["assigned_by"]["email"] == agent.email


def test_assign_refusals(agent, resolver, incident, integration, org_user):
    lss = ResolverGroupFactory(name="LSS Support")
    response = api(agent).post(
        url(incident, "assign/"),
        {"assignment_group": lss.pk, "assigned_to": resolver.email},
        format="json",
    )
    assert response.status_code == 400
    assert error(response)["fields"] == {"assigned_to": ["Choose a member of the group."]}
    bad = api(agent).post(url(incident, "assign/"), {"assignment_group": "x"}, format="json")
    assert bad.status_code == 400
    by_integration = api(integration, scopes=["read", "write", "incidents"]).post(
        url(incident, "assign/"), {"assignment_group": lss.pk}, format="json"
    )
    assert by_integration.status_code == 403
    by_participant = api(org_user).post(
        url(incident, "assign/"), {"assignment_group": lss.pk}, format="json"
    )
    assert by_participant.status_code == 404


# --- engagements -------------------------------------------------------------------------------


def test_engagements_are_listed_added_and_released(agent, incident):
    owner = UserFactory(
        email="pat.owner@mhhs.example",
        full_name="Pat Owner",
        is_staff=True,
        roles=[roles.SERVICE_DESK_AGENT],
    )
    client = api(agent)

    response = client.post(
        url(incident, "engagements/"),
        {"role": "product_owner", "person": owner.email, "note": "Owns the adaptor."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    engagement = response.json()
    assert (engagement["role"], engagement["person"]["email"]) == ("product_owner", owner.email)

    response = client.post(
        url(incident, "engagements/"),
        {"role": "service_user_support", "contact_name": "DCC", "contact_details": "0844"},
        format="json",
    )
    assert response.status_code == 201
    listed = client.get(url(incident, "engagements/")).json()
    assert [row["role"] for row in listed] == ["product_owner", "service_user_support"]
    assert len(client.get(url(incident)).json()["engagements"]) == 2

    release = client.post(url(incident, f"engagements/{engagement['id']}/release/"))
    assert release.status_code == 200 and release.json()["released_at"]
    again = client.post(url(incident, f"engagements/{engagement['id']}/release/"))
    assert again.status_code == 409
    for odd in ("999999", "-1", "abc", "²", "9" * 30):
        missing = client.post(url(incident, f"engagements/{odd}/release/"))
        assert missing.status_code == 404, odd
        assert error(missing)["code"] == "not_found"


def test_engaging_nobody_is_400(agent, incident):
    response = api(agent).post(url(incident, "engagements/"), {"role": "other"}, format="json")
    assert response.status_code == 400
    assert "person" in error(response)["fields"]
    response = api(agent).post(url(incident, "engagements/"), {"role": "boss"}, format="json")
    assert response.status_code == 400 and "role" in error(response)["fields"]


# --- resolving and the incident report ---------------------------------------------------------


def test_resolve_needs_a_close_code(resolver, incident):
    """§5.5 steps 13–15."""
    client = api(resolver)
    client.post(url(incident, "start/"), format="json")
    response = client.post(url(incident, "resolve/"), {"notes": "Restarted."}, format="json")
    assert response.status_code == 400
    assert "code" in error(response)["fields"]
    response = client.post(
        url(incident, "resolve/"), {"notes": "Restarted.", "code": ""}, format="json"
    )
    assert response.status_code == 400
    response = client.post(
        url(incident, "resolve/"), {"notes": "Restarted.", "code": "workaround"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["resolution_code"] == "workaround"


def test_incident_report_is_written_after_resolution_and_read_back(resolver, incident, integration):
    """§5.5 step 16: not before the resolution; then written, updated and read."""
    client = api(resolver)
    report = {
        "fix_summary": "Restarted the adaptor.",
        "cause": "Memory leak.",
        "problem_needed": True,
        "problem_reason": "It will recur.",
    }
    assert client.get(url(incident, "report/")).status_code == 404
    early = client.put(url(incident, "report/"), report, format="json")
    assert early.status_code == 409
    assert error(early)["code"] == "transition_not_allowed"

    client.post(url(incident, "start/"), format="json")
    client.post(url(incident, "resolve/"), {"notes": "Restarted.", "code": "solved"}, format="json")
    written = client.put(url(incident, "report/"), report, format="json")
    assert written.status_code == 201, written.json()
    assert written.json()["written_by"]["email"] == resolver.email
    updated = client.put(
        url(incident, "report/"), {**report, "problem_needed": False}, format="json"
    )
    assert updated.status_code == 200
    assert updated.json()["problem_needed"] is False
    assert IncidentReport.objects.count() == 1

    reader = api(integration, scopes=["read", "incidents"])
    assert reader.get(url(incident, "report/")).json()["fix_summary"] == "Restarted the adaptor."
    by_integration = api(integration, scopes=["read", "write", "incidents"]).put(
        url(incident, "report/"), report, format="json"
    )
    assert by_integration.status_code == 403


def test_incident_report_bad_input_is_400(resolver, incident):
    response = api(resolver).put(url(incident, "report/"), {"fix_summary": ""}, format="json")
    assert response.status_code == 400
    assert {"fix_summary", "problem_needed", "problem_reason"} <= set(error(response)["fields"])


# --- list filters and query counts ---------------------------------------------------------


def test_the_list_filters_by_service_category_and_subcategory(agent, resolver_group, incident):
    other = direct_incident(
        agent=agent,
        resolver_group=resolver_group,
        category_name="Settlement Services",
        subcategory="Settlement run",
        services=["vas", "dip"],
    )

    def listed(**params) -> set[str]:
        response = api(agent).get(INCIDENTS, params)
        assert response.status_code == 200, response.json()
        return {row["number"] for row in response.json()["results"]}

    assert listed(service="dip") == {incident.number, other.number}
    assert listed(service="vas") == {other.number}
    assert listed(service="nothing") == set()
    assert listed(category=category("Settlement Services").pk) == {other.number}
    assert listed(subcategory=incident.subcategory_id) == {incident.number}
    response = api(agent).get(INCIDENTS, {"subcategory": "99999999999999999999"})
    assert response.status_code == 400


@pytest.mark.parametrize("size", [2, 20])
def test_incident_list_query_count_is_constant_with_the_new_fields(
    agent, resolver_group, size, django_assert_num_queries
):
    """docs/conventions.md §7: services, engagements and assignment history are detail-only;
    the list reads its page in one query at any size."""
    for n in range(size):
        incident = direct_incident(
            agent=agent,
            resolver_group=resolver_group,
            short_description=f"DIP outage {n}",
            services=["dip", "isd"],
            subcategory="Outage",
        )
        incident_engage(
            incident=incident,
            actor=agent,
            role=IncidentEngagement.Role.OTHER,
            contact_name=f"Contact {n}",
        )
    client = api(agent)
    client.get(INCIDENTS, {"page_size": 1})  # the token's first use stamps last-used
    # 1 token joined with its user; 2 the cursor page's rows with category, organisation,
    # group and assignee joined, the service filter an EXISTS of each row. Permissions and
    # the TOTP check (§10.5.2) come from the access cache; a cursor page counts nothing.
    with django_assert_num_queries(2):
        response = client.get(INCIDENTS, {"page_size": 50, "service": "dip"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == size


@pytest.mark.parametrize("size", [2, 20])
def test_incident_detail_query_count_is_constant(
    agent, resolver_group, size, django_assert_num_queries
):
    """The detail reads its services, history and engagements in one query each."""
    incident = direct_incident(agent=agent, resolver_group=resolver_group, services=["dip"])
    groups = [ResolverGroupFactory(name=f"Group {n}") for n in range(2)]
    for n in range(size):
        incident = incident_assign(incident=incident, actor=agent, assignment_group=groups[n % 2])
        incident_engage(
            incident=incident, actor=agent, role=IncidentEngagement.Role.OTHER, contact_name=f"C{n}"
        )
    client = api(agent)
    client.get(url(incident))
    # 1 token with its user; 2 the incident with its relations joined; 3 its systems
    # affected; 4 its assignment history with groups and people; 5 its people engaged with
    # their accounts. Permissions and TOTP come from the access cache; the actions from the
    # model's transitions (no query).
    with django_assert_num_queries(5):
        response = client.get(url(incident))
    assert response.status_code == 200
    assert len(response.json()["assignments"]) == size + 1
