"""The SLA engine works from the ticket-type registry (issue 8): definitions name any registered
type, the choices of the types' own fields come from their declarations, and the engine plugs
its API routes, console columns and alerts into the kernel's seams without importing a
concrete type or communications."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from incidents.services import incident_create
from sla.calendar import CALENDAR_CHOICES, LONDON
from sla.models import SLADefinition
from sla.sweeps import sla_sweep
from tests.factories.cases import category
from tickets.extensions import api_routes_for, console_extensions
from tickets.priority import Impact, Urgency
from tickets.registry import ticket_types
from tickets.signals import ticket_alert

pytestmark = pytest.mark.django_db


def _definition(**fields) -> SLADefinition:
    values = {
        "name": "Test resolution",
        "target_type": SLADefinition.TargetType.RESOLUTION,
        "calendar": CALENDAR_CHOICES[0][0],
        "duration": timedelta(hours=4),
        **fields,
    }
    return SLADefinition(**values)


@pytest.mark.parametrize("kind", ["incident", "case"])
def test_a_definition_for_the_incident_or_the_case_kind_is_accepted(kind):
    definition = _definition(name=f"Test {kind} resolution", ticket_kind=kind)
    definition.full_clean()
    definition.save()
    assert SLADefinition.objects.get(pk=definition.pk).ticket_kind == kind


def test_a_definition_for_a_kind_no_type_registers_is_refused():
    with pytest.raises(ValidationError) as error:
        _definition(ticket_kind="release").full_clean()
    assert "ticket_kind" in error.value.message_dict


def test_ticket_kind_choices_list_every_registered_type():
    field = SLADefinition._meta.get_field("ticket_kind")
    kinds = [value for value, _label in field.choices]
    assert kinds == [ticket_type.kind for ticket_type in ticket_types()]
    assert {"case", "incident"} <= set(kinds)


def test_request_type_and_channel_choices_are_the_types_declared_sla_choices():
    for name in ("request_type", "channel"):
        declared = {
            value
            for ticket_type in ticket_types()
            for value, _label in ticket_type.sla_choices.get(name, ())
        }
        field = SLADefinition._meta.get_field(name)
        assert declared
        assert {value for value, _label in field.choices} == declared
    definition = _definition(ticket_kind="case", channel="nowhere")
    with pytest.raises(ValidationError) as error:
        definition.full_clean()
    assert "channel" in error.value.message_dict


def test_every_type_with_an_api_slug_gets_its_slas_route():
    typed = [t for t in ticket_types() if t.api_slug]
    assert {t.kind for t in typed} >= {"case", "incident"}
    for ticket_type in typed:
        [route] = api_routes_for(ticket_type)
        assert route.name == f"{ticket_type.kind}_slas"
        assert reverse(f"api:{ticket_type.kind}_slas", kwargs={"number": "X1"}) == (
            f"/api/v1/{ticket_type.api_slug}/X1/slas/"
        )
    assert reverse("api:case_slas", kwargs={"number": "CS1"}) == "/api/v1/cases/CS1/slas/"
    assert reverse("api:incident_slas", kwargs={"number": "INC1"}) == (
        "/api/v1/incidents/INC1/slas/"
    )


def test_slas_operations_keep_their_ids_tags_summaries_and_response(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    expected = {
        "/api/v1/cases/{number}/slas/": ("cases_slas_list", "cases", "SLA clocks of a case"),
        "/api/v1/incidents/{number}/slas/": (
            "incidents_slas_list",
            "incidents",
            "SLA clocks of an incident",
        ),
    }
    for path, (operation_id, tag, summary) in expected.items():
        operation = schema["paths"][path]["get"]
        assert operation["operationId"] == operation_id
        assert operation["tags"] == [tag]
        assert operation["summary"] == summary
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
            "type": "array",
            "items": {"$ref": "#/components/schemas/SlaClock"},
        }
        assert set(operation["responses"]) == {"200", "401", "404"}


def test_the_console_extension_offers_time_to_breach_and_the_clock_panel():
    [extension] = [e for e in console_extensions() if e.name == "sla"]
    columns = dict(extension.columns)
    column = columns["time_to_breach"]
    assert column.short_description == "Time to breach"
    assert column.admin_order_field == "sla_deadline"
    assert extension.annotate_rows is not None and extension.sort_annotate is not None
    assert extension.detail_context is not None


def test_the_sweep_announces_alerts_through_the_kernel_signal(agent, resolver_group):
    """The sweep tells communications through `tickets.signals.ticket_alert`."""
    raised = datetime(2026, 12, 3, 10, 0, tzinfo=LONDON)
    with time_machine.travel(raised, tick=False) as travel:
        incident = incident_create(
            actor=agent,
            short_description="DIP down",
            description="x",
            category=category(),
            assignment_group=resolver_group,
            impact=Impact.HIGH,
            urgency=Urgency.HIGH,
        )
        heard = []

        def receiver(sender, *, ticket, ticket_type, event, context, **kwargs):
            heard.append((sender, ticket.pk, ticket_type.kind, event, context["target"]))

        ticket_alert.connect(receiver, dispatch_uid="test_sla_alert")
        try:
            travel.move_to(datetime(2026, 12, 3, 14, 30, tzinfo=LONDON))
            sla_sweep()
        finally:
            ticket_alert.disconnect(dispatch_uid="test_sla_alert")
    assert heard == [
        (type(incident), incident.pk, "incident", "sla_at_risk", "Incident P1 resolution")
    ]
