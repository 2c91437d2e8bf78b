"""REST API v1 for incidents: list, read and move through the lifecycle (§5, Appendix G).

Incidents are the technical teams' records: participants never see them (they hear through
their case), resolvers see their own groups' incidents, the desk sees all. That is the
visibility selector's rule; every write is a service of `incidents.services`: lifecycle
(`incident_transition`), re-prioritisation (`incident_classify`, §3.8) and work notes
(`incident_work_note_add`, staff only; they never leave the desk).
"""

from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from core.errors import ActionNotPermitted
from tickets.api_common import (
    CancelReasonField,
    CategoryRefSerializer,
    HoldReasonField,
    IdFilter,
    JournalEntrySerializer,
    OrganisationRefSerializer,
    ResolverGroupRefSerializer,
    TicketApiView,
    TicketFilterSet,
    TicketListApiView,
    TicketPagination,
    TicketStateField,
    TicketTypeApi,
    UserRefSerializer,
    available_actions,
    error_responses,
    is_desk_user,
    ticket_get_visible,
    visible_queryset,
)
from tickets.limits import COMMENT_MAX_CHARS
from tickets.models import JournalEntry
from tickets.priority import Impact, Priority, Urgency
from tickets.selectors import journal_for

from . import services
from .models import Incident


def _incident_queryset():
    return Incident.objects.select_related(
        "category", "organisation", "assignment_group", "assigned_to"
    ).order_by("-opened_at", "-pk")


def _incident_get(*, user, number: str) -> Incident:
    return ticket_get_visible(_incident_queryset(), user=user, number=number)


@extend_schema_serializer(component_name="Incident")
class IncidentSummarySerializer(serializers.Serializer):
    """An incident as listed."""

    number = serializers.CharField(read_only=True)
    short_description = serializers.CharField(read_only=True)
    state = TicketStateField(read_only=True)
    hold_reason = HoldReasonField(read_only=True, allow_null=True)
    impact = serializers.ChoiceField(choices=Impact.choices, read_only=True, allow_null=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, read_only=True, allow_null=True)
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        read_only=True,
        allow_null=True,
        help_text="From impact and urgency by the §3.8 matrix.",
    )
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)
    assignment_group = ResolverGroupRefSerializer(read_only=True, allow_null=True)
    assigned_to = UserRefSerializer(read_only=True, allow_null=True)
    opened_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)


@extend_schema_serializer(component_name="IncidentDetail")
class IncidentDetailSerializer(IncidentSummarySerializer):
    """An incident in full."""

    description = serializers.CharField(read_only=True)
    resolution_code = serializers.CharField(read_only=True)
    resolution_notes = serializers.CharField(read_only=True)
    cancel_reason = CancelReasonField(read_only=True, allow_null=True)
    reopen_count = serializers.IntegerField(read_only=True)
    actions = serializers.SerializerMethodField(
        help_text="Action endpoints you may call now, e.g. `start` or `resolve`."
    )

    def get_actions(self, incident) -> list[str]:
        return available_actions(incident, user=self.context["request"].user)


class IncidentFilterSet(TicketFilterSet):
    priority = filters.MultipleChoiceFilter(
        choices=Priority.choices, help_text="Repeat to match any of several priorities."
    )
    assignment_group = IdFilter(field_name="assignment_group_id", help_text="Resolver group id.")

    class Meta:
        model = Incident
        fields = ["state", "priority", "assignment_group", "opened_after", "opened_before", "q"]


