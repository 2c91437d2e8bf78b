"""People engaged on an incident (§5.5 step 7, §5.17 "Engagement Notice") and the §5.17
"Priority Notification" to the resolver group, the product owners engaged and the incident
managers, through `incident_engage`, `incident_engagement_release` and `incident_classify`."""

import pytest

from accounts import roles
from comms.models import Notification, OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from incidents.models import IncidentEngagement
from incidents.services import (
    incident_classify,
    incident_engage,
    incident_engagement_release,
    incident_transition,
)
from tests.factories.accounts import ResolverGroupFactory, UserFactory
from tests.factories.incidents import raised_incident
from tickets.selectors import journal_for

Role = IncidentEngagement.Role


@pytest.fixture
def incident(org_user, agent, resolver_group):
    """A P3 incident (medium impact and urgency) for the resolver's group."""
    return raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)


def staff(email: str, name: str, role: str):
    return UserFactory(email=email, full_name=name, is_staff=True, roles=[role])


@pytest.fixture
def product_owner(db):
    """Desk staff who owns the DIP product; the desk's role lets them see every incident."""
    return staff("pat.owner@mhhs.example", "Pat Owner", roles.SERVICE_DESK_AGENT)


def told(event: str) -> list[str]:
    return sorted(Notification.objects.filter(event=event).values_list("user__email", flat=True))


def emailed(event: str) -> list[str]:
    return sorted(OutboundMessage.objects.filter(template=event).values_list("to_email", flat=True))


# --- engaging ----------------------------------------------------------------------------------


def test_engaging_desk_staff_records_them_and_tells_them(
    incident, resolver, product_owner, django_capture_on_commit_callbacks
):
    """§5.17 "Engagement Notice": the product owner is told, in the portal and by email."""
    with django_capture_on_commit_callbacks(execute=True):
        engagement = incident_engage(
            incident=incident,
            actor=resolver,
            role=Role.PRODUCT_OWNER,
            person=product_owner,
            note="Owns the DIP adaptor.",
        )

    assert (engagement.role, engagement.person, engagement.engaged_by) == (
        Role.PRODUCT_OWNER,
        product_owner,
        resolver,
    )
    assert engagement.released_at is None
    assert told("incident_engaged") == ["pat.owner@mhhs.example"]
    assert emailed("incident_engaged") == ["pat.owner@mhhs.example"]
    message = OutboundMessage.objects.get(template="incident_engaged")
    assert incident.number in message.subject and "product owner" in message.subject
    last = journal_for(incident, include_work_notes=True).order_by("-pk").first()
    assert last.body == "Engaged as product owner: Pat Owner."


def test_a_service_users_support_team_is_engaged_as_a_contact_and_not_emailed(
    incident, resolver, django_capture_on_commit_callbacks
):
    """§5.17 "Dual Triage Engagement with Service User Support": the desk reaches them."""
    with django_capture_on_commit_callbacks(execute=True):
        engagement = incident_engage(
            incident=incident,
            actor=resolver,
            role=Role.SERVICE_USER_SUPPORT,
            contact_name="DCC Service Centre",
            contact_details="0844 225 4445",
        )
    assert engagement.person is None and engagement.contact_name == "DCC Service Centre"
    assert not OutboundMessage.objects.filter(template="incident_engaged").exists()


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"role": Role.PRODUCT_OWNER}, "person"),
        ({"role": "chief_of_everything", "contact_name": "Someone"}, "role"),
        ({"role": Role.OTHER, "contact_name": "x" * 151}, "contact_name"),
    ],
)
def test_an_engagement_names_someone_in_a_role(incident, resolver, arguments, field):
    with pytest.raises(ValidationFailed) as refused:
        incident_engage(incident=incident, actor=resolver, **arguments)
    assert list(refused.value.field_errors) == [field]
    assert not IncidentEngagement.objects.exists()


def test_participants_are_named_as_contacts_not_engaged_by_account(incident, resolver, org_user):
    """Appendix G: participants never see incidents."""
    with pytest.raises(ValidationFailed) as refused:
        incident_engage(
            incident=incident, actor=resolver, role=Role.SERVICE_USER_SUPPORT, person=org_user
        )
    assert "name anyone else as a contact" in refused.value.field_errors["person"][0]


def test_staff_who_cannot_see_the_incident_are_refused_with_the_way_round(incident, resolver):
    """§10.4: a resolver of another group does not see it; the refusal says what to do."""
    other = staff("olga.other@mhhs.example", "Olga Other", roles.RESOLVER)
    ResolverGroupFactory(name="LSS Support", members=[other])
    with pytest.raises(ValidationFailed) as refused:
        incident_engage(
            incident=incident, actor=resolver, role=Role.TECHNICAL_RESOLVER, person=other
        )
    assert f"cannot see {incident.number}" in refused.value.field_errors["person"][0]


