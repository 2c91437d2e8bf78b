"""REST API v1 for incidents: raise, list, read, correct, assign, engage people, move through
the lifecycle and write the incident report (§5, §5.5, §5.7, §5.17, Appendix G).

Incidents are the technical teams' records: participants never see them (they hear through
their case), resolvers see their own groups' incidents, the desk sees all, and an integration
account (a monitoring tool, another desk) whose token carries the "incidents" area raises and
reads them. That is the visibility selector's and the token's rule; every write is a service
of `incidents.services`: raising (`incident_create`), correcting (`incident_update`),
assignment (`incident_assign`), lifecycle (`incident_transition`), re-prioritisation
(`incident_classify`, §3.8), work notes (`incident_work_note_add`, staff only; they never
leave the desk), engagements (`incident_engage`) and the report (`incident_report_write`).
"""

from collections.abc import Mapping

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import path, reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.models import Organisation, ResolverGroup
from core.errors import ActionNotPermitted, TicketNotFound
from tickets.api_common import (
    CancelReasonField,
    ClassifiedTicketSummarySerializer,
    EnumField,
    IdFilter,
    JournalEntrySerializer,
    OrganisationRefSerializer,
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
    is_desk_user,
    ticket_get_visible,
    visible_queryset,
)
from tickets.limits import COMMENT_MAX_CHARS, DESCRIPTION_MAX_CHARS, ID_MAX, SUBJECT_MAX_CHARS
from tickets.models import Category, JournalEntry, Service, Subcategory, Ticket
from tickets.priority import Impact, Priority, Urgency
from tickets.selectors import journal_for

from . import services
from .models import Incident, IncidentAssignment, IncidentEngagement
from .selectors import incident_engagements_for, incident_report_for

User = get_user_model()

# How many systems one incident may name as affected: every service the desk supports, with
# room to grow; a longer list is a mistake, refused before it reaches the database.
MAX_SERVICES = 50


def _incident_queryset():
    return Incident.objects.select_related(
        "category", "organisation", "assignment_group", "assigned_to"
    ).order_by("-opened_at", "-pk")


def _incident_detail_queryset():
    """One incident in full: its relations joined, its systems affected, assignment history
    and engagements read in one query each."""
    return (
        _incident_queryset()
        .select_related("subcategory", "caller")
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.order_by("sort_order", "name")),
            Prefetch(
                "assignments",
                queryset=IncidentAssignment.objects.select_related(
                    "from_group", "from_person", "to_group", "to_person", "assigned_by"
                ).order_by("assigned_at", "id"),
            ),
            Prefetch(
                "engagements",
                queryset=IncidentEngagement.objects.select_related("person", "engaged_by").order_by(
                    "engaged_at", "id"
                ),
            ),
        )
    )


def _incident_get(*, user, number: str) -> Incident:
    return ticket_get_visible(_incident_detail_queryset(), user=user, number=number)


def _incident_get_plain(*, user, number: str) -> Incident:
    """The incident alone, for endpoints that answer with something else."""
    return ticket_get_visible(_incident_queryset(), user=user, number=number)


def _require_desk(user, what: str) -> None:
    if not is_desk_user(user):
        raise ActionNotPermitted(f"{what} is for the service desk and resolver groups.")


# --- enum and reference fields ---------------------------------------------------------------


def _string_enum(choices, *, blank: str = "") -> dict:
    values = list(choices.values)
    lines = [f"* `{value}` - {label}" for value, label in choices.choices]
    if blank:
        values.append("")
        lines.append(f"* `` - {blank}")
    return {"type": "string", "enum": values, "description": "\n".join(lines)}


@extend_schema_field(
    _string_enum(Incident.DetectionMethod, blank="not recorded"),
    component_name="IncidentDetectionMethod",
)
class DetectionMethodField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=Incident.DetectionMethod.choices, **kwargs)


@extend_schema_field(
    {
        "type": "integer",
        "enum": list(Incident.Severity.values),
        "description": "\n".join(f"* `{v}` - {label}" for v, label in Incident.Severity.choices),
    },
    component_name="IncidentSeverity",
)
class SeverityField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=Incident.Severity.choices, **kwargs)


