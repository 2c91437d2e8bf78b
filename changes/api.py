"""REST API v1 for changes (§8, §9): list, raise (Normal, Emergency, or Standard from the
catalogue), read, edit before authorisation, record approvals; the lifecycle routes the router
adds from the registry (submit, assess, schedule, start-implementation, complete, close,
cancel, mark-unauthorised); the standard-change catalogue; and the change notifications of
external parties (§8.12).

Changes are staff records; every write is a service of `changes.services`.
"""

from django.contrib.auth import get_user_model
from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.models import ResolverGroup
from core.errors import ConcurrentUpdate
from incidents.models import Incident
from problems.models import Problem
from tickets.api_common import (
    BoundedIsoDateTimeFilter,
    CategoryRefSerializer,
    EnumField,
    IdFilter,
    ResolverGroupRefSerializer,
    ServiceRefSerializer,
    TicketApiView,
    TicketListApiView,
    TicketPageNumberPagination,
    TicketPagination,
    TicketTypeApi,
    UserRefSerializer,
    available_actions,
    error_responses,
    ticket_get_visible,
)
from tickets.limits import COMMENT_MAX_CHARS, DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import Category, Service
from tickets.priority import Priority

from . import services
from .models import Change, ChangeApproval, ExternalChangeNotification, StandardChangeTemplate
from .risk import ChangeType, Rating
from .selectors import (
    change_detail_queryset,
    change_list_for,
    external_change_notification_list_for,
    incidents_of_change,
    problems_of_change,
)

API_TAG = "changes"


def _enum(choices, *, blank: bool = False) -> dict:
    values = [*choices.values, *([""] if blank else [])]
    return {
        "type": "string",
        "enum": values,
        "description": "\n".join(f"* `{value}` - {label}" for value, label in choices.choices),
    }


@extend_schema_field(_enum(Change.State), component_name="ChangeState")
class ChangeStateField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=Change.State.choices, **kwargs)


@extend_schema_field(_enum(ChangeType), component_name="ChangeType")
class ChangeTypeField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=ChangeType.choices, **kwargs)


