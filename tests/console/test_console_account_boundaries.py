"""Account boundaries in the console (§10.1, §10.4, §10.5.3): the desk attaches and detaches
through the same services as organisation admins, so roles follow the organisation and every
change reaches the security log."""

from django.urls import reverse

from accounts import roles
from accounts.models import SecurityEvent
from tests.factories.accounts import UserFactory


def _participant_form(user, **changes) -> dict:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "phone": "",
        "organisation": user.organisation_id or "",
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value != ""}


def test_desk_clearing_the_organisation_detaches_through_the_service(agent_client, agent, org_user):
    """§10.1: clearing the organisation in the console removes the participant roles too, and
    is logged as a detach by the agent."""
    url = reverse("admin:accounts_user_change", args=[org_user.pk])
    response = agent_client.post(url, _participant_form(org_user, organisation=""))

    assert response.status_code == 302, response.context["adminform"].form.errors
    org_user.refresh_from_db()
    assert org_user.organisation is None
    assert not org_user.groups.filter(name=roles.SERVICE_USER).exists()
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ACCOUNT_DETACHED)
    assert (event.actor, event.subject) == (agent, org_user)


def test_desk_deactivating_in_the_console_is_logged(agent_client, agent, org_user):
    """§10.5.3: a deactivation in the console is a security event with the agent as actor."""
    url = reverse("admin:accounts_user_change", args=[org_user.pk])
    response = agent_client.post(url, _participant_form(org_user, is_active=""))

    assert response.status_code == 302, response.context["adminform"].form.errors
    org_user.refresh_from_db()
    assert not org_user.is_active
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED)
    assert (event.actor, event.subject) == (agent, org_user)


def test_desk_attaching_in_the_console_is_logged(agent_client, agent, org):
    """§10.1, §10.5.3: the console attach goes through the service and its log entry."""
    newcomer = UserFactory(email="new.joiner@example.com", full_name="New Joiner")
    url = reverse("admin:accounts_user_change", args=[newcomer.pk])
    response = agent_client.post(url, _participant_form(newcomer, organisation=org.pk))

    assert response.status_code == 302
    event = SecurityEvent.objects.get(kind=SecurityEvent.Kind.ACCOUNT_ATTACHED)
    assert (event.actor, event.subject) == (agent, newcomer)
