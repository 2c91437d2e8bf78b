"""Raising an incident directly (§5.4 mandatory fields, §5.7 logging fields, §3.8 priority)
through `incident_create`, and from triage as before (§4.1 step 4)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles
from accounts.models import User
from comms.models import Notification, OutboundMessage
from core.errors import ActionNotPermitted, ValidationFailed
from incidents.models import Incident, IncidentAssignment
from incidents.services import incident_create
from tests.factories.accounts import ResolverGroupFactory, UserFactory
from tests.factories.cases import category
from tests.factories.incidents import raised_incident
from tickets.models import JournalEntry, Service, Subcategory
from tickets.priority import Priority
from tickets.selectors import journal_for


def raise_incident(actor, group, **overrides):
    fields = {
        "short_description": "DIP messages queued",
        "description": "Messages from the DIP stopped at 09:00.",
        "category": category("Market Systems"),
        "assignment_group": group,
        "impact": 1,
        "urgency": 2,
    }
    fields.update(overrides)
    return incident_create(actor=actor, **fields)


def refusal(actor, group, **overrides) -> dict:
    with pytest.raises(ValidationFailed) as refused:
        raise_incident(actor, group, **overrides)
    return refused.value.field_errors


@pytest.fixture
def integration(db):
    return UserFactory(
        email="monitoring@mhhs.example", kind=User.Kind.INTEGRATION, roles=[roles.INTEGRATION]
    )


def test_staff_raise_an_incident_with_the_logging_fields(
    agent, resolver_group, org_user, django_capture_on_commit_callbacks
):
    """§5.4, §5.7: category, subject and description, with when and how it was detected, the
    systems affected, the symptoms and the initial severity; the priority from §3.8."""
    detected = timezone.now() - timedelta(minutes=20)
    outage = Subcategory.objects.get(category__name="Market Systems", name="Outage")
    services = list(Service.objects.filter(code__in=["dip", "isd"]))

    with django_capture_on_commit_callbacks(execute=True):
        incident = raise_incident(
            agent,
            resolver_group,
            subcategory=outage,
            services=services,
            detected_at=detected,
            detection_method=Incident.DetectionMethod.MONITORING,
            symptoms="  Queue depth rising on the DIP adaptor.  ",
            initial_severity=Incident.Severity.HIGH,
            caller=org_user,
        )

    incident.refresh_from_db()
    assert incident.number.startswith("INC")
    assert incident.subcategory == outage
    assert {s.code for s in incident.services.all()} == {"dip", "isd"}
    assert incident.detected_at == detected
    assert incident.detection_method == "monitoring"
    assert incident.symptoms == "Queue depth rising on the DIP adaptor."
    assert incident.initial_severity == Incident.Severity.HIGH
    assert incident.priority == Priority.P2
    assert incident.opened_by == agent
    # The caller's organisation is the incident's when none is given.
    assert incident.organisation == org_user.organisation
    [entry] = journal_for(incident, include_work_notes=True)
    assert entry.kind == JournalEntry.Kind.SYSTEM
    assert entry.body == f"Incident raised with priority P2 — 1 day, assigned to {resolver_group}."
    # §5.17: the resolver group hears of it at its mailbox.
    assert OutboundMessage.objects.filter(
        template="incident_assigned", to_email=resolver_group.email
    ).exists()


def test_raising_writes_the_first_row_of_the_assignment_history(agent, resolver_group, resolver):
    """Appendix G: the history starts where the incident was raised to."""
    incident = raise_incident(agent, resolver_group, assigned_to=resolver)

    [row] = IncidentAssignment.objects.filter(incident=incident)
    assert (row.from_group, row.from_person) == (None, None)
    assert (row.to_group, row.to_person, row.assigned_by) == (resolver_group, resolver, agent)
    assert row.assigned_at == incident.opened_at


def test_a_person_given_the_incident_at_raising_is_told(
    agent, resolver_group, resolver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        raise_incident(agent, resolver_group, assigned_to=resolver)
    assert Notification.objects.filter(user=resolver, event="ticket_assigned_to_person").exists()


def test_a_subcategory_of_another_category_is_refused(agent, resolver_group):
    """§5.16: a subcategory belongs to its category."""
    data_breach = Subcategory.objects.get(category__name="Security", name="Data breach")

    errors = refusal(agent, resolver_group, subcategory=data_breach)

    assert list(errors) == ["subcategory"]
    assert "not a subcategory of Market Systems" in errors["subcategory"][0]
    assert not Incident.objects.exists()


def test_a_retired_subcategory_or_service_is_refused(agent, resolver_group):
    outage = Subcategory.objects.get(category__name="Market Systems", name="Outage")
    outage.active = False
    outage.save()
    lss = Service.objects.get(code="lss")
    lss.active = False
    lss.save()

    errors = refusal(agent, resolver_group, subcategory=outage, services=[lss])

    assert set(errors) == {"subcategory", "services"}
    assert "Load Shape Service" in errors["services"][0]


def test_mandatory_fields_are_named_when_missing(agent):
    """§5.4: category, subject and description; a resolver group; impact and urgency."""
    errors = refusal(agent, None, category=None, short_description=" ", description="", impact=None)
    assert set(errors) == {
        "category",
        "short_description",
        "description",
        "assignment_group",
        "impact",
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("detected_at", "future"),
        ("detection_method", "carrier_pigeon"),
        ("initial_severity", 9),
        ("short_description", "x" * 161),
    ],
)
def test_bad_logging_values_are_refused_naming_the_field(agent, resolver_group, field, value):
    if value == "future":
        value = timezone.now() + timedelta(hours=1)
    assert list(refusal(agent, resolver_group, **{field: value})) == [field]


def test_an_inactive_group_or_a_person_outside_it_is_refused(agent, resolver_group, resolver):
    retired = ResolverGroupFactory(name="Old VAS team", active=False)
    assert list(refusal(agent, retired)) == ["assignment_group"]
    other = ResolverGroupFactory(name="Settlement Operations")
    assert refusal(agent, other, assigned_to=resolver) == {
        "assigned_to": ["Choose a member of the group."]
    }


def test_integration_account_with_the_role_may_raise(integration, resolver_group):
    """§13: a monitoring tool raises incidents over the API (its token scopes say where)."""
    incident = raise_incident(
        integration, resolver_group, detection_method=Incident.DetectionMethod.MONITORING
    )
    assert incident.opened_by == integration


@pytest.mark.parametrize("who", ["org_user", "resolver", "cab_member"])
def test_participants_and_roles_without_the_permission_may_not_raise(request, resolver_group, who):
    """Appendix G: participants raise cases; only the desk raises incidents."""
    actor = request.getfixturevalue(who)
    with pytest.raises(ActionNotPermitted):
        raise_incident(actor, resolver_group)
    assert not Incident.objects.exists()


def test_an_integration_account_without_the_role_may_not_raise(resolver_group):
    bare = UserFactory(email="gateway@mhhs.example", kind=User.Kind.INTEGRATION)
    with pytest.raises(ActionNotPermitted):
        raise_incident(bare, resolver_group)


def test_triage_still_raises_incidents_with_their_first_assignment(org_user, agent, resolver_group):
    """§4.1 step 4: raising from a case is unchanged, and starts the history too."""
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)

    assert incident.caller == org_user and incident.organisation == org_user.organisation
    assert incident.assignments.get().to_group == resolver_group
    assert incident.subcategory is None and not incident.services.exists()