def test_the_same_person_is_not_engaged_twice_in_one_role(incident, resolver, product_owner):
    incident_engage(
        incident=incident, actor=resolver, role=Role.PRODUCT_OWNER, person=product_owner
    )
    with pytest.raises(ValidationFailed):
        incident_engage(
            incident=incident, actor=resolver, role=Role.PRODUCT_OWNER, person=product_owner
        )


def test_releasing_keeps_the_record_and_cannot_happen_twice(incident, resolver, product_owner):
    engagement = incident_engage(
        incident=incident, actor=resolver, role=Role.PRODUCT_OWNER, person=product_owner
    )

    released = incident_engagement_release(engagement=engagement, actor=resolver)

    assert released.released_at is not None
    assert IncidentEngagement.objects.filter(pk=engagement.pk).exists()
    last = journal_for(incident, include_work_notes=True).order_by("-pk").first()
    assert last.body == "Released (product owner): Pat Owner."
    with pytest.raises(TransitionNotAllowed):
        incident_engagement_release(engagement=engagement, actor=resolver)


def test_only_those_who_work_the_incident_engage(incident, org_user, cab_member, product_owner):
    for outsider in (org_user, cab_member):
        with pytest.raises(ActionNotPermitted):
            incident_engage(
                incident=incident, actor=outsider, role=Role.PRODUCT_OWNER, person=product_owner
            )


def test_nobody_is_engaged_on_a_cancelled_incident(incident, agent, product_owner):
    incident = incident_transition(
        incident=incident, actor=agent, name="cancel", reason="raised_in_error"
    )
    with pytest.raises(TransitionNotAllowed):
        incident_engage(incident=incident, actor=agent, role=Role.OTHER, contact_name="Someone")


# --- §5.17 priority notification -------------------------------------------------------------


def test_priority_change_tells_the_group_the_product_owners_and_the_incident_managers(
    incident,
    resolver,
    resolver_group,
    product_owner,
    incident_manager,
    django_capture_on_commit_callbacks,
):
    """§5.17 "Priority Notification": technical resolver teams, Product Owner and Incident
    Manager. Other people engaged, released product owners and contacts are not told."""
    released_owner = staff("rex.released@mhhs.example", "Rex Released", roles.SERVICE_DESK_AGENT)
    incident_engage(
        incident=incident, actor=resolver, role=Role.PRODUCT_OWNER, person=product_owner
    )
    old = incident_engage(
        incident=incident, actor=resolver, role=Role.PRODUCT_OWNER, person=released_owner
    )
    incident_engagement_release(engagement=old, actor=resolver)
    incident_engage(
        incident=incident, actor=resolver, role=Role.PRODUCT_OWNER, contact_name="Vendor PO"
    )
    inactive_manager = UserFactory(
        email="gone.manager@mhhs.example", is_staff=True, roles=[roles.INCIDENT_MANAGER]
    )
    inactive_manager.is_active = False
    inactive_manager.save()

    with django_capture_on_commit_callbacks(execute=True):
        incident_classify(incident=incident, actor=resolver, impact=1, urgency=1)

    assert emailed("incident_priority_set") == sorted(
        [resolver_group.email, "pat.owner@mhhs.example", "ian.incident@mhhs.example"]
    )
    # The group's members read it in the portal; its mailbox has the email.
    assert told("incident_priority_set") == sorted(
        ["rita.resolver@mhhs.example", "pat.owner@mhhs.example", "ian.incident@mhhs.example"]
    )
    message = OutboundMessage.objects.filter(template="incident_priority_set").first()
    assert "P1 — 6 hours" in message.subject
    assert "was P3 — 5 business days" in message.body_text
    assert "Impact: High — system wide" in message.body_text
    assert "Urgency: High — primary functions not working" in message.body_text


def test_a_group_without_a_mailbox_has_each_member_emailed(
    org_user, agent, resolver, django_capture_on_commit_callbacks
):
    group = ResolverGroupFactory(name="VAS Support", email="", members=[resolver])
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=group)
    with django_capture_on_commit_callbacks(execute=True):
        incident_classify(incident=incident, actor=agent, impact=3, urgency=3)
    assert emailed("incident_priority_set") == ["rita.resolver@mhhs.example"]


def test_same_priority_tells_nobody(incident, resolver, incident_manager):
    """§3.8: medium impact with high urgency is P2, and so is high impact with medium
    urgency: the classification changes, the priority does not, and nobody is told again."""
    incident_classify(incident=incident, actor=resolver, impact=2, urgency=1)
    before = OutboundMessage.objects.count()
    incident_classify(incident=incident, actor=resolver, impact=1, urgency=2)
    assert OutboundMessage.objects.count() == before
