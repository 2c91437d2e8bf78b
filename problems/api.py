"""REST API v1 for problems (§6): list, raise, read, and the problems of an incident.

Problems are staff records: participants never see them; resolvers see their own groups'
problems, the desk and problem managers all. That is the visibility selector's rule; every
write is a service of `problems.services` (raising, `problem_transition` for the lifecycle
routes the router adds from the registry: start, hold, resume, resolve, reopen, close, cancel).
"""

from django.contrib.auth import get_user_model
from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.models import ResolverGroup
from incidents.models import Incident
from tickets.api_common import (
    CancelReasonField,
    ClassifiedTicketSummarySerializer,
    EnumField,
    IdFilter,
    ResolverGroupRefSerializer,
    ServiceRefSerializer,
    TicketApiView,
    TicketFilterSet,
    TicketListApiView,
    TicketPagination,
    TicketTypeApi,
    TransitionInputSerializer,
    UserRefSerializer,
    available_actions,
    error_responses,
    ticket_get_visible,
)
from tickets.limits import COMMENT_MAX_CHARS, DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import Category, Service
from tickets.priority import Impact, Priority, Urgency

from . import services
from .models import Problem
from .selectors import (
    incidents_of_problem,
    problem_list_for,
    problem_queryset,
    problems_of_incident,
)


def _problem_get(*, user, number: str) -> Problem:
    return ticket_get_visible(problem_queryset(), user=user, number=number)


@extend_schema_field(
    {
        "type": "string",
        "enum": list(Problem.ResolutionCode.values),
        "description": "\n".join(
            f"* `{value}` - {label}" for value, label in Problem.ResolutionCode.choices
        ),
    },
    component_name="ProblemClosureCode",
)
class ClosureCodeField(EnumField):
    """The §6.5 closure code; null on a problem not yet resolved."""

    def __init__(self, **kwargs):
        super().__init__(choices=Problem.ResolutionCode.choices, **kwargs)


@extend_schema_serializer(component_name="ProblemResolve")
class ProblemResolveInputSerializer(TransitionInputSerializer):
    """Resolve a problem (§6.5): the resolution, a closure code and the root cause (unless
    already recorded); a Known Error needs a workaround."""

    notes = serializers.CharField(
        max_length=COMMENT_MAX_CHARS,
        help_text="The resolution: how the problem was resolved or permanently fixed.",
    )
    code = ClosureCodeField(help_text="`resolved` or `known_error` (§6.5).")
    root_cause = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=COMMENT_MAX_CHARS,
        help_text="Required unless already recorded on the problem.",
    )
    workaround = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=COMMENT_MAX_CHARS,
        help_text="Required for a Known Error unless already recorded.",
    )


@extend_schema_serializer(component_name="Problem")
class ProblemSummarySerializer(ClassifiedTicketSummarySerializer):
    """A problem as listed (§6.5)."""

    service = ServiceRefSerializer(
        read_only=True, allow_null=True, help_text="The configuration item (§6.5)."
    )
    assignment_group = ResolverGroupRefSerializer(read_only=True, allow_null=True)
    assigned_to = UserRefSerializer(read_only=True, allow_null=True)
    closure_code = ClosureCodeField(
        source="resolution_code",
        read_only=True,
        allow_null=True,
        help_text="§6.5: `resolved` or `known_error`; null until resolved.",
    )
    opened_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)


@extend_schema_serializer(component_name="ProblemDetail")
class ProblemDetailSerializer(ProblemSummarySerializer):
    """A problem in full, with its linked incidents."""

    description = serializers.CharField(read_only=True)
    root_cause = serializers.CharField(read_only=True)
    workaround = serializers.CharField(read_only=True)
    resolution = serializers.CharField(source="resolution_notes", read_only=True)
    cancel_reason = CancelReasonField(read_only=True, allow_null=True)
    reopen_count = serializers.IntegerField(read_only=True)
    incidents = serializers.SerializerMethodField(help_text="Numbers of the linked incidents.")
    actions = serializers.SerializerMethodField(
        help_text="Action endpoints you may call now, e.g. `start` or `resolve`."
    )

    def get_incidents(self, problem) -> list[str]:
        return list(incidents_of_problem(problem).values_list("number", flat=True))

    def get_actions(self, problem) -> list[str]:
        return available_actions(problem, user=self.context["request"].user)


class ProblemFilterSet(TicketFilterSet):
    priority = filters.MultipleChoiceFilter(
        choices=Priority.choices, help_text="Repeat to match any of several priorities."
    )
    assignment_group = IdFilter(field_name="assignment_group_id", help_text="Resolver group id.")
    category = IdFilter(field_name="category_id", help_text="Category id.")
    service = filters.CharFilter(
        field_name="service__code", max_length=40, help_text="Configuration item code, e.g. `dip`."
    )

    class Meta:
        model = Problem
        fields = [
            "state",
            "priority",
            "assignment_group",
            "category",
            "service",
            "opened_after",
            "opened_before",
            "q",
        ]


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


