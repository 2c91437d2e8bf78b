"""Personas for API access tests: a service manager (issues integration tokens), the mail
gateway's integration account, and staff in each two-factor situation (§10.5.2)."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Permission

from accounts import roles
from accounts.models import User
from tests.conftest import TOTP_SECRET
from tests.factories.accounts import UserFactory


@pytest.fixture
def service_manager(db):
    user = UserFactory(
        email="sean.service@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER]
    )
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def gateway(db):
    """The mail gateway: an integration account that may hand over inbound email (§10.2)."""
    user = UserFactory(
        email="mail.gateway@mhhs.example", kind=User.Kind.INTEGRATION, roles=[roles.INTEGRATION]
    )
    assert user.has_perm("comms.add_inboundemail")
    return user


@pytest.fixture
def agent_without_totp(db):
    """A desk agent who has never set up two-factor authentication."""
    user = UserFactory(
        email="new.agent@mhhs.example", is_staff=True, roles=[roles.SERVICE_DESK_AGENT]
    )
    user.user_permissions.add(Permission.objects.get(codename="view_all_case"))
    return user
