"""The service-desk directory in the console (§18.4, Appendix H): a service manager enters a
desk's hours as days and times, and out-of-hours arrangements; mistakes come back on the field."""

from datetime import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.urls import reverse

from accounts import roles
from accounts.models import ServiceDesk
from tests.conftest import TOTP_SECRET, mfa_client
from tests.factories.accounts import UserFactory

ADD = reverse("admin:accounts_servicedesk_add")


@pytest.fixture
def manager_client(db):
    user = UserFactory(
        email="sid.service@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER]
    )
    TOTP.activate(user, TOTP_SECRET)
    return mfa_client(user)


def _form(**overrides) -> dict:
    return {
        "name": "Northern Metering Desk",
        "owner": "Northern Metering",
        "service_provider": "",
        "query_types": "Meter data",
        "active": "on",
        "portal_url": "",
        "email": "desk@northern-metering.example",
        "phone": "0113 000 0000",
        "notes": "",
        "open_days": ["0", "1", "2", "3", "4", "5"],
        "opens_at": "08:00",
        "closes_at": "18:00",
        "closed_on_bank_holidays": "on",
        "hours_note": "",
        "out_of_hours_phone": "0113 999 9999",
        "out_of_hours_email": "",
        "out_of_hours_notes": "P1 only",
        **overrides,
    }


def test_service_manager_enters_structured_hours(manager_client):
    response = manager_client.post(ADD, _form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    desk = ServiceDesk.objects.get(name="Northern Metering Desk")
    assert desk.open_days == [0, 1, 2, 3, 4, 5]
    assert (desk.opens_at, desk.closes_at) == (time(8, 0), time(18, 0))
    assert desk.closed_on_bank_holidays and desk.out_of_hours_notes == "P1 only"
    listing = manager_client.get(reverse("admin:accounts_servicedesk_changelist")).content.decode()
    assert "Monday to Saturday, 08:00 to 18:00 (closed on bank holidays)" in listing


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"opens_at": "", "closes_at": ""}, "opens_at", "Give the opening and closing times"),
        ({"opens_at": "18:00", "closes_at": "08:00"}, "closes_at", "must close after it opens"),
        ({"open_all_hours": "on", "opens_at": "", "closes_at": ""}, "open_days", "needs no days"),
    ],
)
def test_inconsistent_hours_come_back_on_the_field(manager_client, overrides, field, message):
    response = manager_client.post(ADD, _form(**overrides))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert any(message in error for error in errors[field])
    assert not ServiceDesk.objects.filter(name="Northern Metering Desk").exists()


def test_agents_read_the_directory_but_do_not_edit_it(agent_client):
    desk = ServiceDesk.objects.get(name="ENGIE")
    assert (
        agent_client.get(reverse("admin:accounts_servicedesk_change", args=[desk.pk])).status_code
        == 200
    )
    assert agent_client.post(ADD, _form()).status_code == 403
