"""REST API v1: the SLA clocks of a case or an incident, read-only (docs/architecture.md §3).

`GET /api/v1/cases/{number}/slas/` and `GET /api/v1/incidents/{number}/slas/` list each clock
with its target, deadline, working time counted and the timeline of how it was counted. The
ticket is found through the visibility selector, so a ticket the caller may not see is a 404
like one that does not exist (§10.4). Participants get their case's clocks as the portal shows
them (`sla_timeline_for(for_participant=True)`: no internal clocks such as triage, no cancelled
clocks, no at-risk warnings, no desk notes); service-desk staff get every clock.
"""

from datetime import timedelta

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from cases.models import Case
from incidents.models import Incident
from tickets.api_common import (
    StaffOnlyFieldsMixin,
    TicketApiView,
    error_responses,
    is_desk_user,
    ticket_get_visible,
)

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


class TicketSlaListApi(TicketApiView):
    """The clocks of one ticket; subclasses say which ticket type."""

    model: type = Case
    OutputSerializer = ClockSerializer

    def get(self, request, number: str):
        # Queries: auth, permissions, the ticket through the visibility selector, its clocks
        # with their definitions, their events.
        ticket = ticket_get_visible(self.model.objects.all(), user=request.user, number=number)
        clocks = sla_timeline_for(ticket, for_participant=not is_desk_user(request.user))
        return Response(self.OutputSerializer(clocks, many=True, context={"request": request}).data)


class CaseSlaListApi(TicketSlaListApi):
    """SLA clocks of a case: acknowledgement, response and resolution; the triage clock for
    service-desk staff only (§3.1, §4.1, §3.10, §7.2)."""

    api_tag = "cases"
    model = Case

    @extend_schema(
        operation_id="cases_slas_list",
        summary="SLA clocks of a case",
        responses={200: ClockSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        return super().get(request, number)


class IncidentSlaListApi(TicketSlaListApi):
    """SLA clocks of an incident (§3.10), for the service desk and resolvers who may see it."""

    api_tag = "incidents"
    model = Incident

    @extend_schema(
        operation_id="incidents_slas_list",
        summary="SLA clocks of an incident",
        responses={200: ClockSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        return super().get(request, number)


urlpatterns = [
    path("cases/<str:number>/slas/", CaseSlaListApi.as_view(), name="case_slas"),
    path("incidents/<str:number>/slas/", IncidentSlaListApi.as_view(), name="incident_slas"),
]
