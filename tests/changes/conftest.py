"""Personas and records for the change tests (§8, §9): the Change Manager and CAB member of
the root conftest, a service owner, a Major Incident Manager, and changes raised through the
services with every §8.3 mandatory field."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from accounts import roles
from changes.models import Change
from changes.risk import ChangeType, Rating
from changes.services import (
    change_create,
    standard_change_from_template,
    standard_change_template_accept,
    standard_change_template_propose,
)
from tests.conftest import _staff, mfa_client
from tests.factories.cases import category
from tickets.models import Service

LONDON = ZoneInfo("Europe/London")


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def service_owner(db):
    """§8.2: a service owner raises changes (Service manager role)."""
    return _staff("sol.owner@mhhs.example", roles.SERVICE_MANAGER)


@pytest.fixture
def mim(db):
    """The Major Incident Manager (Incident manager role), ECAB and out-of-hours authority."""
    return _staff("mia.mim@mhhs.example", roles.INCIDENT_MANAGER)


@pytest.fixture
def change_manager_client(change_manager):
    return mfa_client(change_manager)


def change_fields(**overrides) -> dict:
    start = overrides.pop("planned_start", None) or london(2027, 3, 1, 22, 0)
    return {
        "change_type": ChangeType.NORMAL,
        "short_description": "Patch the DIP message broker",
        "description": "Apply the vendor's security patch to the DIP message broker.",
        "category": category("Market Systems"),
        "reason": "The vendor reports a vulnerability fixed by this patch.",
        "probability": Rating.LOW,
        "impact": Rating.LOW,
        "urgency": Rating.MEDIUM,
        "planned_start": start,
        "planned_end": start + timedelta(hours=2),
        "services": Service.objects.filter(code="dip"),
        "implementation_plan": "Stop consumers, patch each broker node, restart.",
        "test_plan": "Send test messages through each channel and check delivery.",
        "backout_plan": "Reinstall the previous broker version from the image.",
        **overrides,
    }


def raise_change(actor, **overrides) -> Change:
    return change_create(actor=actor, **change_fields(**overrides))


@pytest.fixture
def template(service_owner, change_manager):
    """An accepted catalogue entry (§8.1.2, §8.9.6)."""
    proposed = standard_change_template_propose(
        actor=service_owner,
        name="Rotate DIP TLS certificate",
        short_description="Rotate the DIP TLS certificate",
        description="Replace the DIP's TLS certificate before it expires.",
        category=category("Market Systems"),
        reason="Certificates expire yearly.",
        implementation_plan="Install the new certificate and reload.",
        test_plan="Check the certificate chain from outside.",
        backout_plan="Reinstall the previous certificate.",
        services=Service.objects.filter(code="dip"),
    )
    return standard_change_template_accept(template=proposed, actor=change_manager)


def raise_standard(actor, template, **overrides) -> Change:
    start = overrides.pop("planned_start", None) or london(2027, 3, 1, 22, 0)
    return standard_change_from_template(
        template=template,
        actor=actor,
        planned_start=start,
        planned_end=start + timedelta(hours=1),
        **overrides,
    )
