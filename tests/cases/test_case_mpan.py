"""An MPAN belongs on the case, validated, and never in an email (§10.5.5)."""

import pytest
from django.urls import reverse

from cases.models import Case
from comms.models import OutboundMessage
from comms.mpan import contains_mpan
from core.errors import ValidationFailed
from tests.factories.access import api_client
from tests.factories.cases import CaseFactory, category

VALID_CORE = "1234567890126"
WRONG_CHECK_DIGIT = "1234567890127"


def test_case_stores_a_valid_mpan_as_digits(org_user):
    case = CaseFactory(caller=org_user, mpan="12 3456 7890 126")
    assert case.mpan == VALID_CORE


def test_full_21_digit_mpan_is_accepted(org_user):
    case = CaseFactory(caller=org_user, mpan="S 01 801 100 / 12 3456 7890 126")
    assert case.mpan == "01801100" + VALID_CORE


def test_mpan_with_a_wrong_check_digit_is_refused_with_the_right_digit(org_user):
    with pytest.raises(ValidationFailed) as error:
        CaseFactory(caller=org_user, mpan=WRONG_CHECK_DIGIT)
    assert "check digit should be 6" in error.value.field_errors["mpan"][0]
    assert not Case.objects.exists()


def test_portal_form_validates_the_mpan_next_to_the_field(org_user, org_client):
    response = org_client.post(
        reverse("portal:case_create"),
        {
            "organisation": org_user.organisation_id,
            "party_id": "NPSU",
            "category": category().pk,
            "short_description": "Wrong settlement for one meter",
            "description": "The consumption for this supply looks doubled.",
            "mpan": WRONG_CHECK_DIGIT,
        },
    )
    assert response.status_code == 400
    assert "check digit" in response.content.decode()
    assert not Case.objects.exists()


def test_api_refuses_an_invalid_mpan_with_400(org_user):
    client = api_client(org_user)
    payload = {
        "category": "Market Systems",
        "short_description": "Wrong settlement for one meter",
        "description": "Doubled consumption.",
        "party_id": "NPSU",
        "mpan": WRONG_CHECK_DIGIT,
    }
    response = client.post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 400
    assert "mpan" in response.json()["error"]["fields"]
    payload["mpan"] = VALID_CORE
    response = client.post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 201 and response.json()["mpan"] == VALID_CORE


def test_a_case_with_an_mpan_sends_no_email_containing_it(
    org_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        CaseFactory(caller=org_user, mpan=VALID_CORE)
    messages = OutboundMessage.objects.all()
    assert messages.count() == 2
    for message in messages:
        assert message.status == OutboundMessage.Status.SENT
        assert not contains_mpan(message.subject, message.body_text, message.body_html)