@extend_schema_field(_string_enum(IncidentEngagement.Role), component_name="EngagementRole")
class EngagementRoleField(EnumField):
    def __init__(self, **kwargs):
        super().__init__(choices=IncidentEngagement.Role.choices, **kwargs)


@extend_schema_field(_string_enum(Ticket.ResolutionCode), component_name="CloseCode")
class CloseCodeField(EnumField):
    """A resolution code, required: an incident is resolved with its close code (§5.5)."""

    def __init__(self, **kwargs):
        super().__init__(choices=Ticket.ResolutionCode.choices, **kwargs)


def _is_digits(text: str) -> bool:
    """Plain digits 0–9 only: `"²".isdigit()` is true, and `int("²")` fails."""
    return text.isascii() and text.isdigit()


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class ObjectIdField(serializers.Field):
    """A record by id: a whole number in the key range, then the row, else 400 naming it."""

    default_error_messages = {"invalid": "Give a whole-number id."}

    def __init__(self, *, queryset, noun: str, **kwargs):
        super().__init__(**kwargs)
        self.queryset, self.noun = queryset, noun

    def to_internal_value(self, data):
        if isinstance(data, int) and not isinstance(data, bool):
            pk = data
        elif isinstance(data, str) and _is_digits(data.strip()) and len(data.strip()) <= 19:
            pk = int(data.strip())
        else:
            self.fail("invalid")
        found = self.queryset.filter(pk=pk).first() if 1 <= pk <= ID_MAX else None
        if found is None:
            raise serializers.ValidationError(f"There is no {self.noun} with id {pk}.")
        return found

    def to_representation(self, value):
        return value.pk


