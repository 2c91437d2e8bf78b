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
from incidents.api import IncidentSummarySerializer
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
from .models import Problem, ProblemReviewCheck
from .selectors import (
    incidents_of_problem,
    problem_list_for,
    problem_queryset,
    problems_of_incident,
    with_incident_counts,
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
    linked_incidents = serializers.ChoiceField(
        choices=Problem.LinkedIncidents.choices,
        required=False,
        default=Problem.LinkedIncidents.LEAVE,
        help_text="`resolve`: resolve the open linked incidents with this resolution in the "
        "same step (their cases get it as a proposed update for the desk); `leave` (default).",
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
    incident_count = serializers.IntegerField(
        read_only=True, default=0, help_text="How many incidents are linked to it."
    )


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
    incident_count = serializers.SerializerMethodField(
        help_text="How many incidents are linked to it."
    )
    review = serializers.SerializerMethodField(
        help_text="The post-resolution review checklist items ticked so far (§6.4 step 10); "
        "closing needs them all."
    )
    actions = serializers.SerializerMethodField(
        help_text="Action endpoints you may call now, e.g. `start` or `resolve`."
    )

    def get_incidents(self, problem) -> list[str]:
        if not hasattr(problem, "_incident_numbers"):
            problem._incident_numbers = list(
                incidents_of_problem(problem).values_list("number", flat=True)
            )
        return problem._incident_numbers

    def get_incident_count(self, problem) -> int:
        return len(self.get_incidents(problem))

    def get_review(self, problem) -> list[str]:
        ticked = set(problem.review_checks.values_list("item", flat=True))
        return [item for item in ProblemReviewCheck.Item.values if item in ticked]

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
        # and one grouped query for the page's linked-incident counts.
        page = with_incident_counts(self.paginate_queryset(problems))
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


@extend_schema_serializer(component_name="ProblemUpdate")
class ProblemUpdateInputSerializer(serializers.Serializer):
    """Record the investigation on an open problem (§6.4 step 6, §6.5); only the fields sent
    change, each journalled. State has its own action endpoints."""

    root_cause = serializers.CharField(
        max_length=COMMENT_MAX_CHARS, required=False, allow_blank=True
    )
    workaround = serializers.CharField(
        max_length=COMMENT_MAX_CHARS,
        required=False,
        allow_blank=True,
        help_text="Whoever raised the problem is told when it changes.",
    )
    category = _Ref("category", queryset=Category.objects.filter(active=True), required=False)
    service = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Service.objects.filter(active=True),
        required=False,
        allow_null=True,
        help_text="The configuration item's code, e.g. `dip`; null to clear.",
    )
    assignment_group = _Ref(
        "resolver group", queryset=ResolverGroup.objects.filter(active=True), required=False
    )
    assigned_to = serializers.SlugRelatedField(
        slug_field="email",
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True),
        required=False,
        allow_null=True,
        help_text="Email of a member of the resolver group; null for nobody.",
    )
    impact = serializers.ChoiceField(choices=Impact.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            refused = {
                name: ["Not a field you can change here."]
                for name in data
                if name not in self.fields
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


class ProblemDetailApi(TicketApiView):
    """One problem (§6.5); and recording its investigation."""

    api_tag = "problems"
    InputSerializer = ProblemUpdateInputSerializer
    OutputSerializer = ProblemDetailSerializer

    @extend_schema(
        operation_id="problems_retrieve",
        responses={200: ProblemDetailSerializer, **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        problem = _problem_get(user=request.user, number=number)
        return Response(self.OutputSerializer(problem, context={"request": request}).data)

    @extend_schema(
        operation_id="problems_partial_update",
        summary="Record a problem's investigation",
        description="Root cause, workaround, configuration item, category, assignment, impact "
        "and urgency (the priority follows by the matrix). Only the fields sent change; the "
        "journal records what did. Open problems only.",
        request=ProblemUpdateInputSerializer,
        responses={200: ProblemDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, number: str):
        problem = _problem_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.problem_update(problem=problem, actor=request.user, **serializer.validated_data)
        problem = _problem_get(user=request.user, number=number)
        return Response(self.OutputSerializer(problem, context={"request": request}).data)


@extend_schema_serializer(component_name="ProblemIncidentLink")
class IncidentLinkInputSerializer(serializers.Serializer):
    incident = serializers.CharField(max_length=20, help_text="The incident's number.")


class ProblemIncidentListApi(TicketApiView):
    """The incidents linked to a problem (§6.2); and linking one more."""

    api_tag = "problems"
    InputSerializer = IncidentLinkInputSerializer
    OutputSerializer = IncidentSummarySerializer

    @extend_schema(
        operation_id="problems_incidents_list",
        responses={200: IncidentSummarySerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        # Queries: auth, the problem, the incidents joined with what they list.
        problem = _problem_get(user=request.user, number=number)
        incidents = incidents_of_problem(problem).select_related(
            "organisation", "assigned_to", "category"
        )
        return Response(self.OutputSerializer(incidents, many=True).data)

    @extend_schema(
        operation_id="problems_incidents_create",
        request=IncidentLinkInputSerializer,
        responses={
            201: IncidentSummarySerializer(many=True),
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, number: str):
        problem = _problem_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = ticket_get_visible(
            Incident.objects.all(), user=request.user, number=serializer.validated_data["incident"]
        )
        services.problem_link_incident(problem=problem, incident=incident, actor=request.user)
        incidents = incidents_of_problem(problem).select_related(
            "organisation", "assigned_to", "category"
        )
        return Response(
            self.OutputSerializer(incidents, many=True).data, status=status.HTTP_201_CREATED
        )


class ProblemIncidentDetailApi(TicketApiView):
    """Unlinking an incident linked to a problem by mistake."""

    api_tag = "problems"

    @extend_schema(
        operation_id="problems_incidents_destroy",
        request=None,
        responses={204: None, **error_responses(400, 401, 403, 404, 409)},
    )
    def delete(self, request, number: str, incident_number: str):
        problem = _problem_get(user=request.user, number=number)
        incident = ticket_get_visible(
            Incident.objects.all(), user=request.user, number=incident_number
        )
        services.problem_unlink_incident(problem=problem, incident=incident, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_serializer(component_name="ProblemProgressUpdate")
class ProgressUpdateInputSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=COMMENT_MAX_CHARS, help_text="The update.")
    customer_visible = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Share with the callers: cases linked to the problem get it as a comment; "
        "cases of its linked incidents get it as a proposed update for the desk.",
    )


@extend_schema_serializer(component_name="ProblemProgressUpdateResult")
class ProgressUpdateSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField(read_only=True)
    body = serializers.CharField(read_only=True)
    customer_visible = serializers.SerializerMethodField()

    def get_customer_visible(self, entry) -> bool:
        return entry.kind == "comment"


class ProblemProgressApi(TicketApiView):
    """Posting a progress update (§6.4 step 7): whoever raised the problem is told."""

    api_tag = "problems"
    InputSerializer = ProgressUpdateInputSerializer
    OutputSerializer = ProgressUpdateSerializer

    @extend_schema(
        operation_id="problems_updates_create",
        request=ProgressUpdateInputSerializer,
        responses={201: ProgressUpdateSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        problem = _problem_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.problem_progress_update_add(
            problem=problem, actor=request.user, **serializer.validated_data
        )
        return Response(self.OutputSerializer(entry).data, status=status.HTTP_201_CREATED)


@extend_schema_serializer(component_name="ProblemReview")
class ReviewSerializer(serializers.Serializer):
    items = serializers.ListField(
        child=serializers.ChoiceField(choices=ProblemReviewCheck.Item.choices),
        max_length=len(ProblemReviewCheck.Item.choices),
        help_text="The checklist items done; an item left out is unticked.",
    )
    complete = serializers.BooleanField(read_only=True)


class ProblemReviewApi(TicketApiView):
    """The post-resolution review checklist (§6.4 step 10): read it, or record the items
    done while the problem is Resolved. Closing needs every item."""

    api_tag = "problems"
    InputSerializer = ReviewSerializer
    OutputSerializer = ReviewSerializer

    def _out(self, items: list[str]) -> Response:
        complete = len(items) == len(ProblemReviewCheck.Item.values)
        return Response(self.OutputSerializer({"items": items, "complete": complete}).data)

    @extend_schema(
        operation_id="problems_review_retrieve",
        responses={200: ReviewSerializer, **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        problem = _problem_get(user=request.user, number=number)
        ticked = set(problem.review_checks.values_list("item", flat=True))
        return self._out([item for item in ProblemReviewCheck.Item.values if item in ticked])

    @extend_schema(
        operation_id="problems_review_update",
        request=ReviewSerializer,
        responses={200: ReviewSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def put(self, request, number: str):
        problem = _problem_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = services.problem_review_record(
            problem=problem, actor=request.user, items=serializer.validated_data["items"]
        )
        return self._out(items)


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
        "problems/<str:number>/incidents/",
        ProblemIncidentListApi.as_view(),
        name="problem_incidents",
    ),
    path(
        "problems/<str:number>/incidents/<str:incident_number>/",
        ProblemIncidentDetailApi.as_view(),
        name="problem_incident_detail",
    ),
    path("problems/<str:number>/updates/", ProblemProgressApi.as_view(), name="problem_updates"),
    path("problems/<str:number>/review/", ProblemReviewApi.as_view(), name="problem_review"),
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
