"""REST API v1: the SLA clocks of a ticket of any registered type, read-only
(docs/architecture.md §3).

`GET /api/v1/{slug}/{number}/slas/` (`/cases/…/slas/`, `/incidents/…/slas/`) lists each clock
with its target, deadline, working time counted and the timeline of how it was counted. The
routes are given per ticket type by `routes(ticket_type)`, which `SlaConfig.ready` registers
with `tickets.extensions`; the API router asks for them for every type with an API slug, so
this module names no concrete type. The ticket is found through the visibility selector, so a
ticket the caller may not see is a 404 like one that does not exist (§10.4). Participants get
their ticket's clocks as the portal shows them (`sla_timeline_for(for_participant=True)`: no
internal clocks such as triage, no cancelled clocks, no at-risk warnings, no desk notes);
service-desk staff get every clock.
"""

from datetime import timedelta

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from tickets.api_common import (
    StaffOnlyFieldsMixin,
    TicketApiSchema,
    TicketApiView,
    error_responses,
    is_desk_user,
    ticket_get_visible,
)
from tickets.registry import TicketType

from .calendar import CALENDAR_CHOICES
from .models import SLADefinition, TicketSLAEvent
from .selectors import sla_timeline_for


@extend_schema_field(OpenApiTypes.INT)
class WorkingSecondsField(serializers.Field):
    """A working-time duration in whole seconds (a business day is 9 hours, 32 400 s)."""

    def to_representation(self, value: timedelta | None):
        return None if value is None else int(value.total_seconds())


class ClockEventSerializer(StaffOnlyFieldsMixin, serializers.Serializer):
    """One step of a clock and the working time of the period that ends at it."""

    staff_only_fields = ("note",)

    kind = serializers.ChoiceField(choices=TicketSLAEvent.Kind.choices, read_only=True)
    label = serializers.CharField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    detail = serializers.CharField(read_only=True)
    counted_seconds = WorkingSecondsField(source="counted", read_only=True)
    excluded_seconds = WorkingSecondsField(
        source="excluded", read_only=True, help_text="Working time not counted (On Hold)."
    )
    elapsed_seconds = WorkingSecondsField(
        source="elapsed", read_only=True, help_text="Working time counted so far."
    )
    note = serializers.CharField(read_only=True)


@extend_schema_serializer(component_name="SlaClock")
class ClockSerializer(StaffOnlyFieldsMixin, serializers.Serializer):
    """One SLA clock of a ticket (§3.10, §7.2, §3.1, §4.1, §14.4)."""

    staff_only_fields = ("at_risk", "cancelled")

    name = serializers.CharField(
        read_only=True, help_text="The service level, e.g. “Case P3 resolution”."
    )
    description = serializers.CharField(read_only=True, help_text="Where the level comes from.")
    target_type = serializers.ChoiceField(choices=SLADefinition.TargetType.choices, read_only=True)
    calendar = serializers.ChoiceField(
        source="clock.calendar", choices=CALENDAR_CHOICES, read_only=True
    )
    phase = serializers.ChoiceField(
        choices=[("running", "Running"), ("paused", "Paused"), ("stopped", "Stopped")],
        read_only=True,
    )
    status = serializers.CharField(
        read_only=True, help_text="In words, e.g. “Paused — Awaiting Caller”."
    )
    target_seconds = WorkingSecondsField(
        source="target",
        read_only=True,
        allow_null=True,
        help_text="Working time allowed; null while a Custom target is still to be agreed (§7.2).",
    )
    started_at = serializers.DateTimeField(read_only=True)
    deadline = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the target is reached; while paused, where it would fall if work "
        "resumed now.",
    )
    stopped_at = serializers.DateTimeField(read_only=True, allow_null=True)
    elapsed_seconds = WorkingSecondsField(source="elapsed", read_only=True)
    paused_seconds = WorkingSecondsField(source="paused_total", read_only=True)
    remaining_seconds = WorkingSecondsField(
        source="remaining", read_only=True, allow_null=True, help_text="Negative once breached."
    )
    percent_elapsed = serializers.IntegerField(source="percent", read_only=True, allow_null=True)
    breached = serializers.BooleanField(read_only=True)
    at_risk = serializers.BooleanField(read_only=True)
    cancelled = serializers.BooleanField(read_only=True)
    events = ClockEventSerializer(many=True, read_only=True)


class SlaListSchema(TicketApiSchema):
    """The operation of one type's clocks list: `{slug}_slas_list`, tagged with the type's
    slug, its summary and description in the type's name."""

    def get_operation_id(self) -> str:
        return f"{self.view.api_tag}_slas_list"

    def get_summary(self) -> str:
        return f"SLA clocks of {_a(self.view.ticket_type.verbose_name)}"

    def get_description(self) -> str:
        ticket_type = self.view.ticket_type
        who = (
            "Participants get the clocks the portal shows them; service-desk staff get every "
            "clock, internal ones such as first-line triage included."
            if ticket_type.participants_may_see
            else "For the service desk and the resolvers who may see it."
        )
        return (
            f"The SLA clocks of {_a(ticket_type.verbose_name)}: each clock's target, deadline "
            f"and working time counted, with the timeline of how it was counted (§3.10). {who}"
        )

    def get_response_serializers(self):
        return {200: ClockSerializer(many=True), **error_responses(401, 404)}


def _a(noun: str) -> str:
    """ "a case", "an incident"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


class TicketSlaListApi(TicketApiView):
    """`GET /api/v1/{slug}/{number}/slas/`: the clocks of one ticket of `ticket_type`.

    One view for every registered type: `routes` gives it the type (`as_view(ticket_type=…,
    api_tag=…)`); `api_tag` is the type's slug, the area an access token needs in its scopes.
    Authentication and permissions are the API's defaults (`tickets.api_common.ApiPolicy`).
    """

    schema = SlaListSchema()
    ticket_type = None
    OutputSerializer = ClockSerializer

    def get(self, request, number: str):
        # Queries: auth, permissions, the ticket through the visibility selector, its clocks
        # with their definitions, their events.
        ticket = ticket_get_visible(
            self.ticket_type.model.objects.all(), user=request.user, number=number
        )
        clocks = sla_timeline_for(ticket, for_participant=not is_desk_user(request.user))
        return Response(self.OutputSerializer(clocks, many=True, context={"request": request}).data)


def sla_clocks_view(ticket_type: TicketType):
    """The view serving the clocks of `ticket_type`'s tickets."""
    return TicketSlaListApi.as_view(ticket_type=ticket_type, api_tag=ticket_type.api_slug)


def routes(ticket_type: TicketType) -> list:
    """`{slug}/<number>/slas/`, named `{kind}_slas` (`api:case_slas`), for a type with an API
    slug; registered with `tickets.extensions.register_api_routes` in `SlaConfig.ready`."""
    if not ticket_type.api_slug:
        return []
    return [
        path(
            f"{ticket_type.api_slug}/<str:number>/slas/",
            sla_clocks_view(ticket_type),
            name=f"{ticket_type.kind}_slas",
        )
    ]
