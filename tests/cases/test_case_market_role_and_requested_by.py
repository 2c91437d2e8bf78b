"""Validated §3.2 values (issue 10, point 6): the CRA market role is one of the market roles,
stored as its code and shown by its label in the portal, the console and the API; a role
written before it was a choice is mapped to its code when it names one and otherwise shown as
written. "Requested by" (§11.2.1, §14.2: "Enter your full name in the 'Requested by' field")
is on the raise form, prefilled with the raiser's name, and on every view of the case."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse

from accounts.models import Organisation
from cases.models import Case
from cases.services import case_create
from core.errors import ValidationFailed
from tests.conftest import mfa_client
from tests.factories.access import api_client
from tests.factories.cases import CaseFactory, category

CREATE = reverse("portal:case_create")
CASES = "/api/v1/cases/"
MIGRATION = importlib.import_module("cases.migrations.0008_cra_market_role_choice_and_requested_by")


def detail_url(case) -> str:
    return reverse("portal:case_detail", kwargs={"number": case.number})


def form_data(org, **overrides) -> dict:
    data = {
        "organisation": org.pk,
        "party_id": "NPSU",
        "category": category("Market Systems").pk,
        "short_description": "Report request",
        "description": "Please can you supply Report 12.",
    }
    data.update(overrides)
    return data


# --- the raise form and the case page --------------------------------------------------------


def test_the_raise_form_offers_the_market_roles_and_prefills_requested_by(org_user, org_client):
    """§3.2 CRA Market Role is a choice; §14.2 "Requested by" starts as the raiser's name."""
    html = org_client.get(CREATE).content.decode()
    assert '<select name="cra_market_role"' in html
    for code, label in Organisation.CraMarketRole.choices:
        assert f'<option value="{code}">{label}</option>' in html
    assert '<option value="" selected>Not applicable</option>' in html
    assert f'name="requested_by" value="{org_user.full_name}"' in html
    assert html.index('name="requested_by"') < html.index('name="organisation"')


def test_the_role_is_stored_as_its_code_and_shown_by_its_label(org_user, org_client):
    response = org_client.post(
        CREATE,
        form_data(org_user.organisation, cra_market_role="ldso", requested_by="Jo Bloggs"),
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.cra_market_role, case.requested_by) == ("ldso", "Jo Bloggs")
    html = org_client.get(detail_url(case)).content.decode()
    assert "<dt>CRA Market Role</dt><dd>Licensed Distribution System Operator</dd>" in html
    assert "<dt>Requested by</dt><dd>Jo Bloggs</dd>" in html
    assert "<dd>ldso</dd>" not in html


def test_requested_by_left_empty_is_the_raisers_name(org_user, org_client):
    response = org_client.post(CREATE, form_data(org_user.organisation, requested_by="  "))
    assert response.status_code == 302
    assert Case.objects.get().requested_by == org_user.full_name


def test_a_role_that_is_not_a_market_role_is_refused_next_to_the_field(org_user, org_client):
    response = org_client.post(CREATE, form_data(org_user.organisation, cra_market_role="trader"))
    assert response.status_code == 400
    assert response.context["form"].errors["cra_market_role"]
    assert Case.objects.count() == 0


def test_a_role_written_before_it_was_a_choice_is_shown_as_written(org_user, org_client):
    case = CaseFactory(caller=org_user)
    Case.objects.filter(pk=case.pk).update(cra_market_role="Half-hourly data aggregator")
    html = org_client.get(detail_url(case)).content.decode()
    assert "<dt>CRA Market Role</dt><dd>Half-hourly data aggregator</dd>" in html


# --- the service ---------------------------------------------------------------------------


def test_the_service_refuses_an_unknown_role_and_an_overlong_name(org_user):
    common = {
        "actor": org_user,
        "organisation": org_user.organisation,
        "category": category(),
        "short_description": "Report request",
        "description": "Please supply Report 12.",
        "no_party_id": True,
    }
    with pytest.raises(ValidationFailed) as refused:
        case_create(**common, cra_market_role="Supplier", requested_by="x" * 201)
    assert set(refused.value.field_errors) == {"cra_market_role", "requested_by"}
    case = case_create(**common, cra_market_role="supplier", requested_by="  Jo   Bloggs ")
    assert (case.cra_market_role, case.requested_by) == ("supplier", "Jo Bloggs")


