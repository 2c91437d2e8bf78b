"""REST API v1: changes — raise, list, read, edit, the lifecycle routes, approvals, the
standard-change catalogue and external change notifications (§8, §9)."""

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve

from accounts import roles
from changes.models import Change, ExternalChangeNotification
from tests.changes.conftest import london, raise_change
from tests.factories.access import api_client
from tests.factories.accounts import UserFactory
from tests.factories.cases import category

CHANGES = "/api/v1/changes/"
IN_HOURS = london(2027, 2, 3, 10, 0)


def error(response) -> dict:
    return response.json()["error"]


def _body(**fields) -> dict:
    return {
        "change_type": "normal",
        "short_description": "Patch the DIP message broker",
        "description": "Apply the vendor's security patch.",
        "category": category("Market Systems").pk,
        "reason": "Vulnerability fixed by the vendor.",
        "probability": 3,
        "impact": 3,
        "urgency": 2,
        "planned_start": "2027-03-01T22:00:00Z",
        "planned_end": "2027-03-01T23:00:00Z",
        "services": ["dip"],
        "implementation_plan": "Patch each node.",
        "test_plan": "Send test messages.",
        "backout_plan": "Reinstall the previous version.",
        **fields,
    }


def test_the_registry_gives_changes_their_routes(db):
    """docs/architecture.md §2.3: the type's own routes and one per lifecycle action it
    offers; authorising is recorded as an approval, not a bare transition."""
    for route in ("", "CHG0000001/", "CHG0000001/submit/", "CHG0000001/close/"):
        assert resolve(f"{CHANGES}{route}") is not None
    assert resolve(f"{CHANGES}CHG0000001/approvals/").url_name == "change-approvals"
    assert resolve(f"{CHANGES}CHG0000001/assess/").url_name == "change_assess"
    with pytest.raises(Resolver404):
        resolve(f"{CHANGES}CHG0000001/authorise/")