@extend_schema_field({"type": "string", "format": "email", "maxLength": 254})
class AccountEmailField(serializers.Field):
    """An account by its email address, else 400 naming the field."""

    default_error_messages = {"invalid": "Give an email address."}

    def __init__(self, *, staff_only: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.staff_only = staff_only

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 254:
            self.fail("invalid")
        email = data.strip()
        try:
            validate_email(email)
        except DjangoValidationError:
            self.fail("invalid")
        accounts = User.objects.filter(email__iexact=email, is_active=True)
        if self.staff_only:
            accounts = accounts.filter(is_staff=True)
        found = accounts.first()
        if found is None:
            kind = "desk staff account" if self.staff_only else "active account"
            raise serializers.ValidationError(f"There is no {kind} with the address {email}.")
        return found

    def to_representation(self, value):
        return value.email


class ServiceCodesField(serializers.ListField):
    """Systems affected by their codes ("dip", "isd"); unknown codes are refused by name."""

    def __init__(self, **kwargs):
        super().__init__(
            child=serializers.SlugField(max_length=40),
            max_length=MAX_SERVICES,
            help_text="Codes of the systems affected (§5.7), e.g. `dip`; the service list "
            "is data the service managers keep.",
            **kwargs,
        )

    def to_internal_value(self, data):
        codes = list(dict.fromkeys(super().to_internal_value(data)))
        found = {service.code: service for service in Service.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            known = ", ".join(Service.objects.filter(active=True).values_list("code", flat=True))
            raise serializers.ValidationError(
                f"Unknown service code: {', '.join(unknown)}. Choose from: {known}."
            )
        return [found[code] for code in codes]


# --- output ----------------------------------------------------------------------------------


class SubcategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


@extend_schema_serializer(component_name="IncidentAssignment")
class IncidentAssignmentSerializer(serializers.Serializer):
    """One step of the assignment history (Appendix G); the first is where it was raised to."""

    from_group = ResolverGroupRefSerializer(read_only=True, allow_null=True)
    from_person = UserRefSerializer(read_only=True, allow_null=True)
    to_group = ResolverGroupRefSerializer(read_only=True)
    to_person = UserRefSerializer(read_only=True, allow_null=True)
    reason = serializers.CharField(read_only=True)
    assigned_by = UserRefSerializer(read_only=True, allow_null=True)
    assigned_at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(component_name="IncidentEngagement")
class IncidentEngagementSerializer(serializers.Serializer):
    """Someone engaged on the incident (§5.5 step 7, §5.17)."""

    id = serializers.IntegerField(read_only=True)
    role = EngagementRoleField(read_only=True)
    person = UserRefSerializer(
        read_only=True, allow_null=True, help_text="Desk staff engaged by account."
    )
    contact_name = serializers.CharField(read_only=True)
    contact_details = serializers.CharField(read_only=True)
    note = serializers.CharField(read_only=True)
    engaged_by = UserRefSerializer(read_only=True, allow_null=True)
    engaged_at = serializers.DateTimeField(read_only=True)
    released_at = serializers.DateTimeField(read_only=True, allow_null=True)


@extend_schema_serializer(component_name="IncidentReport")
class IncidentReportSerializer(serializers.Serializer):
    """The incident report of §5.5 step 16."""

    fix_summary = serializers.CharField(read_only=True)
    cause = serializers.CharField(read_only=True)
    problem_needed = serializers.BooleanField(read_only=True)
    problem_reason = serializers.CharField(read_only=True)
    written_by = UserRefSerializer(read_only=True, allow_null=True)
    written_at = serializers.DateTimeField(read_only=True)
    updated_by = UserRefSerializer(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(component_name="Incident")
class IncidentSummarySerializer(ClassifiedTicketSummarySerializer):
    """An incident as listed."""

    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)
    assignment_group = ResolverGroupRefSerializer(read_only=True, allow_null=True)
    assigned_to = UserRefSerializer(read_only=True, allow_null=True)
    opened_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)


@extend_schema_serializer(component_name="IncidentDetail")
class IncidentDetailSerializer(IncidentSummarySerializer):
    """An incident in full: its §5.4 and §5.7 fields, assignment history and people engaged."""

    description = serializers.CharField(read_only=True)
    subcategory = SubcategoryRefSerializer(read_only=True, allow_null=True)
    caller = UserRefSerializer(read_only=True, allow_null=True)
    detected_at = serializers.DateTimeField(read_only=True, allow_null=True)
    detection_method = DetectionMethodField(read_only=True, allow_null=True)
    services = ServiceRefSerializer(
        many=True, read_only=True, help_text="The systems affected (§5.7)."
    )
    symptoms = serializers.CharField(read_only=True)
    initial_severity = SeverityField(read_only=True, allow_null=True)
    resolution_code = serializers.CharField(read_only=True)
    resolution_notes = serializers.CharField(read_only=True)
    cancel_reason = CancelReasonField(read_only=True, allow_null=True)
    reopen_count = serializers.IntegerField(read_only=True)
    assignments = IncidentAssignmentSerializer(
        many=True, read_only=True, help_text="Assignment history, oldest first."
    )
    engagements = IncidentEngagementSerializer(
        many=True, read_only=True, help_text="People engaged, released or not."
    )
    actions = serializers.SerializerMethodField(
        help_text="Action endpoints you may call now, e.g. `start` or `resolve`."
    )

    def get_actions(self, incident) -> list[str]:
        return available_actions(incident, user=self.context["request"].user)


def _detail(incident: Incident, request, *, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(
        IncidentDetailSerializer(incident, context={"request": request}).data, status=status_code
    )


# --- input -----------------------------------------------------------------------------------


def _category_field(**kwargs):
    return ObjectIdField(
        queryset=Category.objects.all(),
        noun="category",
        help_text="Category id (§5.16).",
        **kwargs,
    )


def _subcategory_field(**kwargs):
    return ObjectIdField(
        queryset=Subcategory.objects.select_related("category"),
        noun="subcategory",
        allow_null=True,
        help_text="Subcategory id; it must belong to the category.",
        **kwargs,
    )


class _LoggingFieldsSerializer(serializers.Serializer):
    """The §5.7 logging fields, common to raising and correcting an incident."""

    detected_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When the failure was first detected (ISO 8601); not in the future.",
    )
    detection_method = DetectionMethodField(required=False, allow_blank=True)
    services = ServiceCodesField(required=False)
    symptoms = serializers.CharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_CHARS
    )
    initial_severity = SeverityField(required=False, allow_null=True)


