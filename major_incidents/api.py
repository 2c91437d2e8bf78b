"""REST API v1 for major incidents (§5.11, §5.17–5.19.1, §5.22, §5.24): list, read, the
war-room timeline, sending a communication and publishing a status page update.

Desk staff only, with the view permission (`major_incidents.view_majorincident`); sending
and publishing need the Major Incident Manager's permission, checked by the services
(`major_incidents.comms.comms_send`, `major_incidents.public.public_update_publish`). An access
token needs the `incidents` area: major incidents are the incident managers' work.
"""

from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from comms.lists import BODY_MAX, SUBJECT_MAX
from core.errors import ActionNotPermitted
from tickets.api_common import (
    TicketApiView,
    TicketListApiView,
    TicketPageNumberPagination,
    UserRefSerializer,
    error_responses,
)

from .comms import COMPOSER_KINDS, comms_send
from .models import CommsMessage, MajorIncident, PublicUpdate, ServiceImpact
from .public import PUBLIC_BODY_MAX, public_update_publish
from .war_room import (
    TIMELINE_LIMIT,
    comms_due,
    major_incident_get_for,
    major_incident_list_for,
    may_view,
    service_impacts_for,
    timeline_for,
)

API_TAG = "major-incidents"
TOKEN_SCOPE = "incidents"


class MajorIncidentApiPolicy:
    """Staff with the view permission; tokens need the `incidents` area."""

    api_tag = API_TAG
    token_scope = TOKEN_SCOPE

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not may_view(request.user):
            raise ActionNotPermitted("Major incidents are for the service desk's staff.")


# --- enums, each a named component (the same choice set in inputs and outputs) ---------------


def _enum(choices) -> dict:
    return {
        "type": "string",
        "enum": [value for value, _label in choices],
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices),
    }


@extend_schema_field(_enum(MajorIncident.State.choices), component_name="MajorIncidentState")
class StateField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=MajorIncident.State.choices, **kwargs)


@extend_schema_field(
    _enum(MajorIncident.PublicStatus.choices), component_name="MajorIncidentPublicStatus"
)
class PublicStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=MajorIncident.PublicStatus.choices, **kwargs)


@extend_schema_field(_enum(ServiceImpact.Status.choices), component_name="ServiceImpactStatus")
class ImpactStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=ServiceImpact.Status.choices, **kwargs)


@extend_schema_field(_enum(CommsMessage.Kind.choices), component_name="MajorIncidentCommsKind")
class CommsKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=CommsMessage.Kind.choices, **kwargs)


_COMPOSER_CHOICES = [(kind.value, kind.label) for kind in COMPOSER_KINDS]


@extend_schema_field(_enum(_COMPOSER_CHOICES), component_name="MajorIncidentComposerKind")
class ComposerKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=_COMPOSER_CHOICES, **kwargs)


_SOURCES = [("event", "Major incident"), ("journal", "Incident journal"), ("comms", "Comms sent")]


@extend_schema_field(_enum(_SOURCES), component_name="MajorIncidentTimelineSource")
class SourceField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=_SOURCES, **kwargs)


# --- output ----------------------------------------------------------------------------------


class CommsDueSerializer(serializers.Serializer):
    due_at = serializers.DateTimeField(allow_null=True, help_text="Null once nothing is due.")
    late = serializers.BooleanField(help_text="Past its due time (§5.19.1).")
    minutes = serializers.IntegerField(help_text="Minutes until due, or how late it is.")
    text = serializers.CharField(help_text="As the war room says it: “due in 12 min”.")


@extend_schema_serializer(component_name="MajorIncident")
class MajorIncidentSummarySerializer(serializers.Serializer):
    """A major incident as listed."""

    number = serializers.CharField()
    title = serializers.CharField(help_text="Internal title.")
    public_title = serializers.CharField()
    state = StateField()
    public_status = PublicStatusField()
    manager = UserRefSerializer(allow_null=True)
    incident = serializers.SerializerMethodField(
        help_text="The desk's incident it wraps; null when another provider leads (§5.24)."
    )
    led_by_other_provider = serializers.BooleanField()
    lead_provider = serializers.CharField()
    external_reference = serializers.CharField()
    started_at = serializers.DateTimeField()
    promoted_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    update_interval_minutes = serializers.IntegerField()
    next_comms_due_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_incident(self, obj) -> str | None:
        return obj.incident.number if obj.incident_id else None


