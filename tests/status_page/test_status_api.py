"""`GET /api/v1/status/` (issue 11 point 7, §5.22): the status page as JSON, public, in the
OpenAPI schema, with nothing that is not public."""

from django.test import Client

from tests.conftest import login_client, mfa_client
from tests.factories.access import access_token, bearer
from tests.status_page.conftest import SECRETS, publish_update, resolve


def test_anyone_reads_the_status_json(make_major):
    major = make_major(services={"dip": "partial_outage"})
    publish_update(major, "Older.", minutes_ago=5)
    publish_update(major, "Newer.", status="identified")
    resolve(make_major(public_title="Done"))
    response = Client().get("/api/v1/status/")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "partial_outage"
    dip = next(s for s in data["services"] if s["code"] == "dip")
    assert (dip["status"], dip["status_label"]) == ("partial_outage", "Partial outage")
    [active] = data["active_major_incidents"]
    assert active["number"] == major.number
    assert active["title"] == "DIP messages delayed"
    assert [u["body"] for u in active["updates"]] == ["Newer.", "Older."]
    assert active["services"] == [
        {"service": dip["name"], "status": "partial_outage", "status_label": "Partial outage"}
    ]
    assert data["recent_circulars"] == []
    for secret in SECRETS:
        assert secret not in response.content.decode()


def test_signed_in_callers_read_it_too(make_major, org_user, agent):
    make_major()
    assert login_client(org_user).get("/api/v1/status/").status_code == 200
    assert mfa_client(agent).get("/api/v1/status/").status_code == 200
    _, raw = access_token(org_user, scopes=["cases", "read"])
    assert Client(**bearer(raw)).get("/api/v1/status/").status_code == 200


def test_staff_without_a_second_factor_are_refused_as_everywhere(db, agent):
    """§10.5.2: the public endpoint still starts from the API's guard."""
    response = login_client(agent).get("/api/v1/status/")
    assert response.status_code in (401, 403)
    assert "two-factor" in response.json()["error"]["message"]


def test_the_status_json_is_read_only(db):
    response = Client().post("/api/v1/status/", {}, content_type="application/json")
    assert response.status_code in (401, 403, 405)


def test_the_status_json_is_in_the_openapi_schema(db):
    schema = Client().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/status/"]["get"]
    assert operation["operationId"] == "status_retrieve"
    assert {} in operation["security"]
    properties = schema["components"]["schemas"]["StatusOutput"]["properties"]
    assert {"services", "active_major_incidents", "recent_circulars"} <= set(properties)


def test_the_90_day_history_comes_on_request(make_major):
    make_major(services={"dip": "degraded"})
    client = Client()
    plain = client.get("/api/v1/status/").json()
    assert all(service["history"] is None for service in plain["services"])
    data = client.get("/api/v1/status/", {"history": "true"}).json()
    dip = next(s for s in data["services"] if s["code"] == "dip")
    assert len(dip["history"]) == 90
    assert dip["history"][-1]["status"] == "degraded"
    assert dip["history"][0]["status"] == "operational"


def test_a_bad_history_flag_is_a_clear_400(db):
    response = Client().get("/api/v1/status/", {"history": "maybe"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["history"] == ["Give true or false."]