@extend_schema_field(
    {
        "type": "integer",
        "enum": list(Rating.values),
        "description": "\n".join(f"* `{value}` - {label}" for value, label in Rating.choices),
    },
    component_name="ChangeRating",
)
class RatingField(serializers.ChoiceField):
    """1 High, 2 Medium, 3 Low (§8.4–§8.6)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Rating.choices, **kwargs)


@extend_schema_field(_enum(Change.ClosureCode), component_name="ChangeClosureCode")
class ClosureCodeField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=Change.ClosureCode.choices, **kwargs)


@extend_schema_field(
    _enum(Change.ImplementedClosureCode), component_name="ChangeImplementedClosureCode"
)
class ImplementedClosureCodeField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=Change.ImplementedClosureCode.choices, **kwargs)


@extend_schema_field(_enum(ChangeApproval.Kind), component_name="ChangeApprovalKind")
class ApprovalKindField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=ChangeApproval.Kind.choices, **kwargs)


@extend_schema_field(_enum(ChangeApproval.Decision), component_name="ChangeApprovalDecision")
class DecisionField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=ChangeApproval.Decision.choices, **kwargs)


# --- transitions ----------------------------------------------------------------------------


@extend_schema_serializer(component_name="ChangeTransition")
class ChangeTransitionInputSerializer(serializers.Serializer):
    expected_state = ChangeStateField(
        required=False,
        help_text="The state you last saw. If the change has moved on since, the call fails "
        "with 409 `changed_by_someone_else` instead of acting on a stale view.",
    )


@extend_schema_serializer(component_name="ChangeSubmit")
class ChangeSubmitInputSerializer(ChangeTransitionInputSerializer):
    justification = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=COMMENT_MAX_CHARS,
        help_text="Why the change cannot wait: required when it misses the §8.7 lead time.",
    )


@extend_schema_serializer(component_name="ChangeAssess")
class ChangeAssessInputSerializer(ChangeTransitionInputSerializer):
    probability = RatingField(required=False, help_text="Corrected probability (§8.4).")
    impact = RatingField(required=False, help_text="Corrected impact (§8.6).")


@extend_schema_serializer(component_name="ChangeClose")
class ChangeCloseInputSerializer(ChangeTransitionInputSerializer):
    code = ImplementedClosureCodeField(help_text="The change outcome (§8.8, §9.3).")
    notes = serializers.CharField(
        max_length=COMMENT_MAX_CHARS, help_text="The outcome and any issues encountered."
    )


@extend_schema_serializer(component_name="ChangeCancel")
class ChangeCancelInputSerializer(ChangeTransitionInputSerializer):
    notes = serializers.CharField(max_length=COMMENT_MAX_CHARS, help_text="Why it is cancelled.")


@extend_schema_serializer(component_name="ChangeMarkUnauthorised")
class ChangeMarkUnauthorisedInputSerializer(ChangeTransitionInputSerializer):
    notes = serializers.CharField(
        max_length=COMMENT_MAX_CHARS,
        help_text="What was done without authorisation or outside the plan (§8.8).",
    )


_SERVICES = {
    "submit": lambda change, actor, data: services.change_submit(
        change=change, actor=actor, **data
    ),
    "assess": lambda change, actor, data: services.change_assess(
        change=change, actor=actor, **data
    ),
    "schedule": lambda change, actor, data: services.change_schedule(change=change, actor=actor),
    "start_implementation": lambda change, actor, data: services.change_start_implementation(
        change=change, actor=actor
    ),
    "complete": lambda change, actor, data: services.change_complete(change=change, actor=actor),
    "close": lambda change, actor, data: services.change_close(change=change, actor=actor, **data),
    "cancel": lambda change, actor, data: services.change_cancel(
        change=change, actor=actor, **data
    ),
    "mark_unauthorised": lambda change, actor, data: services.change_mark_unauthorised(
        change=change, actor=actor, **data
    ),
}


def _change_transition(*, ticket: Change, actor, name: str, expected_state=None, **data):
    if expected_state and expected_state != ticket.state:
        raise ConcurrentUpdate(
            f"{ticket.number} was changed by someone else (it is now "
            f"{ticket.get_state_display()}); reload it and try again."
        )
    return _SERVICES[name](ticket, actor, data)


def _change_get(*, user, number: str) -> Change:
    return ticket_get_visible(change_detail_queryset(), user=user, number=number)


# --- reading --------------------------------------------------------------------------------


@extend_schema_serializer(component_name="Change")
class ChangeSummarySerializer(serializers.Serializer):
    """A change as listed (§8.3, §8.10.1)."""

    number = serializers.CharField(read_only=True)
    change_type = ChangeTypeField(read_only=True)
    short_description = serializers.CharField(read_only=True)
    state = ChangeStateField(read_only=True)
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    probability = RatingField(read_only=True, allow_null=True)
    impact = RatingField(read_only=True, allow_null=True)
    risk = RatingField(read_only=True, allow_null=True, help_text="By the §8.4 matrix.")
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True, allow_null=True)
    cab_required = serializers.BooleanField(read_only=True, help_text="§8.9.2.")
    cab_date = serializers.DateField(read_only=True, allow_null=True)
    is_late = serializers.BooleanField(read_only=True, help_text="Missed the §8.7 lead time.")
    planned_start = serializers.DateTimeField(read_only=True, allow_null=True)
    planned_end = serializers.DateTimeField(read_only=True, allow_null=True)
    requested_by = UserRefSerializer(read_only=True, allow_null=True)
    assignment_group = ResolverGroupRefSerializer(read_only=True, allow_null=True)
    assigned_to = UserRefSerializer(read_only=True, allow_null=True)
    closure_code = ClosureCodeField(read_only=True, allow_null=True)
    opened_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(component_name="ChangeApproval")
class ApprovalSerializer(serializers.Serializer):
    approver = UserRefSerializer(read_only=True)
    kind = ApprovalKindField(read_only=True)
    decision = DecisionField(read_only=True)
    comment = serializers.CharField(read_only=True)
    at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(component_name="ChangeDetail")
class ChangeDetailSerializer(ChangeSummarySerializer):
    """A change in full: the §8.3 / §9.2 fields, approvals, links and the actions open now."""

    description = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)
    urgency = RatingField(read_only=True, allow_null=True)
    window_start = serializers.DateTimeField(read_only=True, allow_null=True)
    window_end = serializers.DateTimeField(read_only=True, allow_null=True)
    services = ServiceRefSerializer(many=True, read_only=True)
    implementation_plan = serializers.CharField(read_only=True)
    test_plan = serializers.CharField(read_only=True)
    backout_plan = serializers.CharField(read_only=True)
    template = serializers.SerializerMethodField(help_text="The standard change's template.")
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    late_justification = serializers.CharField(read_only=True)
    authorised_at = serializers.DateTimeField(read_only=True, allow_null=True)
    authorised_by = UserRefSerializer(read_only=True, allow_null=True)
    authorised_via = serializers.SerializerMethodField(
        help_text="The authority that authorised it (§8.7, §8.9, §9.4.3), or null."
    )
    actual_start = serializers.DateTimeField(read_only=True, allow_null=True)
    actual_end = serializers.DateTimeField(read_only=True, allow_null=True)
    closure_notes = serializers.CharField(read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)
    incidents = serializers.SerializerMethodField(help_text="Numbers of incidents it fixes.")
    problems = serializers.SerializerMethodField(help_text="Numbers of problems it fixes.")
    actions = serializers.SerializerMethodField(
        help_text="Action endpoints you may call now, e.g. `submit` or `close`."
    )

    def get_template(self, change) -> str | None:
        return change.template.name if change.template_id else None

    def get_authorised_via(self, change) -> str | None:
        return change.authorised_via or None

    def get_incidents(self, change) -> list[str]:
        return list(incidents_of_change(change).values_list("number", flat=True))

    def get_problems(self, change) -> list[str]:
        return list(problems_of_change(change).values_list("number", flat=True))

    def get_actions(self, change) -> list[str]:
        return available_actions(change, user=self.context["request"].user)


class ChangeFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(
        choices=Change.State.choices, help_text="Repeat to match any of several states."
    )
    change_type = filters.MultipleChoiceFilter(choices=ChangeType.choices)
    risk = filters.MultipleChoiceFilter(choices=Rating.choices)
    cab_required = filters.BooleanFilter()
    is_late = filters.BooleanFilter()
    category = IdFilter(field_name="category_id", help_text="Category id.")
    assignment_group = IdFilter(field_name="assignment_group_id", help_text="Resolver group id.")
    planned_after = BoundedIsoDateTimeFilter(
        field_name="planned_start", lookup_expr="gte", help_text="ISO 8601 with a timezone."
    )
    planned_before = BoundedIsoDateTimeFilter(
        field_name="planned_start", lookup_expr="lt", help_text="ISO 8601 with a timezone."
    )
    q = filters.CharFilter(
        method="filter_q", max_length=160, help_text="Text in the number or the subject."
    )

    class Meta:
        model = Change
        fields = [
            "state",
            "change_type",
            "risk",
            "cab_required",
            "is_late",
            "category",
            "assignment_group",
            "planned_after",
            "planned_before",
            "q",
        ]

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(short_description__icontains=value))


# --- writing --------------------------------------------------------------------------------


class _Ref(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": "There is no such {name} (id {pk_value}).",
        "incorrect_type": "Give the {name}'s id as a whole number.",
    }

    def __init__(self, name: str, **kwargs):
        super().__init__(**kwargs)
        self.error_messages = {
            key: message.replace("{name}", name) for key, message in self.error_messages.items()
        }


def _staff_by_email(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="email",
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True),
        **kwargs,
    )


def _services_field(**kwargs):
    return serializers.SlugRelatedField(
        slug_field="code",
        queryset=Service.objects.filter(active=True),
        many=True,
        help_text="Codes of the affected services, e.g. `dip`.",
        **kwargs,
    )


class _StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            refused = {
                name: ["Not a field you can set here."] for name in data if name not in self.fields
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


class _ChangeFieldsSerializer(_StrictSerializer):
    short_description = serializers.CharField(max_length=SUBJECT_MAX_CHARS)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_CHARS)
    category = _Ref("category", queryset=Category.objects.filter(active=True), required=False)
    reason = serializers.CharField(
        max_length=DESCRIPTION_MAX_CHARS, required=False, allow_blank=True
    )
    probability = RatingField(required=False, allow_null=True)
    impact = RatingField(required=False, allow_null=True)
    urgency = RatingField(required=False, allow_null=True)
    requested_by = _staff_by_email(
        required=False, help_text="Email of who requested it; you by default."
    )
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    window_start = serializers.DateTimeField(required=False, allow_null=True)
    window_end = serializers.DateTimeField(required=False, allow_null=True)
    services = _services_field(required=False)
    implementation_plan = serializers.CharField(
        max_length=DESCRIPTION_MAX_CHARS, required=False, allow_blank=True
    )
    test_plan = serializers.CharField(
        max_length=DESCRIPTION_MAX_CHARS, required=False, allow_blank=True
    )
    backout_plan = serializers.CharField(
        max_length=DESCRIPTION_MAX_CHARS, required=False, allow_blank=True
    )
    assignment_group = _Ref(
        "resolver group",
        queryset=ResolverGroup.objects.filter(active=True),
        required=False,
        allow_null=True,
    )
    assigned_to = _staff_by_email(required=False, allow_null=True)


@extend_schema_serializer(component_name="ChangeCreate")
class ChangeCreateInputSerializer(_ChangeFieldsSerializer):
    """Raise a Normal or Emergency change as a draft (New); the §8.3 mandatory fields are
    needed to submit it. `incidents` and `problems` it fixes are linked."""

    change_type = serializers.ChoiceField(
        choices=[(ChangeType.NORMAL, "Normal"), (ChangeType.EMERGENCY, "Emergency")],
        help_text="`normal` or `emergency`; standard changes: `POST changes/standard/`.",
    )
    incidents = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=50
    )
    problems = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, max_length=50
    )


@extend_schema_serializer(component_name="ChangeUpdate")
class ChangeUpdateInputSerializer(_ChangeFieldsSerializer):
    """Edit a change while New or in Assess; only the fields sent change, each journalled."""

    short_description = serializers.CharField(max_length=SUBJECT_MAX_CHARS, required=False)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_CHARS, required=False)


@extend_schema_serializer(component_name="StandardChangeCreate")
class StandardChangeCreateInputSerializer(_StrictSerializer):
    """Raise a Standard change from an accepted catalogue template (§8.1.2)."""

    template = _Ref(
        "standard change",
        queryset=StandardChangeTemplate.objects.all(),
        help_text="Id of an accepted catalogue template.",
    )
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    window_start = serializers.DateTimeField(required=False, allow_null=True)
    window_end = serializers.DateTimeField(required=False, allow_null=True)
    urgency = RatingField(required=False)
    requested_by = _staff_by_email(required=False)
    assignment_group = _Ref(
        "resolver group",
        queryset=ResolverGroup.objects.filter(active=True),
        required=False,
        allow_null=True,
    )
    assigned_to = _staff_by_email(required=False, allow_null=True)


def _tickets_by_number(user, model, numbers: list[str]):
    return [
        ticket_get_visible(model.objects.all(), user=user, number=number)
        for number in dict.fromkeys(n.strip().upper() for n in numbers)
    ]


def _created(request, change: Change) -> Response:
    change = _change_get(user=request.user, number=change.number)
    return Response(
        ChangeDetailSerializer(change, context={"request": request}).data,
        status=status.HTTP_201_CREATED,
    )


class ChangeListApi(TicketListApiView):
    """Changes you may see (staff), newest first; and raising a Normal or Emergency change."""

    api_tag = API_TAG
    filterset_class = ChangeFilterSet
    pagination_class = TicketPagination
    InputSerializer = ChangeCreateInputSerializer
    OutputSerializer = ChangeSummarySerializer

    def get_queryset(self):
        return change_list_for(user=self.request.user)

    @extend_schema(
        operation_id="changes_list",
        responses={200: ChangeSummarySerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        # Queries: auth, the page of changes joined with category, group, assignee, requester.
        changes = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.OutputSerializer(changes, many=True).data)

    @extend_schema(
        operation_id="changes_create",
        request=ChangeCreateInputSerializer,
        responses={201: ChangeDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incidents = _tickets_by_number(request.user, Incident, data.pop("incidents", []))
        problems = _tickets_by_number(request.user, Problem, data.pop("problems", []))
        change = services.change_create(
            actor=request.user, incidents=incidents, problems=problems, **data
        )
        return _created(request, change)


class StandardChangeCreateApi(TicketApiView):
    """Raising a Standard change from the catalogue (§8.1.2)."""

    api_tag = API_TAG
    InputSerializer = StandardChangeCreateInputSerializer

    @extend_schema(
        operation_id="changes_standard_create",
        request=StandardChangeCreateInputSerializer,
        responses={201: ChangeDetailSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change = services.standard_change_from_template(
            actor=request.user, **serializer.validated_data
        )
        return _created(request, change)


class ChangeDetailApi(TicketApiView):
    """One change (§8.3); and editing it while New or in Assess."""

    api_tag = API_TAG
    InputSerializer = ChangeUpdateInputSerializer
    OutputSerializer = ChangeDetailSerializer

    @extend_schema(
        operation_id="changes_retrieve",
        responses={200: ChangeDetailSerializer, **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        change = _change_get(user=request.user, number=number)
        return Response(self.OutputSerializer(change, context={"request": request}).data)

    @extend_schema(
        operation_id="changes_partial_update",
        request=ChangeUpdateInputSerializer,
        responses={200: ChangeDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, number: str):
        change = _change_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.change_update(change=change, actor=request.user, **serializer.validated_data)
        change = _change_get(user=request.user, number=number)
        return Response(self.OutputSerializer(change, context={"request": request}).data)


@extend_schema_serializer(component_name="ChangeApprovalCreate")
class ApprovalInputSerializer(serializers.Serializer):
    kind = ApprovalKindField(
        help_text="The authority you decide under: `change_manager` (Low risk and Low impact "
        "Normal, §8.7), `cab` (§8.9.2), `ecab` (Emergency, §9.4) or `mim_out_of_hours` (§9.4.3)."
    )
    decision = DecisionField(help_text="`approve` authorises; `reject` cancels; `more_info`.")
    comment = serializers.CharField(
        max_length=COMMENT_MAX_CHARS,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required to reject or ask for more information.",
    )


class ChangeApprovalListApi(TicketApiView):
    """A change's approval decisions (§8.3 Approval fields); and recording one."""

    api_tag = API_TAG
    InputSerializer = ApprovalInputSerializer
    OutputSerializer = ApprovalSerializer

    @extend_schema(
        operation_id="changes_approvals_list",
        responses={200: ApprovalSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        change = _change_get(user=request.user, number=number)
        return Response(self.OutputSerializer(change.approvals.all(), many=True).data)

    @extend_schema(
        operation_id="changes_approvals_create",
        request=ApprovalInputSerializer,
        responses={201: ChangeDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        change = _change_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_record_approval(
            change=change, actor=request.user, **serializer.validated_data
        )
        return _created(request, change)


# --- the standard-change catalogue ----------------------------------------------------------


@extend_schema_serializer(component_name="StandardChangeTemplate")
class TemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    short_description = serializers.CharField(read_only=True)
    category = CategoryRefSerializer(read_only=True)
    risk = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=StandardChangeTemplate.State.choices, read_only=True)

    def get_risk(self, template) -> int:
        from .risk import risk_for

        return int(risk_for(template.probability, template.impact))


class StandardChangeTemplateListApi(TicketListApiView):
    """The catalogue of accepted Standard changes (§8.1.2), by name."""

    api_tag = API_TAG
    pagination_class = TicketPageNumberPagination
    OutputSerializer = TemplateSerializer

    def get_queryset(self):
        if not self.request.user.has_perm("changes.view_standardchangetemplate"):
            return StandardChangeTemplate.objects.none()
        return (
            StandardChangeTemplate.objects.filter(state=StandardChangeTemplate.State.ACCEPTED)
            .select_related("category")
            .order_by("name", "pk")
        )

    @extend_schema(
        operation_id="changes_standard_templates_list",
        responses={200: TemplateSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)


# --- external change notifications (§8.12) ---------------------------------------------------


@extend_schema_serializer(component_name="ExternalChangeNotification")
class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    external_reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    planned_start = serializers.DateTimeField(read_only=True)
    planned_end = serializers.DateTimeField(read_only=True)
    impact = serializers.CharField(read_only=True)
    contact = serializers.CharField(read_only=True)
    organisation = serializers.CharField(source="organisation.name", read_only=True, default=None)
    state = serializers.ChoiceField(
        choices=ExternalChangeNotification.State.choices, read_only=True
    )
    received_at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(component_name="ExternalChangeNotificationCreate")
class NotificationInputSerializer(_StrictSerializer):
    external_reference = serializers.CharField(
        max_length=60, required=False, default="", allow_blank=True
    )
    title = serializers.CharField(max_length=SUBJECT_MAX_CHARS)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_CHARS)
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    impact = serializers.CharField(
        max_length=DESCRIPTION_MAX_CHARS, required=False, default="", allow_blank=True
    )
    contact = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    services = _services_field(required=False)


class ExternalChangeNotificationListApi(TicketListApiView):
    """Change notifications from external parties (§8.12): sending one (integration and
    participant accounts), and reading them (the Change Manager all; a party its own)."""

    api_tag = API_TAG
    pagination_class = TicketPageNumberPagination
    InputSerializer = NotificationInputSerializer
    OutputSerializer = NotificationSerializer

    def get_queryset(self):
        return external_change_notification_list_for(user=self.request.user)

    @extend_schema(
        operation_id="change_notifications_list",
        responses={200: NotificationSerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="change_notifications_create",
        request=NotificationInputSerializer,
        responses={201: NotificationSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        notification = services.external_change_notification_submit(
            actor=request.user, **serializer.validated_data
        )
        return Response(self.OutputSerializer(notification).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("changes/", ChangeListApi.as_view(), name="change-list"),
    path("changes/standard/", StandardChangeCreateApi.as_view(), name="change-standard-create"),
    path(
        "changes/standard-templates/",
        StandardChangeTemplateListApi.as_view(),
        name="change-standard-templates",
    ),
    path(
        "change-notifications/",
        ExternalChangeNotificationListApi.as_view(),
        name="change-notification-list",
    ),
    path("changes/<str:number>/", ChangeDetailApi.as_view(), name="change-detail"),
    path(
        "changes/<str:number>/approvals/",
        ChangeApprovalListApi.as_view(),
        name="change-approvals",
    ),
]

CHANGE_API = TicketTypeApi(
    detail_serializer=ChangeDetailSerializer,
    get_ticket=_change_get,
    transition=_change_transition,
    urlpatterns=urlpatterns,
)