@extend_schema_serializer(component_name="IncidentCreate")
class IncidentCreateInputSerializer(_LoggingFieldsSerializer):
    """Raising an incident: the §5.4 mandatory fields, the §5.7 logging fields, the resolver
    group and the impact and urgency that give its priority (§3.8)."""

    category = _category_field()
    subcategory = _subcategory_field(required=False)
    short_description = serializers.CharField(max_length=SUBJECT_MAX_CHARS, help_text="Subject.")
    description = serializers.CharField(max_length=DESCRIPTION_MAX_CHARS)
    impact = serializers.ChoiceField(choices=Impact.choices, help_text="1 high, 2 medium, 3 low.")
    urgency = serializers.ChoiceField(choices=Urgency.choices, help_text="1 high, 2 medium, 3 low.")
    assignment_group = ObjectIdField(
        queryset=ResolverGroup.objects.all(),
        noun="resolver group",
        help_text="Id of the resolver group that will work it.",
    )
    assigned_to = AccountEmailField(
        staff_only=True,
        required=False,
        allow_null=True,
        help_text="Email of a member of the group to give it to.",
    )
    organisation = ObjectIdField(
        queryset=Organisation.objects.all(),
        noun="organisation",
        required=False,
        allow_null=True,
        help_text="Organisation affected; defaults to the caller's.",
    )
    caller = AccountEmailField(
        required=False, allow_null=True, help_text="Email of the person who reported it."
    )


# The fields a PATCH may not change, and where they are changed instead.
_CHANGED_ELSEWHERE = {
    "impact": "Change impact and urgency with POST …/classify/.",
    "urgency": "Change impact and urgency with POST …/classify/.",
    "priority": "The priority follows impact and urgency: POST …/classify/.",
    "assignment_group": "Reassign with POST …/assign/.",
    "assigned_to": "Reassign with POST …/assign/.",
    "state": "Move it through its lifecycle with the action endpoints.",
}


@extend_schema_serializer(component_name="IncidentUpdate")
class IncidentUpdateInputSerializer(_LoggingFieldsSerializer):
    """Correcting what the incident records; only the fields sent are changed."""

    short_description = serializers.CharField(
        max_length=SUBJECT_MAX_CHARS, required=False, help_text="Subject."
    )
    description = serializers.CharField(max_length=DESCRIPTION_MAX_CHARS, required=False)
    category = _category_field(required=False)
    subcategory = _subcategory_field(required=False)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            refused = {
                name: [_CHANGED_ELSEWHERE.get(name, "Not a field you can change here.")]
                for name in data
                if name not in self.fields
            }
            if refused:
                raise serializers.ValidationError(refused)
        return super().to_internal_value(data)


@extend_schema_serializer(component_name="IncidentResolve")
class IncidentResolveInputSerializer(TransitionInputSerializer):
    """Resolving an incident takes its resolution notes and a close code (§5.5 steps 13–15)."""

    notes = serializers.CharField(
        max_length=COMMENT_MAX_CHARS,
        help_text="Resolution notes; proposed to the desk for each open linked case (Appendix G).",
    )
    code = CloseCodeField(help_text="How it was resolved (the close code).")


@extend_schema_serializer(component_name="IncidentAssign")
class IncidentAssignInputSerializer(serializers.Serializer):
    assignment_group = ObjectIdField(
        queryset=ResolverGroup.objects.all(), noun="resolver group", help_text="Resolver group id."
    )
    assigned_to = AccountEmailField(
        staff_only=True,
        required=False,
        allow_null=True,
        help_text="Email of a member of the group; leave out for the group as a whole.",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=services.REASON_MAX_CHARS,
        help_text="Why it moves; kept in the assignment history.",
    )


@extend_schema_serializer(component_name="IncidentEngagementCreate")
class IncidentEngageInputSerializer(serializers.Serializer):
    role = EngagementRoleField()
    person = AccountEmailField(
        staff_only=True,
        required=False,
        allow_null=True,
        help_text="Email of desk staff to engage (they are told); or name a contact instead.",
    )
    contact_name = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=services.ENGAGEMENT_TEXT_LIMITS["contact_name"],
        help_text="A contact outside the portal (a service user's support team).",
    )
    contact_details = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=services.ENGAGEMENT_TEXT_LIMITS["contact_details"],
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=services.ENGAGEMENT_TEXT_LIMITS["note"],
    )


