"""Cases for callers who phone (§3.1, issue 10 point 8): an agent raises the case in the console
for a participant of a chosen organisation, with channel Phone, through the same `case_create`;
the participant sees it as theirs and gets the acknowledgement."""

import pytest
from django.urls import reverse

from accounts import roles
from cases.models import Case
from cases.selectors import case_list_for
from cases.services import case_create
from comms.models import OutboundMessage
from core.errors import ActionNotPermitted, ValidationFailed
from tests.conftest import mfa_client
from tests.factories.accounts import UserFactory
from tests.factories.cases import category
from tickets.models import JournalEntry
from tickets.selectors import journal_for

RAISE = reverse("admin:cases_case_raise_for_caller")


def _fields(organisation, **overrides) -> dict:
    fields = {
        "organisation": organisation,
        "category": category(),
        "short_description": "DIP messages rejected since 09:00",
        "description": "Caller reports all DIP messages rejected with E123.",
        "party_id": "NPSU",
        "channel": Case.Channel.PHONE,
    }
    fields.update(overrides)
    return fields


def _form(organisation, caller, **overrides) -> dict:
    data = {
        "organisation": organisation.pk,
        "caller": caller.pk if caller else "",
        "party_id": "NPSU",
        "category": category().pk,
        "short_description": "DIP messages rejected since 09:00",
        "description": "Caller reports all DIP messages rejected with E123.",
    }
    data.update(overrides)
    return data


# --- the service ---------------------------------------------------------------------------------


def test_the_desk_raises_a_case_for_a_caller(
    agent, org_user, org, django_capture_on_commit_callbacks, mailoutbox
):
    """§3.1: the case is the caller's (My Cases, the acknowledgement); the agent opened it."""
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(actor=agent, caller=org_user, **_fields(org))
    assert case.caller == org_user
    assert case.opened_by == agent
    assert case.organisation == org
    assert case.channel == Case.Channel.PHONE
    assert case in case_list_for(org_user)
    acknowledgement = OutboundMessage.objects.get(template="case_acknowledged")
    assert acknowledgement.to_email == org_user.email
    assert [m.to for m in mailoutbox if case.number in m.subject and m.to == [org_user.email]]
    (entry,) = [
        e for e in journal_for(case, include_work_notes=True) if e.kind == JournalEntry.Kind.SYSTEM
    ]
    assert entry.author == agent and "phone" in entry.body


def test_only_the_desk_raises_a_case_for_someone_else(org_user, sibling_user, org):
    """A participant cannot put a case in another person's name."""
    with pytest.raises(ActionNotPermitted, match="service desk"):
        case_create(actor=sibling_user, caller=org_user, **_fields(org))


def test_the_caller_must_belong_to_the_organisation(agent, org_user, unrelated_org):
    with pytest.raises(ValidationFailed) as refused:
        case_create(actor=agent, caller=org_user, **_fields(unrelated_org))
    assert "is not a member of Brightwatt Energy" in refused.value.field_errors["caller"][0]
    assert not Case.objects.exists()


@pytest.mark.parametrize("who", ["inactive", "staff", "unattached"])
def test_the_caller_must_be_an_active_attached_participant(agent, org, who):
    caller = {
        "inactive": lambda: UserFactory(organisation=org, is_active=False),
        "staff": lambda: UserFactory(is_staff=True, roles=[roles.SERVICE_DESK_AGENT]),
        "unattached": lambda: UserFactory(),
    }[who]()
    with pytest.raises(ValidationFailed) as refused:
        case_create(actor=agent, caller=caller, **_fields(org))
    assert refused.value.field_errors["caller"]


# --- the console page ----------------------------------------------------------------------------


def test_the_page_is_linked_from_the_case_list_and_the_console_navigation(agent_client):
    changelist = agent_client.get(reverse("admin:cases_case_changelist")).content.decode()
    assert f'href="{RAISE}"' in changelist
    index = agent_client.get(reverse("admin:index")).content.decode()
    assert f'href="{RAISE}"' in index


def test_callers_offered_are_the_active_participants_of_the_chosen_organisation(
    agent_client, org, org_user, sibling_user
):
    """Only the chosen organisation's active participants are offered as callers."""
    inactive = UserFactory(email="gone@example.com", organisation=org, is_active=False)
    page = agent_client.get(RAISE)
    assert page.status_code == 200
    assert list(page.context["form"].fields["caller"].queryset) == []

    page = agent_client.get(RAISE, {"organisation": org.pk})
    offered = list(page.context["form"].fields["caller"].queryset)
    assert offered == [org_user]
    html = page.content.decode()
    assert "sam.supplier@example.com" in html
    assert sibling_user.email not in html and inactive.email not in html

    # "Show its people" after choosing another organisation keeps what was typed, no errors.
    response = agent_client.post(
        RAISE,
        {"organisation": org.pk, "short_description": "Typed already", "_show_callers": "1"},
    )
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert 'value="Typed already"' in response.content.decode()
    assert list(response.context["form"].fields["caller"].queryset) == [org_user]


def test_the_agent_raises_a_phone_case_and_the_participant_sees_it(
    agent, agent_client, org, org_user, org_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            RAISE, _form(org, org_user, mpan="1234567890126", cra_market_role="supplier")
        )
    assert response.status_code == 302
    case = Case.objects.get()
    assert response.url == reverse("admin:cases_case_change", args=[case.pk])
    assert (case.caller, case.opened_by, case.channel) == (org_user, agent, Case.Channel.PHONE)
    assert case.mpan == "1234567890126" and case.cra_market_role == "supplier"
    assert OutboundMessage.objects.filter(
        template="case_acknowledged", to_email=org_user.email
    ).exists()
    my_cases = org_client.get(reverse("portal:case_list")).content.decode()
    assert case.number in my_cases


def test_a_caller_of_another_organisation_is_refused_next_to_the_field(
    agent_client, org, sibling_user
):
    """Checked on the server: a caller who is not the chosen organisation's is refused."""
    response = agent_client.post(RAISE, _form(org, sibling_user))
    assert response.status_code == 400
    assert response.context["form"].errors["caller"]
    assert "errors field-caller" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "missing", [("short_description", "description", "category"), ("party_id",)]
)
def test_missing_fields_are_shown_next_to_each_field(agent_client, org, org_user, missing):
    """The form's own checks and `case_create`'s (the Party ID rule) both land on the field."""
    response = agent_client.post(RAISE, _form(org, org_user, **dict.fromkeys(missing, "")))
    assert response.status_code == 400
    assert set(missing) <= set(response.context["form"].errors)
    html = response.content.decode()
    for name in missing:
        assert f"errors field-{name}" in html
    assert not Case.objects.exists()


def test_staff_who_do_not_work_cases_cannot_raise_them(resolver, org, org_user):
    """A resolver reads cases but does not raise them for callers."""
    client = mfa_client(resolver)
    assert client.get(RAISE).status_code == 403
    assert client.post(RAISE, _form(org, org_user)).status_code == 403
    assert not Case.objects.exists()