class ServiceImpactSerializer(serializers.Serializer):
    service = serializers.CharField(source="service.code")
    name = serializers.CharField(source="service.name")
    status = ImpactStatusField()
    updated_at = serializers.DateTimeField()


class PublicUpdateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = PublicStatusField()
    body = serializers.CharField()
    published_by = UserRefSerializer(allow_null=True)
    published_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="MajorIncidentComms")
class CommsMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = CommsKindField()
    subject = serializers.CharField()
    body = serializers.CharField()
    sent_by = UserRefSerializer(allow_null=True)
    sent_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="MajorIncidentDetail")
class MajorIncidentDetailSerializer(MajorIncidentSummarySerializer):
    """A major incident in full, as the war room has it."""

    public_summary = serializers.CharField()
    bridge_details = serializers.CharField()
    triage_lead = UserRefSerializer(allow_null=True)
    comms_due = serializers.SerializerMethodField()
    services = serializers.SerializerMethodField()
    public_updates = serializers.SerializerMethodField()
    comms = serializers.SerializerMethodField(help_text="Communications sent, oldest first.")

    @extend_schema_field(CommsDueSerializer)
    def get_comms_due(self, obj) -> dict:
        return CommsDueSerializer(comms_due(obj)).data

    @extend_schema_field(ServiceImpactSerializer(many=True))
    def get_services(self, obj) -> list:
        return ServiceImpactSerializer(service_impacts_for(obj), many=True).data

    @extend_schema_field(PublicUpdateSerializer(many=True))
    def get_public_updates(self, obj) -> list:
        updates = (
            PublicUpdate.objects.filter(major_incident=obj)
            .select_related("published_by")
            .order_by("-published_at", "-id")
        )
        return PublicUpdateSerializer(updates, many=True).data

    @extend_schema_field(CommsMessageSerializer(many=True))
    def get_comms(self, obj) -> list:
        sent = (
            CommsMessage.objects.filter(major_incident=obj)
            .select_related("sent_by")
            .order_by("sent_at", "id")
        )
        return CommsMessageSerializer(sent, many=True).data


class TimelineItemSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    source = SourceField()
    kind = serializers.CharField()
    label = serializers.CharField()
    subject = serializers.CharField(help_text="For comms sent; empty otherwise.")
    body = serializers.CharField()
    author = serializers.CharField()
    internal = serializers.BooleanField(help_text="A work note: stays with the desk.")


class TimelineSerializer(serializers.Serializer):
    items = TimelineItemSerializer(many=True, help_text="Newest first.")
    truncated = serializers.BooleanField(help_text="More entries exist beyond the limit.")


# --- views -----------------------------------------------------------------------------------


class MajorIncidentFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(
        choices=MajorIncident.State.choices, help_text="Repeat to match any of several states."
    )

    class Meta:
        model = MajorIncident
        fields = ["state"]


class MajorIncidentListApi(MajorIncidentApiPolicy, TicketListApiView):
    """Major incidents, newest promotion first."""

    filterset_class = MajorIncidentFilterSet
    pagination_class = TicketPageNumberPagination
    OutputSerializer = MajorIncidentSummarySerializer

    def get_queryset(self):
        return major_incident_list_for(self.request.user)

    @extend_schema(
        operation_id="major_incidents_list",
        responses={
            200: MajorIncidentSummarySerializer(many=True),
            **error_responses(400, 401, 403),
        },
    )
    def get(self, request):
        # Queries: auth, the page count, the page with manager and incident joined.
        rows = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)