@extend_schema_serializer(component_name="IncidentReportWrite")
class IncidentReportInputSerializer(serializers.Serializer):
    fix_summary = serializers.CharField(max_length=DESCRIPTION_MAX_CHARS)
    cause = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=DESCRIPTION_MAX_CHARS
    )
    problem_needed = serializers.BooleanField(
        help_text="Whether a problem record is needed (§5.5 step 17)."
    )
    problem_reason = serializers.CharField(
        max_length=DESCRIPTION_MAX_CHARS, help_text="Why a problem record is, or is not, needed."
    )


# --- list and create -------------------------------------------------------------------------


class IncidentFilterSet(TicketFilterSet):
    priority = filters.MultipleChoiceFilter(
        choices=Priority.choices, help_text="Repeat to match any of several priorities."
    )
    assignment_group = IdFilter(field_name="assignment_group_id", help_text="Resolver group id.")
    category = IdFilter(field_name="category_id", help_text="Category id.")
    subcategory = IdFilter(field_name="subcategory_id", help_text="Subcategory id.")
    service = filters.CharFilter(
        method="filter_service", max_length=40, help_text="Code of a system affected, e.g. dip."
    )

    class Meta:
        model = Incident
        fields = [
            "state",
            "priority",
            "assignment_group",
            "category",
            "subcategory",
            "service",
            "opened_after",
            "opened_before",
            "q",
        ]

    def filter_service(self, queryset, name: str, value: str):
        value = value.strip()
        if not value:
            return queryset
        # EXISTS per row rather than a join: an incident with several services is listed once.
        affected = Incident.services.through.objects.filter(
            incident_id=OuterRef("pk"), service__code=value
        )
        return queryset.filter(Exists(affected))