class IncidentListApi(TicketListApiView):
    """Incidents you may see: all for the desk, your groups' for resolvers, none for participants."""

    api_tag = "incidents"
    filterset_class = IncidentFilterSet
    pagination_class = TicketPagination
    OutputSerializer = IncidentSummarySerializer

    def get_queryset(self):
        return visible_queryset(_incident_queryset(), user=self.request.user)

    @extend_schema(
        operation_id="incidents_list",
        responses={200: IncidentSummarySerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        # Queries: auth, the user's permissions (user + groups), the user's resolver groups
        # (a subquery of the page queries, not a query of its own), page count, page rows.
        incidents = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(incidents)
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)


class IncidentDetailApi(TicketApiView):
    """One incident."""

    api_tag = "incidents"
    OutputSerializer = IncidentDetailSerializer

    @extend_schema(
        operation_id="incidents_retrieve",
        responses={200: IncidentDetailSerializer, **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        incident = _incident_get(user=request.user, number=number)
        return Response(self.OutputSerializer(incident, context={"request": request}).data)


def _incident_transition(*, ticket: Incident, actor, name: str, **data) -> Incident:
    return services.incident_transition(incident=ticket, actor=actor, name=name, **data)


class IncidentClassifyInputSerializer(serializers.Serializer):
    impact = serializers.ChoiceField(choices=Impact.choices, help_text="1 high, 2 medium, 3 low.")
    urgency = serializers.ChoiceField(choices=Urgency.choices, help_text="1 high, 2 medium, 3 low.")


class IncidentClassifyApi(TicketApiView):
    """Re-prioritise: impact and urgency give the priority by the §3.8 matrix; a new priority
    cancels the SLA clock and starts its replacement. Not on closed or cancelled incidents."""

    api_tag = "incidents"
    InputSerializer = IncidentClassifyInputSerializer
    OutputSerializer = IncidentDetailSerializer

    @extend_schema(
        operation_id="incidents_classify",
        request=IncidentClassifyInputSerializer,
        responses={200: IncidentDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        incident = _incident_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.incident_classify(
            incident=incident, actor=request.user, **serializer.validated_data
        )
        incident = _incident_get(user=request.user, number=number)
        return Response(self.OutputSerializer(incident, context={"request": request}).data)


@extend_schema_serializer(component_name="WorkNoteCreate")
class WorkNoteInputSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=COMMENT_MAX_CHARS,
        help_text="The technical note. It stays with the desk and resolver groups (Appendix G).",
    )


class IncidentWorkNoteListApi(TicketApiView):
    """The incident's work notes, and adding one: staff only; work notes are never emailed."""

    api_tag = "incidents"
    InputSerializer = WorkNoteInputSerializer
    OutputSerializer = JournalEntrySerializer

    @extend_schema(
        operation_id="incidents_work_notes_list",
        responses={200: JournalEntrySerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, number: str):
        incident = _incident_get(user=request.user, number=number)
        if not is_desk_user(request.user):
            raise ActionNotPermitted("Work notes are for the service desk and resolver groups.")
        entries = journal_for(incident, include_work_notes=True).filter(
            kind=JournalEntry.Kind.WORK_NOTE
        )
        return Response(self.OutputSerializer(entries, many=True).data)

    @extend_schema(
        operation_id="incidents_work_notes_create",
        request=WorkNoteInputSerializer,
        responses={201: JournalEntrySerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        incident = _incident_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.incident_work_note_add(
            incident=incident, actor=request.user, **serializer.validated_data
        )
        return Response(self.OutputSerializer(entry).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("incidents/", IncidentListApi.as_view(), name="incident_list"),
    path("incidents/<str:number>/", IncidentDetailApi.as_view(), name="incident_detail"),
    path(
        "incidents/<str:number>/classify/", IncidentClassifyApi.as_view(), name="incident_classify"
    ),
    path(
        "incidents/<str:number>/work-notes/",
        IncidentWorkNoteListApi.as_view(),
        name="incident_work_notes",
    ),
]

# The incident in the API (`TicketType.api`); the router adds the transitions the incident's
# registry entry offers (start, hold, resume, resolve, cancel).
INCIDENT_API = TicketTypeApi(
    detail_serializer=IncidentDetailSerializer,
    get_ticket=_incident_get,
    transition=_incident_transition,
    urlpatterns=urlpatterns,
)