@extend_schema_serializer(component_name="ProblemCreate")
class ProblemInputSerializer(serializers.Serializer):
    """Raise a problem with the §6.5 mandatory fields; with `incidents`, it is raised from
    them and linked to each."""

    short_description = serializers.CharField(max_length=SUBJECT_MAX_CHARS)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_CHARS)
    category = _Ref("category", queryset=Category.objects.filter(active=True))
    assignment_group = _Ref("resolver group", queryset=ResolverGroup.objects.filter(active=True))
    impact = serializers.ChoiceField(choices=Impact.choices, help_text="1 high, 2 medium, 3 low.")
    urgency = serializers.ChoiceField(choices=Urgency.choices, help_text="1 high, 2 medium, 3 low.")
    service = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Service.objects.filter(active=True),
        required=False,
        allow_null=True,
        help_text="The configuration item's code, e.g. `dip`.",
    )
    assigned_to = serializers.SlugRelatedField(
        slug_field="email",
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True),
        required=False,
        allow_null=True,
        help_text="Email of a member of the resolver group.",
    )
    incidents = serializers.ListField(
        child=serializers.CharField(max_length=20),
        required=False,
        max_length=50,
        help_text="Numbers of incidents it is raised from; each is linked to it.",
    )


@extend_schema_serializer(component_name="ProblemFromIncident")
class ProblemFromIncidentInputSerializer(ProblemInputSerializer):
    """Raise a problem from an incident (§5.5 step 17): anything left out is taken from it."""

    short_description = serializers.CharField(max_length=SUBJECT_MAX_CHARS, required=False)
    description = serializers.CharField(max_length=DESCRIPTION_MAX_CHARS, required=False)
    category = _Ref("category", queryset=Category.objects.filter(active=True), required=False)
    assignment_group = _Ref(
        "resolver group", queryset=ResolverGroup.objects.filter(active=True), required=False
    )
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    incidents = None


def _incidents_by_number(user, numbers: list[str]) -> list[Incident]:
    return [
        ticket_get_visible(Incident.objects.all(), user=user, number=number)
        for number in dict.fromkeys(n.strip().upper() for n in numbers)
    ]


class ProblemListApi(TicketListApiView):
    """Problems you may see: all for the desk and problem managers, your groups' for
    resolvers, none for participants; and raising one."""

    api_tag = "problems"
    filterset_class = ProblemFilterSet
    pagination_class = TicketPagination
    InputSerializer = ProblemInputSerializer
    OutputSerializer = ProblemSummarySerializer

    def get_queryset(self):
        return problem_list_for(user=self.request.user)

    @extend_schema(
        operation_id="problems_list",
        responses={200: ProblemSummarySerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        # Queries: auth, the user's resolver groups when they may not see all (cached), the
        # page of problems joined with group, assignee, category and service.
        problems = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(problems)
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)

    @extend_schema(
        operation_id="problems_create",
        request=ProblemInputSerializer,
        responses={201: ProblemDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        incidents = _incidents_by_number(request.user, data.pop("incidents", []))
        problem = services.problem_raise_from(
            actor=request.user,
            incidents=incidents,
            **data,
        )
        problem = _problem_get(user=request.user, number=problem.number)
        return Response(
            ProblemDetailSerializer(problem, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ProblemDetailApi(TicketApiView):
    """One problem (§6.5)."""

    api_tag = "problems"
    OutputSerializer = ProblemDetailSerializer

    @extend_schema(
        operation_id="problems_retrieve",
        responses={200: ProblemDetailSerializer, **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        problem = _problem_get(user=request.user, number=number)
        return Response(self.OutputSerializer(problem, context={"request": request}).data)


class IncidentProblemListApi(TicketApiView):
    """The problems raised from, or linked to, one incident; and raising one from it
    (§5.5 steps 16–18)."""

    api_tag = "problems"
    InputSerializer = ProblemFromIncidentInputSerializer
    OutputSerializer = ProblemSummarySerializer

    @extend_schema(
        operation_id="incidents_problems_list",
        responses={200: ProblemSummarySerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        incident = ticket_get_visible(Incident.objects.all(), user=request.user, number=number)
        problems = problem_list_for(user=request.user).filter(
            pk__in=problems_of_incident(incident).values("pk")
        )
        return Response(self.OutputSerializer(problems, many=True).data)

    @extend_schema(
        operation_id="incidents_problems_create",
        request=ProblemFromIncidentInputSerializer,
        responses={201: ProblemDetailSerializer, **error_responses(400, 401, 403, 404)},
    )
    def post(self, request, number: str):
        incident = ticket_get_visible(Incident.objects.all(), user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        problem = services.problem_raise_from_incident(
            incident=incident, actor=request.user, **serializer.validated_data
        )
        problem = _problem_get(user=request.user, number=problem.number)
        return Response(
            ProblemDetailSerializer(problem, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


def _problem_transition(*, ticket: Problem, actor, name: str, **data) -> Problem:
    return services.problem_transition(problem=ticket, actor=actor, name=name, **data)


urlpatterns = [
    path("problems/", ProblemListApi.as_view(), name="problem_list"),
    path("problems/<str:number>/", ProblemDetailApi.as_view(), name="problem_detail"),
    path(
        "incidents/<str:number>/problems/",
        IncidentProblemListApi.as_view(),
        name="incident_problems",
    ),
]

# The problem in the API (`TicketType.api`); the router adds a route per lifecycle action.
PROBLEM_API = TicketTypeApi(
    detail_serializer=ProblemDetailSerializer,
    get_ticket=_problem_get,
    transition=_problem_transition,
    urlpatterns=urlpatterns,
)
