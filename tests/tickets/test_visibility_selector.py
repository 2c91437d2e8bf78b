"""The one visibility rule (§10.4): own organisation and descendants; never siblings or ancestors."""

import pytest

from accounts.services import organisation_create, organisation_save
from cases.models import Case
from cases.services import case_raise_incident
from core.errors import ValidationFailed
from incidents.models import Incident
from tests.factories.accounts import OrganisationFactory, UserFactory
from tests.factories.cases import CaseFactory
from tickets.selectors import visible_ticket_parts, visible_tickets


def _visible(user, model=Case, **kwargs):
    return set(
        visible_tickets(model.objects.all(), user=user, **kwargs).values_list("number", flat=True)
    )


def test_child_sees_own_but_not_sibling_or_parent(org_user, sibling_user, parent_user):
    own = CaseFactory(caller=org_user)
    sibling = CaseFactory(caller=sibling_user)
    parents = CaseFactory(caller=parent_user)
    assert _visible(org_user) == {own.number}
    assert sibling.number not in _visible(org_user) and parents.number not in _visible(org_user)


def test_parent_sees_every_descendant_at_any_depth(org, org_user, sibling_user, parent_user):
    grandchild_org = organisation_create(name="Northern Power Supply Scotland", parent=org)
    grandchild_user = UserFactory(organisation=grandchild_org, roles=["Service user"])
    cases = [
        CaseFactory(caller=u).number for u in (org_user, sibling_user, parent_user, grandchild_user)
    ]
    assert _visible(parent_user) == set(cases)
    assert _visible(org_user) == {cases[0], cases[3]}


def test_unrelated_organisation_sees_nothing_of_the_tree(org_user, other_org_user):
    CaseFactory(caller=org_user)
    assert _visible(other_org_user) == set()


def test_desk_agent_sees_every_case(org_user, other_org_user, agent):
    cases = {CaseFactory(caller=org_user).number, CaseFactory(caller=other_org_user).number}
    assert _visible(agent) == cases


def test_resolver_sees_only_incidents_of_own_group(org_user, agent, resolver, resolver_group):
    other_group = resolver_group.__class__.objects.create(name="Settlement Operations")
    mine = case_raise_incident(
        case=CaseFactory(caller=org_user),
        actor=agent,
        assignment_group=resolver_group,
        impact=2,
        urgency=2,
    )
    theirs = case_raise_incident(
        case=CaseFactory(caller=org_user),
        actor=agent,
        assignment_group=other_group,
        impact=2,
        urgency=2,
    )
    visible = _visible(resolver, Incident, participants_may_see=False)
    assert mine.number in visible and theirs.number not in visible


def test_participants_never_see_incidents(org_user, agent, resolver_group):
    case_raise_incident(
        case=CaseFactory(caller=org_user),
        actor=agent,
        assignment_group=resolver_group,
        impact=1,
        urgency=1,
    )
    assert _visible(org_user, Incident, participants_may_see=False) == set()


def test_inactive_or_anonymous_users_see_nothing(org_user):
    CaseFactory(caller=org_user)
    org_user.is_active = False
    assert _visible(org_user) == set()


def test_moving_an_organisation_moves_its_subtree(parent_org, org, unrelated_org, org_user):
    """Re-parenting keeps every descendant's path right, so visibility follows the tree."""
    grandchild = organisation_create(name="Grandchild Ltd", parent=org)
    org.parent = unrelated_org
    organisation_save(organisation=org)
    grandchild.refresh_from_db()
    assert grandchild.path.startswith(unrelated_org.path + f"{org.pk}/")


def test_an_organisation_cannot_be_put_under_its_own_descendant(parent_org, org):
    parent_org.parent = org
    with pytest.raises(ValidationFailed, match="cannot sit under itself"):
        organisation_save(organisation=parent_org)


def test_tree_of_any_depth(db):
    node = None
    for depth in range(8):
        node = OrganisationFactory(name=f"Level {depth}", parent=node)
    assert node.path.count("/") == 9


def _part_numbers(user, model=Case, **kwargs) -> list[set[str]]:
    return [
        set(part.values_list("number", flat=True))
        for part in visible_ticket_parts(model.objects.all(), user=user, **kwargs)
    ]


def test_visible_parts_are_disjoint_and_together_exactly_what_the_user_sees(
    org_user, sibling_user, parent_user, other_org_user, unrelated_org, agent
):
    """Issue 9: capped counts add up the parts (`core.pagination`), so every visible case is in
    exactly one part — one the user raised outside their tree (or with no organisation)
    included, none counted twice."""
    CaseFactory(caller=org_user)
    CaseFactory(caller=sibling_user)
    CaseFactory(caller=parent_user)
    CaseFactory(caller=other_org_user)
    elsewhere = CaseFactory(caller=org_user)
    Case.objects.filter(pk=elsewhere.pk).update(organisation=unrelated_org)
    nowhere = CaseFactory(caller=org_user)
    Case.objects.filter(pk=nowhere.pk).update(organisation=None)
    for user in (org_user, parent_user, other_org_user, agent):
        parts = _part_numbers(user)
        together = set().union(*parts)
        assert together == _visible(user), user
        assert sum(len(part) for part in parts) == len(together), f"{user}: counted twice"
    assert {elsewhere.number, nowhere.number} <= set().union(*_part_numbers(org_user))


def test_visible_parts_of_a_resolver_are_disjoint(org_user, agent, resolver, resolver_group):
    """Assigned to them and to their group at once: in one part only."""
    incident = case_raise_incident(
        case=CaseFactory(caller=org_user),
        actor=agent,
        assignment_group=resolver_group,
        impact=2,
        urgency=2,
    )
    Incident.objects.filter(pk=incident.pk).update(assigned_to=resolver)
    parts = _part_numbers(resolver, Incident, participants_may_see=False)
    assert sum(len(part) for part in parts) == 1
    assert set().union(*parts) == _visible(resolver, Incident, participants_may_see=False)


def test_a_user_who_sees_nothing_has_one_empty_part(org_user):
    org_user.is_active = False
    assert _part_numbers(org_user) == [set()]


def test_a_base_queryset_kept_for_the_process_is_never_evaluated(agent, org_user):
    """Selectors keep their query shapes for the process (issue 9); a desk agent, who sees
    every case, must get a copy, or one request's rows would be served to the next."""
    from cases.selectors import _case_rows, case_rows_for
    from tests.factories.cases import CaseFactory

    CaseFactory(caller=org_user)
    assert len(list(case_rows_for(agent))) == 1
    assert _case_rows()._result_cache is None
    CaseFactory(caller=org_user)
    assert len(list(case_rows_for(agent))) == 2
