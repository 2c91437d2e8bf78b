"""A participant asks for other people of their organisation to be added to, or removed from, a
distribution list (§5.21: "there is no limit to the number of people you can have added"), only
people of their own organisation tree (§10.4); the desk approves as for their own requests."""

import pytest
from django.urls import reverse

from accounts import roles
from comms.lists import (
    MAJOR_INCIDENT_COMMS,
    distribution_list_approve,
    distribution_list_reject,
    distribution_list_request_membership,
)
from comms.models import DistributionList, ListMembershipRequest
from core.errors import ValidationFailed
from tests.conftest import login_client
from tests.factories.accounts import UserFactory

PAGE = reverse("comms:list_request_others")
ADD = ListMembershipRequest.Action.ADD
REMOVE = ListMembershipRequest.Action.REMOVE


@pytest.fixture
def mi_list(db):
    return DistributionList.objects.get(name=MAJOR_INCIDENT_COMMS)


@pytest.fixture
def colleague(org):
    return UserFactory(
        email="cat.colleague@example.com", organisation=org, roles=[roles.SERVICE_USER]
    )


def _ask(actor, distribution_list, person, action=ADD):
    return distribution_list_request_membership(
        actor=actor, distribution_list=distribution_list, action=action, person=person
    )


def test_asking_for_a_colleague_raises_a_service_request_and_approval_adds_them(
    org_user, colleague, agent, mi_list
):
    request = _ask(org_user, mi_list, colleague)

    assert (request.requester, request.person) == (org_user, colleague)
    assert colleague.email in request.case.short_description
    assert request.case.caller == org_user
    distribution_list_approve(membership_request=request, actor=agent)
    assert mi_list.members.filter(user=colleague).exists()
    assert not mi_list.members.filter(user=org_user).exists()


def test_removing_a_colleague_on_approval(org_user, colleague, agent, mi_list):
    mi_list.members.create(user=colleague)

    request = _ask(org_user, mi_list, colleague, action=REMOVE)
    distribution_list_approve(membership_request=request, actor=agent)

    assert not mi_list.members.filter(user=colleague).exists()


def test_a_parent_organisation_may_ask_for_people_below_it(parent_user, org_user, mi_list):
    """§10.4: a parent organisation's users act for the organisations below it."""
    assert _ask(parent_user, mi_list, org_user).person == org_user


@pytest.mark.parametrize("who", ["sibling_user", "other_org_user", "parent_user", "agent"])
def test_only_people_of_the_requesters_tree_can_be_asked_for(request, org_user, mi_list, who):
    """A sibling or parent organisation, another organisation and desk staff are outside the
    requester's tree."""
    person = request.getfixturevalue(who)

    with pytest.raises(ValidationFailed) as refused:
        _ask(org_user, mi_list, person)

    assert "person" in refused.value.field_errors
    assert not ListMembershipRequest.objects.exists()


def test_a_colleague_already_on_the_list_or_already_asked_for_is_refused(
    org_user, colleague, parent_user, mi_list
):
    _ask(org_user, mi_list, colleague)
    with pytest.raises(ValidationFailed, match="already waiting"):
        _ask(parent_user, mi_list, colleague)

    other = UserFactory(email="on.list@example.com", organisation=org_user.organisation)
    mi_list.members.create(user=other)
    with pytest.raises(ValidationFailed) as refused:
        _ask(org_user, mi_list, other)
    assert "already on the list" in refused.value.field_errors["person"][0]


def test_rejection_leaves_the_colleague_off_the_list(org_user, colleague, agent, mi_list):
    request = _ask(org_user, mi_list, colleague)

    distribution_list_reject(membership_request=request, actor=agent, reason="Use a shared box")

    assert not mi_list.members.exists()


# --- the portal page ---------------------------------------------------------------------------


def test_page_offers_only_colleagues_of_the_tree(org_client, org_user, colleague, sibling_user):
    response = org_client.get(PAGE)

    assert response.status_code == 200
    people = list(response.context["form"].fields["person"].queryset)
    assert people == [colleague]
    html = response.content.decode()
    assert colleague.email in html and sibling_user.email not in html


def test_asking_from_the_page(org_client, org_user, colleague, mi_list):
    response = org_client.post(
        PAGE,
        {"distribution_list": mi_list.pk, "person": colleague.pk, "action": "join"},
        follow=True,
    )

    request = ListMembershipRequest.objects.get()
    assert (request.person, request.action) == (colleague, ADD)
    html = response.content.decode()
    assert request.case.number in html  # the success message and the table of requests
    assert "Pending" in html


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"person": "", "action": "join"}, "person", "Choose who to add or remove."),
        ({"action": "promote"}, "action", "Choose add or remove."),
        ({"distribution_list": "", "action": "join"}, "distribution_list", "Choose a list."),
    ],
)
def test_bad_input_is_shown_next_to_its_field(org_client, colleague, mi_list, data, field, message):
    values = {"distribution_list": mi_list.pk, "person": colleague.pk, **data}

    response = org_client.post(PAGE, values)

    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert not ListMembershipRequest.objects.exists()


def test_someone_outside_the_tree_cannot_be_posted(org_client, other_org_user, mi_list):
    response = org_client.post(
        PAGE, {"distribution_list": mi_list.pk, "person": other_org_user.pk, "action": "join"}
    )

    assert response.status_code == 400
    assert "Choose someone of your organisation." in response.context["form"].errors["person"]
    assert not ListMembershipRequest.objects.exists()


def test_unattached_people_are_sent_to_where_their_registration_stands(db):
    """Someone not yet attached to an organisation has no colleagues to ask for: every portal
    page, this one included, leads to their registration's page until they are approved."""
    unattached = UserFactory(email="new.joiner@example.com")
    response = login_client(unattached).get(PAGE)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_registration_status")


def test_lists_page_links_to_the_form(org_client):
    assert PAGE in org_client.get(reverse("comms:list_index")).content.decode()


def test_page_costs_the_same_queries_whatever_the_number_of_requests(
    org_user, mi_list, django_assert_num_queries
):
    """1 session; 2 user; 3 the lists for the choice; 4 the colleagues for the choice; 5 the
    requests made for others with list, person and case joined. Each count is of the warm
    steady state: asking notifies the requester, so the bell's cached count is read again once
    after new requests."""

    def colleagues(first, last):
        for n in range(first, last):
            person = UserFactory(
                email=f"colleague{n}@example.com", organisation=org_user.organisation
            )
            _ask(org_user, mi_list, person)

    colleagues(0, 2)
    client = login_client(org_user)
    client.get(PAGE)
    with django_assert_num_queries(5):
        client.get(PAGE)
    colleagues(2, 20)
    client.get(PAGE)
    with django_assert_num_queries(5):
        client.get(PAGE)