class IncidentListApi(TicketListApiView):
    """Incidents you may see: all for the desk, your groups' for resolvers, none for
    participants; and raising one (§5.4, §5.7)."""

    api_tag = "incidents"
    filterset_class = IncidentFilterSet
    pagination_class = TicketPagination
    InputSerializer = IncidentCreateInputSerializer
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

    @extend_schema(
        operation_id="incidents_create",
        summary="Raise an incident",
        description="Desk staff, and integration accounts whose token has the incidents area. "
        "The resolver group is told (§5.17); participants raise cases instead.",
        request=IncidentCreateInputSerializer,
        responses={201: IncidentDetailSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        # Refused before the body is read, so nobody without the right learns which ids and
        # addresses exist from the validation messages.
        if not services.incident_may_raise(request.user):
            raise ActionNotPermitted("Only the service desk can raise incidents.")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        incident = services.incident_create(actor=request.user, **serializer.validated_data)
        incident = _incident_get(user=request.user, number=incident.number)
        location = reverse("api:incident_detail", kwargs={"number": incident.number})
        response = _detail(incident, request, status_code=status.HTTP_201_CREATED)
        response["Location"] = request.build_absolute_uri(location)
        return response


# --- one incident ----------------------------------------------------------------------------


class IncidentDetailApi(TicketApiView):
    """One incident; and correcting its §5.4 and §5.7 fields (desk staff)."""

    api_tag = "incidents"
    InputSerializer = IncidentUpdateInputSerializer
    OutputSerializer = IncidentDetailSerializer

    @extend_schema(
        operation_id="incidents_retrieve",
        responses={200: IncidentDetailSerializer, **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        incident = _incident_get(user=request.user, number=number)
        return _detail(incident, request)

    @extend_schema(
        operation_id="incidents_partial_update",
        summary="Correct an incident's fields",
        description="Subject, description, category and subcategory (which must belong to the "
        "category), systems affected, symptoms, detection time and method, initial severity. "
        "Only the fields sent change; the journal records what did. Priority, assignment and "
        "state have their own endpoints.",
        request=IncidentUpdateInputSerializer,
        responses={200: IncidentDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def patch(self, request, number: str):
        incident = _incident_get_plain(user=request.user, number=number)
        _require_desk(request.user, "Updating incidents")
        serializer = self.InputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.incident_update(
            incident=incident, actor=request.user, changes=serializer.validated_data
        )
        return _detail(_incident_get(user=request.user, number=number), request)


def _incident_transition(*, ticket: Incident, actor, name: str, **data) -> Incident:
    return services.incident_transition(incident=ticket, actor=actor, name=name, **data)


class IncidentClassifyInputSerializer(serializers.Serializer):
    impact = serializers.ChoiceField(choices=Impact.choices, help_text="1 high, 2 medium, 3 low.")
    urgency = serializers.ChoiceField(choices=Urgency.choices, help_text="1 high, 2 medium, 3 low.")


class IncidentClassifyApi(TicketApiView):
    """Re-prioritise: impact and urgency give the priority by the §3.8 matrix; a new priority
    cancels the SLA clock and starts its replacement, and the resolver group, the product
    owners engaged and the incident managers are told (§5.17). Not on closed or cancelled
    incidents."""

    api_tag = "incidents"
    InputSerializer = IncidentClassifyInputSerializer
    OutputSerializer = IncidentDetailSerializer

    @extend_schema(
        operation_id="incidents_classify",
        request=IncidentClassifyInputSerializer,
        responses={200: IncidentDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        incident = _incident_get_plain(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.incident_classify(
            incident=incident, actor=request.user, **serializer.validated_data
        )
        return _detail(_incident_get(user=request.user, number=number), request)


class IncidentAssignApi(TicketApiView):
    """Assign to a resolver group, or a member of it, with the reason (§5.15, Appendix G); the
    move is kept in the assignment history and the new group is told (§5.17)."""

    api_tag = "incidents"
    InputSerializer = IncidentAssignInputSerializer
    OutputSerializer = IncidentDetailSerializer

    @extend_schema(
        operation_id="incidents_assign",
        request=IncidentAssignInputSerializer,
        responses={200: IncidentDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        incident = _incident_get_plain(user=request.user, number=number)
        _require_desk(request.user, "Assigning incidents")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.incident_assign(incident=incident, actor=request.user, **serializer.validated_data)
        return _detail(_incident_get(user=request.user, number=number), request)


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
        incident = _incident_get_plain(user=request.user, number=number)
        _require_desk(request.user, "Work notes")
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
        incident = _incident_get_plain(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.incident_work_note_add(
            incident=incident, actor=request.user, **serializer.validated_data
        )
        return Response(self.OutputSerializer(entry).data, status=status.HTTP_201_CREATED)


class IncidentJournalApi(TicketApiView):
    """The incident's whole journal, oldest first: system entries (raised, assigned, priority
    set, engaged…), work notes and updates for the callers. Staff only."""

    api_tag = "incidents"
    OutputSerializer = JournalEntrySerializer

    @extend_schema(
        operation_id="incidents_journal_list",
        responses={200: JournalEntrySerializer(many=True), **error_responses(401, 403, 404)},
    )
    def get(self, request, number: str):
        incident = _incident_get_plain(user=request.user, number=number)
        _require_desk(request.user, "The incident's journal")
        entries = journal_for(incident, include_work_notes=True).order_by("created_at", "pk")
        return Response(self.OutputSerializer(entries, many=True).data)


class IncidentEngagementListApi(TicketApiView):
    """The people engaged on the incident, and engaging someone (§5.5 step 7, §5.17): desk
    staff by email (they are told), anyone else as a named contact."""

    api_tag = "incidents"
    InputSerializer = IncidentEngageInputSerializer
    OutputSerializer = IncidentEngagementSerializer

    @extend_schema(
        operation_id="incidents_engagements_list",
        responses={200: IncidentEngagementSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        incident = _incident_get_plain(user=request.user, number=number)
        return Response(self.OutputSerializer(incident_engagements_for(incident), many=True).data)

    @extend_schema(
        operation_id="incidents_engagements_create",
        request=IncidentEngageInputSerializer,
        responses={201: IncidentEngagementSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        incident = _incident_get_plain(user=request.user, number=number)
        _require_desk(request.user, "Engaging people")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        engagement = services.incident_engage(
            incident=incident, actor=request.user, **serializer.validated_data
        )
        return Response(self.OutputSerializer(engagement).data, status=status.HTTP_201_CREATED)


class IncidentEngagementReleaseApi(TicketApiView):
    """Release someone engaged: they are no longer needed; the record stays."""

    api_tag = "incidents"
    OutputSerializer = IncidentEngagementSerializer

    @extend_schema(
        operation_id="incidents_engagements_release",
        parameters=[
            OpenApiParameter(
                "engagement_id",
                int,
                OpenApiParameter.PATH,
                description="The engagement's `id`, as listed.",
            )
        ],
        request=None,
        responses={200: IncidentEngagementSerializer, **error_responses(401, 403, 404, 409)},
    )
    def post(self, request, number: str, engagement_id: str):
        incident = _incident_get_plain(user=request.user, number=number)
        _require_desk(request.user, "Releasing people")
        # Any text reaches here (a string route), so an id that is no id is a 404 in the
        # API's own shape, like a number that is no ticket.
        pk = int(engagement_id) if _is_digits(engagement_id) and len(engagement_id) <= 19 else 0
        engagement = (
            incident_engagements_for(incident).filter(pk=pk).first() if 1 <= pk <= ID_MAX else None
        )
        if engagement is None:
            raise TicketNotFound(f"{incident.number} has no engagement {engagement_id[:40]}.")
        engagement.incident = incident
        engagement = services.incident_engagement_release(engagement=engagement, actor=request.user)
        return Response(self.OutputSerializer(engagement).data)


class IncidentReportApi(TicketApiView):
    """The incident report (§5.5 step 16): read it, or write it once the incident is Resolved
    or Closed — a summary of the fix, the cause, and whether a problem record is needed and
    why. Writing again updates it; every version is kept."""

    api_tag = "incidents"
    InputSerializer = IncidentReportInputSerializer
    OutputSerializer = IncidentReportSerializer

    @extend_schema(
        operation_id="incidents_report_retrieve",
        responses={200: IncidentReportSerializer, **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        incident = _incident_get_plain(user=request.user, number=number)
        report = incident_report_for(incident)
        if report is None:
            raise TicketNotFound(f"{incident.number} has no incident report yet.")
        return Response(self.OutputSerializer(report).data)

    @extend_schema(
        operation_id="incidents_report_write",
        request=IncidentReportInputSerializer,
        responses={
            200: IncidentReportSerializer,
            201: IncidentReportSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def put(self, request, number: str):
        incident = _incident_get_plain(user=request.user, number=number)
        _require_desk(request.user, "Writing incident reports")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        existed = incident_report_for(incident) is not None
        services.incident_report_write(
            incident=incident, actor=request.user, **serializer.validated_data
        )
        return Response(
            self.OutputSerializer(incident_report_for(incident)).data,
            status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED,
        )


urlpatterns = [
    path("incidents/", IncidentListApi.as_view(), name="incident_list"),
    path("incidents/<str:number>/", IncidentDetailApi.as_view(), name="incident_detail"),
    path(
        "incidents/<str:number>/classify/", IncidentClassifyApi.as_view(), name="incident_classify"
    ),
    path("incidents/<str:number>/assign/", IncidentAssignApi.as_view(), name="incident_assign"),
    path(
        "incidents/<str:number>/work-notes/",
        IncidentWorkNoteListApi.as_view(),
        name="incident_work_notes",
    ),
    path("incidents/<str:number>/journal/", IncidentJournalApi.as_view(), name="incident_journal"),
    path(
        "incidents/<str:number>/engagements/",
        IncidentEngagementListApi.as_view(),
        name="incident_engagements",
    ),
    path(
        "incidents/<str:number>/engagements/<str:engagement_id>/release/",
        IncidentEngagementReleaseApi.as_view(),
        name="incident_engagement_release",
    ),
    path("incidents/<str:number>/report/", IncidentReportApi.as_view(), name="incident_report"),
]

# The incident in the API (`TicketType.api`); the router adds the transitions the incident's
# registry entry offers (start, hold, resume, resolve, cancel).
INCIDENT_API = TicketTypeApi(
    detail_serializer=IncidentDetailSerializer,
    get_ticket=_incident_get,
    transition=_incident_transition,
    urlpatterns=urlpatterns,
)
