"""`GET /api/v1/cab-meetings/` and `GET /api/v1/cab-meetings/{id}/`: CAB and Emergency CAB
meetings (§8.9, §9.4) and each meeting's agenda in the order of §8.9.6, with its decisions and
actions. For CAB members, the Change Manager and the Major Incident Manager (403 otherwise);
read only. Access tokens need the `changes` area scope."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from core.errors import ActionNotPermitted, ValidationFailed
from tickets.api_common import (
    TicketApiView,
    TicketListApiView,
    TicketPageNumberPagination,
    UserRefSerializer,
    error_responses,
)

from .cab_selectors import (
    cab_actions,
    cab_agenda,
    cab_decisions,
    cab_meeting_get_for,
    cab_meeting_list_for,
    may_see_cab,
)
from .models_cab import CabMeeting


def _require_cab(user) -> None:
    if not may_see_cab(user):
        raise ActionNotPermitted("Only CAB members and the Change Manager can read CAB meetings.")


@extend_schema_serializer(component_name="CabMeeting")
class CabMeetingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=CabMeeting.Kind.choices)
    state = serializers.ChoiceField(choices=CabMeeting.State.choices)
    meets_on = serializers.DateField(help_text="London date of the meeting.")
    starts_at = serializers.DateTimeField(help_text="Tuesdays 12:00 London for the CAB (§8.9.8).")
    reason = serializers.CharField(help_text="Why an Emergency CAB was convened (§9.4.1).")
    major_incident = serializers.CharField(
        source="major_incident.number", allow_null=True, default=None
    )
    closed_at = serializers.DateTimeField(allow_null=True)


class AgendaItemSerializer(serializers.Serializer):
    line = serializers.CharField(help_text="The item as the agenda prints it.")


class AgendaSectionSerializer(serializers.Serializer):
    key = serializers.ChoiceField(
        choices=[
            "previous",
            "proposals",
            "scheduled",
            "expected",
            "emergency",
            "review",
            "standard",
        ]
    )
    title = serializers.CharField()
    items = AgendaItemSerializer(many=True)


class CabDecisionSerializer(serializers.Serializer):
    change = serializers.CharField(source="approval.change.number")
    decision = serializers.CharField(source="approval.decision")
    kind = serializers.CharField(source="approval.kind")
    approver = UserRefSerializer(source="approval.approver")
    comment = serializers.CharField(source="approval.comment")
    at = serializers.DateTimeField(source="approval.at")


class CabActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    description = serializers.CharField()
    owner = UserRefSerializer()
    due_on = serializers.DateField()
    done_at = serializers.DateTimeField(allow_null=True)


@extend_schema_serializer(component_name="CabMeetingDetail")
class CabMeetingDetailSerializer(CabMeetingSerializer):
    outcome = serializers.CharField()
    minutes = serializers.CharField()
    agenda = AgendaSectionSerializer(
        many=True, source="agenda_sections", help_text="In the order of §8.9.6."
    )
    decisions = CabDecisionSerializer(many=True, source="decision_rows")
    actions = CabActionSerializer(many=True, source="action_rows")


class CabMeetingListApi(TicketListApiView):
    """CAB meetings, newest first."""

    api_tag = "changes"
    pagination_class = TicketPageNumberPagination
    queryset = CabMeeting.objects.none()  # the schema's model; rows come from the selector
    OutputSerializer = CabMeetingSerializer

    @extend_schema(
        operation_id="cab_meetings_list",
        summary="CAB and Emergency CAB meetings, newest first (§8.9, §9.4)",
        parameters=[
            OpenApiParameter("kind", enum=CabMeeting.Kind.values, description="cab or ecab"),
            OpenApiParameter("state", enum=CabMeeting.State.values),
            OpenApiParameter("search", str, description="Words in the minutes or reason."),
        ],
        responses={200: CabMeetingSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        _require_cab(request.user)
        kind = request.query_params.get("kind", "")
        state = request.query_params.get("state", "")
        errors = {}
        if kind and kind not in CabMeeting.Kind.values:
            errors["kind"] = ["Choose cab or ecab."]
        if state and state not in CabMeeting.State.values:
            errors["state"] = ["Choose planned or closed."]
        if errors:
            raise ValidationFailed("Check the filters.", field_errors=errors)
        meetings = cab_meeting_list_for(
            user=request.user,
            kind=kind,
            state=state,
            search=request.query_params.get("search", "").strip(),
        )
        page = self.paginate_queryset(meetings)
        return self.get_paginated_response(CabMeetingSerializer(page, many=True).data)


class CabMeetingDetailApi(TicketApiView):
    """One meeting with its agenda, decisions and actions."""

    api_tag = "changes"

    @extend_schema(
        operation_id="cab_meetings_retrieve",
        summary="A CAB meeting with its §8.9.6 agenda, decisions and actions",
        # Any text reaches the view, so a bad id is the API's JSON 404, not Django's page.
        parameters=[OpenApiParameter("pk", int, OpenApiParameter.PATH, description="Meeting id.")],
        responses={200: CabMeetingDetailSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, pk: str):
        _require_cab(request.user)
        meeting = cab_meeting_get_for(user=request.user, pk=pk)
        # What the selectors read, attached for the serializer (no query from serializing).
        meeting.agenda_sections = cab_agenda(meeting).sections
        meeting.decision_rows = cab_decisions(meeting)
        meeting.action_rows = cab_actions(meeting)
        data = CabMeetingDetailSerializer(meeting).data
        return Response(data)


urlpatterns = [
    path("cab-meetings/", CabMeetingListApi.as_view(), name="cab-meetings"),
    path("cab-meetings/<str:pk>/", CabMeetingDetailApi.as_view(), name="cab-meeting"),
]
