"""The security event log in the console (§10.5.3, §12): service managers read it, nobody
writes it; role changes made in the console are recorded with who made them."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.audit import security_event_record
from accounts.models import SecurityEvent, User
from tests.conftest import TOTP_SECRET, mfa_client
from tests.factories.accounts import UserFactory

CHANGELIST = reverse("admin:accounts_securityevent_changelist")


@pytest.fixture
def service_manager(db):
    user = UserFactory(
        email="sid.service@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER]
    )
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def superuser(db):
    user = UserFactory(email="root@mhhs.example", is_staff=True, is_superuser=True)
    TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def failed_sign_in(db):
    return security_event_record(
        kind=SecurityEvent.Kind.SIGN_IN_FAILED, email="mallory@example.com", detail="Wrong password"
    )


def test_service_manager_reads_the_log(service_manager, failed_sign_in):
    """§10.5.3: viewable by service managers in the console."""
    response = mfa_client(service_manager).get(CHANGELIST)
    assert response.status_code == 200
    assert "mallory@example.com" in response.content.decode()
    detail = mfa_client(service_manager).get(
        reverse("admin:accounts_securityevent_change", args=[failed_sign_in.pk])
    )
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_agent_cannot_read_the_log(agent_client, failed_sign_in):
    """The log is for service managers, not every desk agent (403)."""
    assert agent_client.get(CHANGELIST).status_code == 403


@pytest.mark.parametrize("who", ["service_manager", "superuser"])
def test_nobody_adds_changes_or_deletes_an_event(request, who, failed_sign_in):
    """§10.5.3: never editable, superusers included."""
    client = mfa_client(request.getfixturevalue(who))
    change = reverse("admin:accounts_securityevent_change", args=[failed_sign_in.pk])
    assert client.get(reverse("admin:accounts_securityevent_add")).status_code == 403
    client.post(change, {"kind": "sign_in_succeeded", "detail": "tampered"})
    delete = reverse("admin:accounts_securityevent_delete", args=[failed_sign_in.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [failed_sign_in.pk]})
    failed_sign_in.refresh_from_db()
    assert failed_sign_in.detail == "Wrong password"


def test_log_filters_by_kind_and_searches_by_email(service_manager, failed_sign_in, org_user):
    """§10.5.3: find a person's events; filter by kind."""
    signed_in = security_event_record(kind=SecurityEvent.Kind.SIGN_IN_SUCCEEDED, subject=org_user)
    client = mfa_client(service_manager)

    by_kind = client.get(CHANGELIST, {"kind__exact": "sign_in_failed"})
    assert [e.pk for e in by_kind.context["cl"].result_list] == [failed_sign_in.pk]
    by_email = client.get(CHANGELIST, {"q": org_user.email})
    found = list(by_email.context["cl"].result_list)
    assert signed_in in found and {e.subject for e in found} == {org_user}
    by_actor = client.get(CHANGELIST, {"actor__id__exact": service_manager.pk})
    assert by_actor.status_code == 200


def test_log_changelist_query_count_is_constant(service_manager):
    """docs/conventions.md §7: the log's list costs the same at 2 and 20 events."""
    client = mfa_client(service_manager)
    client.get(CHANGELIST)  # warm the session and the access cache

    def count(n):
        SecurityEvent.objects.all().delete()
        for _ in range(n):
            security_event_record(
                kind=SecurityEvent.Kind.ROLE_CHANGED, actor=service_manager, subject=service_manager
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CHANGELIST).status_code == 200
        return len(queries)

    assert count(2) == count(20)


def test_group_change_in_the_console_is_logged_with_the_superuser(superuser, org_user):
    """§10.5.3: a role change (groups) through the console names who made it."""
    client = mfa_client(superuser)
    url = reverse("admin:accounts_user_change", args=[org_user.pk])
    data = _user_form_data(client, url, org_user)
    data["groups"] = [
        Group.objects.get(name=roles.SERVICE_USER).pk,
        Group.objects.get(name=roles.ORGANISATION_ADMIN).pk,
    ]
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.ROLE_CHANGED, subject=org_user
    ).latest("pk")
    assert event.actor == superuser and "Organisation admin" in event.detail


def test_kind_and_staff_change_in_the_console_is_logged(superuser):
    """§10.5.3: kind, staff and superuser status are role changes too."""
    person = UserFactory(email="pat.person@example.com")
    client = mfa_client(superuser)
    url = reverse("admin:accounts_user_change", args=[person.pk])
    data = _user_form_data(client, url, person)
    data.update({"kind": User.Kind.STAFF, "is_staff": "on"})
    response = client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.ROLE_CHANGED, subject=person, actor=superuser
    ).latest("pk")
    assert "is_staff False → True" in event.detail and "kind participant → staff" in event.detail


def test_console_refuses_an_organisation_on_a_desk_account(superuser, org):
    """Account boundaries: a staff or integration account belongs to no organisation."""
    gateway = UserFactory(email="gateway@mhhs.example", kind=User.Kind.INTEGRATION)
    client = mfa_client(superuser)
    url = reverse("admin:accounts_user_change", args=[gateway.pk])
    data = _user_form_data(client, url, gateway)
    data["organisation"] = org.pk
    response = client.post(url, data)

    assert response.status_code == 200
    assert "Only participant accounts belong to an organisation" in str(
        response.context["adminform"].form.errors
    )
    gateway.refresh_from_db()
    assert gateway.organisation is None


def _user_form_data(client, url, user) -> dict:
    form = client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"password", "groups", "user_permissions"}
    }
    data.update(
        {
            "organisation": user.organisation_id or "",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "groups": list(user.groups.values_list("pk", flat=True)),
        }
    )
    for flag in ("is_active", "is_staff", "is_superuser"):
        if getattr(user, flag):
            data[flag] = "on"
        else:
            data.pop(flag, None)
    return data
