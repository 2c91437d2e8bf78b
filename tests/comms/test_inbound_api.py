"""`POST /api/v1/inbound-email/`: the mail gateway hands over raw MIME (§10.2)."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.urls import include, path
from rest_framework.test import APIClient

from accounts.models import User
from cases.models import Case
from comms.inbound_api import InboundEmailApi
from comms.models import InboundEmail, OutboundMessage
from tests.conftest import mfa_client
from tests.factories.access import api_client
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory

# The route as mhhs_portal/api_urls.py declares it, ahead of the project's own URLs (the
# notifications link to portal pages), so these tests do not depend on the API's wiring.
urlpatterns = [
    path("api/v1/inbound-email/", InboundEmailApi.as_view(), name="inbound-email"),
    path("", include("mhhs_portal.urls")),
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

URL = "/api/v1/inbound-email/"
FIXTURES = Path(__file__).parent / "fixtures"


def _client(user) -> APIClient:
    return api_client(user)


@pytest.fixture
def gateway(db):
    """The mail gateway's integration account: no organisation, not a participant."""
    user = UserFactory(email="mail-gateway@mhhs.example", kind=User.Kind.INTEGRATION)
    user.user_permissions.add(Permission.objects.get(codename="add_inboundemail"))
    return user


def _reply(case: Case, name: str = "outlook_original_message.eml") -> bytes:
    message_id = (
        OutboundMessage.objects.filter(ticket_id=case.pk)
        .values_list("message_id", flat=True)
        .first()
    )
    text = (FIXTURES / name).read_text()
    for key, value in {
        "CASE": case.number,
        "FROM": case.caller.email,
        "IN_REPLY_TO": message_id,
    }.items():
        text = text.replace("{{" + key + "}}", value)
    return text.encode()


def test_raw_message_is_accepted_with_its_outcome(gateway, org_user):
    case = CaseFactory(caller=org_user)
    response = _client(gateway).post(URL, data=_reply(case), content_type="message/rfc822")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "attached" and body["ticket"] == case.number
    assert body["journal_entry_id"] and body["created_case"] is None
    assert InboundEmail.objects.get().source == InboundEmail.Source.API


def test_text_plain_body_is_accepted_and_a_refusal_is_still_202(gateway, org_user):
    """The gateway's job is done once the message is recorded, refused or not."""
    case = CaseFactory(caller=org_user)
    response = _client(gateway).post(
        URL, data=_reply(case, "unknown_sender.eml"), content_type="text/plain"
    )
    assert response.status_code == 202
    assert response.json()["status"] == "refused"
    assert "Unknown sender" in response.json()["reason"]


def test_duplicate_is_reported(gateway, org_user):
    case = CaseFactory(caller=org_user)
    client = _client(gateway)
    client.post(URL, data=_reply(case), content_type="message/rfc822")
    response = client.post(URL, data=_reply(case), content_type="message/rfc822")
    assert response.status_code == 202 and response.json()["status"] == "duplicate"


@pytest.mark.parametrize("raw", [b"", b"garbage \x00\x01 not mail"])
def test_garbage_is_400_in_the_error_shape(gateway, raw):
    response = _client(gateway).post(URL, data=raw, content_type="message/rfc822")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "unreadable_email" and error["message"]
    assert not InboundEmail.objects.exists()


def test_oversized_message_is_400(gateway, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 1000
    response = _client(gateway).post(
        URL, data=b"From: a@b.example\n\n" + b"x" * 2000, content_type="message/rfc822"
    )
    assert response.status_code == 400 and "larger than" in response.json()["error"]["message"]


def test_other_content_types_are_415(gateway):
    response = _client(gateway).post(URL, data={"message": "x"}, format="json")
    assert response.status_code == 415


def test_participant_token_is_403_even_with_the_permission(org_user):
    client = _client(org_user)
    assert (
        client.post(URL, data=b"From: x@y\n\nhi", content_type="message/rfc822").status_code == 403
    )
    org_user.user_permissions.add(Permission.objects.get(codename="add_inboundemail"))
    assert (
        client.post(URL, data=b"From: x@y\n\nhi", content_type="message/rfc822").status_code == 403
    )
    assert not InboundEmail.objects.exists()


def test_staff_without_the_permission_is_403(agent):
    response = _client(agent).post(URL, data=b"From: x@y\n\nhi", content_type="message/rfc822")
    assert response.status_code == 403


def test_no_token_is_401(db):
    response = APIClient().post(URL, data=b"From: x@y\n\nhi", content_type="message/rfc822")
    assert response.status_code == 401


def test_a_browser_session_is_refused_even_with_the_permission_and_two_factor(agent):
    """The view takes the API's default authentication (token or session) but only a token
    may hand over email: a staff session that passed TOTP and holds the permission is 403."""
    agent.user_permissions.add(Permission.objects.get(codename="add_inboundemail"))
    response = mfa_client(agent).post(URL, data=b"From: x@y\n\nhi", content_type="message/rfc822")
    assert response.status_code == 403
    assert not InboundEmail.objects.exists()