class MajorIncidentDetailApi(MajorIncidentApiPolicy, TicketApiView):
    """One major incident: services and their status, manager, when the next communication is
    due, public updates and the comms sent."""

    @extend_schema(
        operation_id="major_incidents_retrieve",
        responses={200: MajorIncidentDetailSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, number: str):
        major_incident = major_incident_get_for(request.user, number)
        return Response(MajorIncidentDetailSerializer(major_incident).data)


class MajorIncidentTimelineApi(MajorIncidentApiPolicy, TicketApiView):
    """The war-room timeline: the major incident's events, its incident's journal (work notes
    marked internal) and the comms sent, newest first."""

    @extend_schema(
        operation_id="major_incidents_timeline",
        parameters=[
            OpenApiParameter(
                "all",
                bool,
                description=f"The whole timeline, not only the newest {TIMELINE_LIMIT} of each "
                "source.",
            )
        ],
        responses={200: TimelineSerializer, **error_responses(400, 401, 403, 404)},
    )
    def get(self, request, number: str):
        major_incident = major_incident_get_for(request.user, number)
        raw = request.query_params.get("all", "false").lower()
        if raw not in ("true", "false", "1", "0"):
            raise serializers.ValidationError({"all": ["Give true or false."]})
        timeline = timeline_for(
            major_incident, limit=None if raw in ("true", "1") else TIMELINE_LIMIT
        )
        return Response(
            TimelineSerializer({"items": timeline.items, "truncated": timeline.truncated}).data
        )


@extend_schema_serializer(component_name="MajorIncidentCommsCreate")
class CommsInputSerializer(serializers.Serializer):
    kind = ComposerKindField(
        help_text="The initial notification first; resolution and recovery once resolved.",
    )
    subject = serializers.CharField(max_length=SUBJECT_MAX)
    body = serializers.CharField(max_length=BODY_MAX, help_text="Business and impact language.")
    publish_to_status_page = serializers.BooleanField(default=False)
    public_status = PublicStatusField(
        required=False,
        allow_null=True,
        default=None,
        help_text="With `publish_to_status_page`: the progress shown; default unchanged "
        "(resolved for a resolution).",
    )


class MajorIncidentCommsApi(MajorIncidentApiPolicy, TicketApiView):
    """Send a communication to the Major Incident comms list (§5.17–5.19.1); the next update
    falls due the major incident's interval later."""

    @extend_schema(
        operation_id="major_incidents_comms_create",
        request=CommsInputSerializer,
        responses={201: CommsMessageSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        major_incident = major_incident_get_for(request.user, number)
        serializer = CommsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        sent = comms_send(
            major_incident=major_incident, actor=request.user, **serializer.validated_data
        )
        return Response(CommsMessageSerializer(sent).data, status=status.HTTP_201_CREATED)


@extend_schema_serializer(component_name="MajorIncidentPublicUpdateCreate")
class PublicUpdateInputSerializer(serializers.Serializer):
    status = PublicStatusField()
    body = serializers.CharField(
        max_length=PUBLIC_BODY_MAX, help_text="Words for the public status page."
    )


class MajorIncidentPublicUpdateApi(MajorIncidentApiPolicy, TicketApiView):
    """Publish an update on the public status page (§5.11 steps 13 and 20)."""

    @extend_schema(
        operation_id="major_incidents_public_updates_create",
        request=PublicUpdateInputSerializer,
        responses={201: PublicUpdateSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        major_incident = major_incident_get_for(request.user, number)
        serializer = PublicUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        update = public_update_publish(
            major_incident=major_incident, actor=request.user, **serializer.validated_data
        )
        return Response(PublicUpdateSerializer(update).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("major-incidents/", MajorIncidentListApi.as_view(), name="major_incident_list"),
    path(
        "major-incidents/<str:number>/",
        MajorIncidentDetailApi.as_view(),
        name="major_incident_detail",
    ),
    path(
        "major-incidents/<str:number>/timeline/",
        MajorIncidentTimelineApi.as_view(),
        name="major_incident_timeline",
    ),
    path(
        "major-incidents/<str:number>/comms/",
        MajorIncidentCommsApi.as_view(),
        name="major_incident_comms",
    ),
    path(
        "major-incidents/<str:number>/public-updates/",
        MajorIncidentPublicUpdateApi.as_view(),
        name="major_incident_public_updates",
    ),
]