@pytest.mark.django_db
def test_service_owner_raises_a_change_and_takes_it_to_scheduled(service_owner, change_manager):
    """§8.2, §8.3, §8.7: raised with the mandatory fields (risk by §8.4), submitted,
    assessed and authorised by the Change Manager (Low/Low)."""
    owner = api_client(service_owner)
    response = owner.post(CHANGES, _body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    number = data["number"]
    assert number.startswith("CHG") and data["state"] == "new"
    assert (data["risk"], data["cab_required"], data["priority"]) == (3, False, 4)
    assert data["requested_by"]["email"] == service_owner.email
    assert "submit" in data["actions"]
    with time_machine.travel(IN_HOURS, tick=False):
        submitted = owner.post(f"{CHANGES}{number}/submit/", {}, format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "assess"
    manager = api_client(change_manager)
    assessed = manager.post(f"{CHANGES}{number}/assess/", {}, format="json")
    assert assessed.json()["state"] == "authorise"
    approved = manager.post(
        f"{CHANGES}{number}/approvals/",
        {"kind": "change_manager", "decision": "approve"},
        format="json",
    )
    assert approved.status_code == 201, approved.json()
    assert approved.json()["state"] == "scheduled"
    assert approved.json()["authorised_via"] == "change_manager"
    assert [a["kind"] for a in manager.get(f"{CHANGES}{number}/approvals/").json()] == [
        "change_manager"
    ]


@pytest.mark.django_db
def test_late_submission_without_justification_is_a_400_with_the_rule(service_owner):
    """§8.7: a late change is refused without a justification, saying why."""
    change = raise_change(service_owner, planned_start=london(2027, 2, 4, 10, 0))
    with time_machine.travel(IN_HOURS, tick=False):
        response = api_client(service_owner).post(
            f"{CHANGES}{change.number}/submit/", {}, format="json"
        )
    assert response.status_code == 400
    assert "5 working days" in error(response)["message"]
    assert "justification" in error(response)["fields"]


@pytest.mark.django_db
def test_bad_input_is_a_400_naming_the_fields(service_owner):
    """Bad input gives clear errors: unknown type, unknown service, end before start."""
    client = api_client(service_owner)
    response = client.post(
        CHANGES,
        _body(change_type="standard", services=["nope"], planned_end="2027-03-01T21:00:00Z"),
        format="json",
    )
    assert response.status_code == 400
    assert {"change_type", "services"} <= set(error(response)["fields"])
    response = client.post(CHANGES, _body(planned_end="2027-03-01T21:00:00Z"), format="json")
    assert response.status_code == 400
    assert "planned_end" in error(response)["fields"]


@pytest.mark.django_db
def test_approval_under_the_wrong_authority_is_a_400(service_owner, change_manager, cab_member):
    """§8.9.2: a Low/Low Normal change is not CAB's to authorise."""
    change = raise_change(service_owner)
    with time_machine.travel(IN_HOURS, tick=False):
        api_client(service_owner).post(f"{CHANGES}{change.number}/submit/", {}, format="json")
    api_client(change_manager).post(f"{CHANGES}{change.number}/assess/", {}, format="json")
    response = api_client(cab_member).post(
        f"{CHANGES}{change.number}/approvals/",
        {"kind": "cab", "decision": "approve"},
        format="json",
    )
    assert response.status_code == 400
    assert "Change Manager" in error(response)["message"]


@pytest.mark.django_db
def test_wrong_role_is_a_403(service_owner, cab_member, resolver):
    """§8.2: CAB members do not raise changes; only the Change Manager assesses."""
    response = api_client(cab_member).post(CHANGES, _body(), format="json")
    assert response.status_code == 403
    change = raise_change(service_owner)
    with time_machine.travel(IN_HOURS, tick=False):
        api_client(service_owner).post(f"{CHANGES}{change.number}/submit/", {}, format="json")
    response = api_client(resolver).post(f"{CHANGES}{change.number}/assess/", {}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_participants_never_see_changes(service_owner, org_user):
    """§8.1: changes are staff records: a participant lists none and gets 404 on one."""
    change = raise_change(service_owner)
    client = api_client(org_user)
    assert client.get(CHANGES).json()["results"] == []
    assert client.get(f"{CHANGES}{change.number}/").status_code == 404


@pytest.mark.django_db
def test_stale_expected_state_is_a_409(service_owner):
    """CONVENTIONS §3: acting on a stale view is refused with 409."""
    change = raise_change(service_owner)
    response = api_client(service_owner).post(
        f"{CHANGES}{change.number}/cancel/",
        {"expected_state": "assess", "notes": "Not needed."},
        format="json",
    )
    assert response.status_code == 409
    assert error(response)["code"] == "changed_by_someone_else"


@pytest.mark.django_db
def test_edit_after_authorisation_is_a_409(service_owner, change_manager):
    """§8.3: a change is edited before it goes for authorisation, not after."""
    change = raise_change(service_owner)
    client = api_client(service_owner)
    assert (
        client.patch(
            f"{CHANGES}{change.number}/", {"test_plan": "More tests."}, format="json"
        ).json()["test_plan"]
        == "More tests."
    )
    with time_machine.travel(IN_HOURS, tick=False):
        client.post(f"{CHANGES}{change.number}/submit/", {}, format="json")
    api_client(change_manager).post(f"{CHANGES}{change.number}/assess/", {}, format="json")
    response = client.patch(f"{CHANGES}{change.number}/", {"test_plan": "x"}, format="json")
    assert response.status_code == 409


@pytest.mark.django_db
def test_list_filters_by_type_and_cab(service_owner):
    raise_change(service_owner)
    cab = raise_change(service_owner, probability=1)
    client = api_client(service_owner)
    rows = client.get(CHANGES, {"cab_required": "true"}).json()["results"]
    assert [row["number"] for row in rows] == [cab.number]
    assert client.get(CHANGES, {"change_type": "emergency"}).json()["results"] == []
    assert client.get(CHANGES, {"state": "nonsense"}).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("size", [2, 20])
def test_change_list_query_count_is_constant(service_owner, size):
    """CONVENTIONS §7: the list costs the same at any size."""
    for _ in range(size):
        raise_change(service_owner)
    client = api_client(service_owner)
    client.get(CHANGES)  # warm the access cache
    # the token joined with its user, the page of changes joined with category, group,
    # assignee and requester.
    with CaptureQueriesContext(connection) as queries:
        response = client.get(CHANGES)
    assert response.status_code == 200
    assert len(response.json()["results"]) == size
    assert len(queries) == 2, [q["sql"] for q in queries]


@pytest.mark.django_db
def test_standard_change_from_the_catalogue(service_owner, template):
    """§8.1.2: the catalogue lists accepted templates; a Standard change is raised from one."""
    client = api_client(service_owner)
    listed = client.get(f"{CHANGES}standard-templates/").json()["results"]
    assert [row["name"] for row in listed] == [template.name]
    response = client.post(
        f"{CHANGES}standard/",
        {
            "template": template.pk,
            "planned_start": "2027-03-01T22:00:00Z",
            "planned_end": "2027-03-01T23:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["change_type"] == "standard"
    assert response.json()["template"] == template.name
    assert (
        client.post(f"{CHANGES}standard/", {"template": 999999}, format="json").status_code == 400
    )


@pytest.mark.django_db
def test_external_party_notifies_a_change_and_the_change_manager_sees_it(
    org, change_manager, other_org_user
):
    """§8.12: an organisation admin (or integration) sends a change notification through the
    API; the Change Manager lists every one, another organisation none of it."""
    admin = UserFactory(
        email="ada.admin@example.com", organisation=org, roles=[roles.ORGANISATION_ADMIN]
    )
    client = api_client(admin)
    response = client.post(
        "/api/v1/change-notifications/",
        {
            "title": "DCC adapter upgrade",
            "description": "Upgrading our DCC adapter on Saturday night.",
            "planned_start": "2027-03-06T22:00:00Z",
            "planned_end": "2027-03-07T02:00:00Z",
            "external_reference": "CR-1234",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    notification = ExternalChangeNotification.objects.get()
    assert notification.organisation == org and notification.submitted_by == admin
    listed = api_client(change_manager).get("/api/v1/change-notifications/").json()["results"]
    assert [row["title"] for row in listed] == ["DCC adapter upgrade"]
    assert api_client(other_org_user).get("/api/v1/change-notifications/").json()["results"] == []
    refused = api_client(other_org_user).post(
        "/api/v1/change-notifications/",
        {
            "title": "x",
            "description": "y",
            "planned_start": "2027-03-06T22:00:00Z",
            "planned_end": "2027-03-07T02:00:00Z",
        },
        format="json",
    )
    assert refused.status_code == 403
    bad = client.post(
        "/api/v1/change-notifications/",
        {
            "title": "x",
            "description": "y",
            "planned_start": "2027-03-06T22:00:00Z",
            "planned_end": "2027-03-06T21:00:00Z",
        },
        format="json",
    )
    assert bad.status_code == 400 and "planned_end" in error(bad)["fields"]
    assert Change.objects.count() == 0


@pytest.mark.django_db
def test_close_through_the_api_opens_a_review_item_for_backed_out(service_owner, change_manager):
    """§8.8: closing through the API with Backed Out opens a PIR item; an outcome that is not
    an implemented one is a 400 naming the field."""
    from changes.models import ChangeReviewItem

    change = raise_change(service_owner)
    owner = api_client(service_owner)
    manager = api_client(change_manager)
    with time_machine.travel(IN_HOURS, tick=False):
        owner.post(f"{CHANGES}{change.number}/submit/", {}, format="json")
    manager.post(f"{CHANGES}{change.number}/assess/", {}, format="json")
    manager.post(
        f"{CHANGES}{change.number}/approvals/",
        {"kind": "change_manager", "decision": "approve"},
        format="json",
    )
    owner.post(f"{CHANGES}{change.number}/start-implementation/", {}, format="json")
    owner.post(f"{CHANGES}{change.number}/complete/", {}, format="json")
    bad = owner.post(
        f"{CHANGES}{change.number}/close/", {"code": "cancelled", "notes": "x"}, format="json"
    )
    assert bad.status_code == 400 and "code" in error(bad)["fields"]
    closed = owner.post(
        f"{CHANGES}{change.number}/close/",
        {"code": "backed_out", "notes": "Rolled back on errors."},
        format="json",
    )
    assert closed.status_code == 200, closed.json()
    assert (closed.json()["state"], closed.json()["closure_code"]) == ("closed", "backed_out")
    assert ChangeReviewItem.objects.get(change__number=change.number).is_open


@pytest.mark.django_db
def test_mark_unauthorised_is_the_change_managers(service_owner, change_manager):
    """§8.8: only the Change Manager closes a change as Unauthorised (403 for its owner)."""
    change = raise_change(service_owner)
    url = f"{CHANGES}{change.number}/mark-unauthorised/"
    body = {"notes": "Implemented before submission."}
    assert api_client(service_owner).post(url, body, format="json").status_code == 403
    response = api_client(change_manager).post(url, body, format="json")
    assert response.status_code == 200
    assert response.json()["closure_code"] == "unauthorised"
