"""`GET /api/v1/change-schedule/`: the change schedule (§8.9.6 scheduled changes, §8.10.1):
the changes whose planned windows overlap a period, earliest first, each with the changes it
conflicts with on a shared service (§8.9.4). Staff who may read changes only."""

from datetime import timedelta

from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import exceptions, serializers

from tickets.api_common import (
    ServiceRefSerializer,
    TicketListApiView,
    TicketPageNumberPagination,
    error_responses,
)
from tickets.models import Service

from .conflicts import conflicts_by_change
from .models import Change
from .schedule_selectors import may_see_schedule, schedule_for

# A request reads at most a quarter's schedule (the feed's horizon is six months).
MAX_SPAN = timedelta(days=92)
DEFAULT_SPAN = timedelta(days=14)


def _enum(choices) -> dict:
    return {
        "type": "string",
        "enum": list(choices.values),
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices),
    }


# Named components: the change's own states (§8.1.1) differ from the kernel's ticket states.
@extend_schema_field(_enum(Change.State), component_name="ChangeScheduleState")
class ChangeStateField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Change.State.choices, **kwargs)


@extend_schema_serializer(component_name="ChangeScheduleConflict")
class ScheduleConflictSerializer(serializers.Serializer):
    number = serializers.CharField()
    short_description = serializers.CharField()
    state = ChangeStateField()
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    services = serializers.ListField(
        child=serializers.CharField(), help_text="Names of the services both changes affect."
    )


class ChangeScheduleListApi(TicketListApiView):
    """The changes planned in a period, with their schedule conflicts."""

    api_tag = "changes"
    queryset = Change.objects.none()
    pagination_class = TicketPageNumberPagination

    class FilterSerializer(serializers.Serializer):
        start = serializers.DateTimeField(
            required=False, help_text="Start of the period (ISO 8601); default now."
        )
        end = serializers.DateTimeField(
            required=False,
            help_text="End of the period (ISO 8601); default 14 days after the start; at most "
            "92 days after it.",
        )
        service = serializers.SlugRelatedField(
            slug_field="code",
            queryset=Service.objects.all(),
            required=False,
            help_text="Only changes affecting this service (its code, e.g. `dip`).",
        )
        q = serializers.CharField(
            required=False, max_length=160, help_text="A change number or words of its subject."
        )

        def validate(self, data):
            start = data.get("start") or timezone.now()
            try:
                end = data.get("end") or start + DEFAULT_SPAN
            except OverflowError:
                raise serializers.ValidationError(
                    {"start": ["Give a start before the year 9999."]}
                ) from None
            if end <= start:
                raise serializers.ValidationError({"end": ["The end must be after the start."]})
            if end - start > MAX_SPAN:
                raise serializers.ValidationError({"end": ["Ask for at most 92 days at a time."]})
            return {**data, "start": start, "end": end}

    @extend_schema_serializer(component_name="ChangeScheduleEntry")
    class OutputSerializer(serializers.Serializer):
        number = serializers.CharField()
        short_description = serializers.CharField()
        state = ChangeStateField()
        change_type = serializers.ChoiceField(choices=Change.ChangeType.choices)
        category = serializers.CharField(source="category.name", allow_null=True)
        planned_start = serializers.DateTimeField()
        planned_end = serializers.DateTimeField()
        services = ServiceRefSerializer(many=True, source="services.all")
        conflicts = serializers.SerializerMethodField()

        @extend_schema_field(ScheduleConflictSerializer(many=True))
        def get_conflicts(self, change) -> list[dict]:
            conflicts = self.context["conflicts"].get(change.pk, [])
            return ScheduleConflictSerializer(conflicts, many=True).data

    @extend_schema(
        operation_id="change_schedule_list",
        summary="The change schedule of a period, with conflicts (§8.9.4, §8.9.6)",
        parameters=[
            OpenApiParameter(
                "start", OpenApiTypes.DATETIME, description="Start of the period (ISO 8601)."
            ),
            OpenApiParameter(
                "end", OpenApiTypes.DATETIME, description="End of the period (ISO 8601)."
            ),
            OpenApiParameter("service", str, description="A service code, e.g. `dip`."),
            OpenApiParameter("q", str, description="A change number or words."),
        ],
        responses={200: OutputSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        if not may_see_schedule(request.user):
            raise exceptions.PermissionDenied(
                "The change schedule is for staff who work on changes."
            )
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        queryset = schedule_for(
            user=request.user,
            start=data["start"],
            end=data["end"],
            service=data.get("service"),
            search=data.get("q", ""),
        )
        page = self.paginate_queryset(queryset)
        context = {"request": request, "conflicts": conflicts_by_change(page)}
        return self.get_paginated_response(
            self.OutputSerializer(page, many=True, context=context).data
        )


urlpatterns = [
    path("change-schedule/", ChangeScheduleListApi.as_view(), name="change-schedule"),
]
