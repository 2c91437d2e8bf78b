"""`GET /api/v1/status/`: the public status page as JSON (§5.22; issue 11 point 7).

Public like the page: no sign-in or token needed. It still starts from the API's guard
(`PublicReadAccess` is an `ApiAccess`): a signed-in desk member without a second factor is
refused as everywhere else (§10.5.2), and only reads are allowed. What it returns is built from
`status_page.selectors`, which load public text only.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from access.authentication import STAFF_NEEDS_TWO_FACTOR, staff_passed_second_factor
from access.models import AccessToken
from access.permissions import ApiAccess
from core.errors import ValidationFailed

from .selectors import PUBLIC_STATUS_LABELS, STATUS_LABELS, status_board

# Described in words: the choices' enums would clash by name with the other "status" enums.
SERVICE_STATUSES = "One of: " + ", ".join(f"`{k}` ({v})" for k, v in STATUS_LABELS.items()) + "."
PUBLIC_STATUSES = (
    "One of: " + ", ".join(f"`{k}` ({v})" for k, v in PUBLIC_STATUS_LABELS.items()) + "."
)


class PublicReadAccess(ApiAccess):
    """Anyone may read, signed in or not; whoever is signed in passes the staff two-factor
    check first, and a token is accepted whatever its scopes (the data is public)."""

    def has_permission(self, request, view) -> bool:
        if request.method not in SAFE_METHODS:
            return False
        user = request.user
        if not (user and user.is_authenticated):
            return True
        by_token = isinstance(request.auth, AccessToken)
        if user.is_staff and not staff_passed_second_factor(request, user, by_token=by_token):
            raise exceptions.PermissionDenied(STAFF_NEEDS_TWO_FACTOR)
        if user.is_integration and not by_token:
            raise exceptions.PermissionDenied("Integration accounts use access tokens.")
        return True


class DaySerializer(serializers.Serializer):
    date = serializers.DateField(source="day", help_text="A UK day.")
    status = serializers.CharField(help_text=f"The worst that day. {SERVICE_STATUSES}")


class ServiceStatusSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    status = serializers.CharField(help_text=SERVICE_STATUSES)
    status_label = serializers.CharField()
    history = serializers.SerializerMethodField(
        help_text="With `?history=true`: the last 90 UK days, oldest first; else absent."
    )

    @extend_schema_field(DaySerializer(many=True, allow_null=True))
    def get_history(self, row):
        if not self.context.get("history"):
            return None
        return DaySerializer(row.days, many=True).data


class ImpactSerializer(serializers.Serializer):
    service = serializers.CharField(source="service_name")
    status = serializers.CharField(help_text=SERVICE_STATUSES)
    status_label = serializers.CharField()


@extend_schema_serializer(component_name="StatusPageUpdate")
class PublicUpdateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    status = serializers.CharField(help_text=PUBLIC_STATUSES)
    status_label = serializers.CharField()
    body = serializers.CharField()
    published_at = serializers.DateTimeField()


class MajorIncidentStatusSerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField(source="public_title")
    summary = serializers.CharField(source="public_summary")
    status = serializers.CharField(source="public_status", help_text=PUBLIC_STATUSES)
    status_label = serializers.CharField(source="public_status_label")
    started_at = serializers.DateTimeField()
    services = ImpactSerializer(source="impacts", many=True)
    updates = PublicUpdateSerializer(many=True, help_text="Newest first.")


class CircularSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    title = serializers.CharField()
    published_at = serializers.DateTimeField()


class StatusOutputSerializer(serializers.Serializer):
    status = serializers.CharField(
        source="overall", help_text=f"The worst status of any service. {SERVICE_STATUSES}"
    )
    services = ServiceStatusSerializer(many=True)
    active_major_incidents = MajorIncidentStatusSerializer(source="active", many=True)
    recent_circulars = CircularSummarySerializer(source="circulars", many=True)


HISTORY_VALUES = {"true": True, "1": True, "false": False, "0": False}


class StatusApi(APIView):
    """The public status page as JSON."""

    permission_classes = [PublicReadAccess]
    api_tag = "status"
    OutputSerializer = StatusOutputSerializer

    @extend_schema(
        operation_id="status_retrieve",
        summary="Public service status",
        description=(
            "Each service on the status page with its current status (the worst impact of "
            "the active major incidents affecting it, else operational), the active major "
            "incidents with their public updates (newest first), and the latest published "
            "industry circulars. Needs no authentication; public text only."
        ),
        tags=["status"],
        auth=[{}],
        parameters=[
            OpenApiParameter(
                "history",
                OpenApiTypes.BOOL,
                description="Include each service's last 90 UK days (default false).",
            )
        ],
        responses={
            200: StatusOutputSerializer,
            400: OpenApiResponse(description="`history` is not true or false."),
            401: OpenApiResponse(description="A token was sent that is not valid."),
            403: OpenApiResponse(description="Desk staff signed in without two-factor."),
        },
    )
    def get(self, request):
        raw = request.query_params.get("history", "false").strip().lower()
        if raw not in HISTORY_VALUES:
            raise ValidationFailed(
                "history must be true or false.",
                field_errors={"history": ["Give true or false."]},
            )
        context = {"history": HISTORY_VALUES[raw]}
        return Response(self.OutputSerializer(status_board(), context=context).data)