# --- the data migration --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("supplier", "supplier"),
        ("Supplier", "supplier"),
        ("  SUPPLIER ", "supplier"),
        ("Distribution System Operator", "ldso"),
        ("LDSO", "ldso"),
        ("DNO", "ldso"),
        ("DIP connection provider", "dcp"),
        ("Software provider", "software_provider"),
        ("software-provider", "software_provider"),
        ("Metering service / data agent", "metering_agent"),
        ("metering_agent", "metering_agent"),
        ("Central Service Provider", "central_service"),
        ("Half-hourly data aggregator", "Half-hourly data aggregator"),
        ("Supplier and MOP", "Supplier and MOP"),
    ],
)
def test_the_migration_maps_free_text_roles_to_codes_where_they_match(org_user, written, stored):
    case = CaseFactory(caller=org_user)
    Case.objects.filter(pk=case.pk).update(cra_market_role=written, requested_by="")
    MIGRATION.roles_to_codes(apps, None)
    MIGRATION.requested_by_the_raiser(apps, None)
    case.refresh_from_db()
    assert case.cra_market_role == stored
    assert case.requested_by == org_user.full_name


def test_the_migration_names_a_raiser_without_a_name_by_address(org):
    from tests.factories.accounts import UserFactory

    nameless = UserFactory(email="no.name@example.com", full_name="", organisation=org)
    case = CaseFactory(caller=nameless)
    Case.objects.filter(pk=case.pk).update(requested_by="")
    MIGRATION.requested_by_the_raiser(apps, None)
    case.refresh_from_db()
    assert case.requested_by == "no.name@example.com"


# --- the console ---------------------------------------------------------------------------


def test_the_console_shows_the_roles_label_and_requested_by(agent, org_user):
    case = CaseFactory(caller=org_user, cra_market_role="supplier", requested_by="Jo Bloggs")
    client = mfa_client(agent)
    html = client.get(reverse("admin:cases_case_change", args=[case.pk])).content.decode()
    role = html[html.index('<dd class="field-cra_market_role">') :]
    assert role[: role.index("</dd>")].endswith(">Supplier")
    requested = html[html.index('<dd class="field-requested_by">') :]
    assert requested[: requested.index("</dd>")].endswith(">Jo Bloggs")
    triage = client.get(reverse("admin:cases_case_triage", args=[case.pk])).content.decode()
    assert "<dt>CRA market role</dt><dd>Supplier</dd>" in triage
    assert "<dt>Requested by</dt><dd>Jo Bloggs</dd>" in triage


# --- the API -------------------------------------------------------------------------------


def api_payload(**overrides) -> dict:
    data = {
        "category": "Market Systems",
        "short_description": "Report request",
        "description": "Please can you supply Report 12.",
        "party_id": "NPSU",
    }
    data.update(overrides)
    return data


def test_the_api_takes_a_role_code_and_shows_its_label(org_user):
    response = api_client(org_user).post(
        CASES, api_payload(cra_market_role="metering_agent"), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["cra_market_role"] == "metering_agent"
    assert body["cra_market_role_label"] == "Metering service / data agent"
    # Requested by defaults to the caller's name (§14.2).
    assert body["requested_by"] == org_user.full_name
    again = api_client(org_user).get(f"{CASES}{body['number']}/").json()
    assert again["cra_market_role_label"] == "Metering service / data agent"


def test_the_api_takes_requested_by(org_user):
    response = api_client(org_user).post(
        CASES, api_payload(requested_by="Jo Bloggs"), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["requested_by"] == "Jo Bloggs"
    assert (
        response.json()["cra_market_role"] == "" and response.json()["cra_market_role_label"] == ""
    )


def test_the_api_refuses_an_unknown_role_naming_the_codes(org_user):
    response = api_client(org_user).post(
        CASES, api_payload(cra_market_role="Supplier"), format="json"
    )
    assert response.status_code == 400
    message = " ".join(response.json()["error"]["fields"]["cra_market_role"])
    assert "Unknown CRA market role" in message and "supplier (Supplier)" in message
    assert Case.objects.count() == 0


def test_the_api_schema_lists_the_role_codes(db):
    from django.test import Client

    schema = Client().get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    create = schema["CaseCreateRequest"]["properties"]["cra_market_role"]
    refs = {option["$ref"].rsplit("/", 1)[1] for option in create["oneOf"]}
    assert refs == {"CraMarketRoleEnum", "BlankEnum"}
    assert set(schema["CraMarketRoleEnum"]["enum"]) == set(Organisation.CraMarketRole.values)
    detail = schema["CaseDetail"]["properties"]
    assert {"cra_market_role_label", "requested_by"} <= set(detail)
