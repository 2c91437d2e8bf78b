"""REST API v1 for cases: raise, list, read, comment, attach, and move through the lifecycle.

Every rule is in `cases.services` and `tickets.selectors`; these views parse input, call one
service and shape the output. Numbers (CS0000012) are the lookup; a case the caller may not
see is a 404 like one that does not exist (§10.4).
"""

from collections.abc import Mapping

from django.contrib.contenttypes.models import ContentType
from django.urls import path, reverse
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.directory import desk_hours_text
from accounts.models import Organisation
from accounts.selectors import organisations_for_user
from comms.mpan_fields import MpanSerializerField
from incidents.models import Incident
from tickets.api_common import (
    AttachmentInputSerializer,
    AttachmentSerializer,
    CancelReasonField,
    CategoryRefSerializer,
    CommentInputSerializer,
    EnumField,
    HoldReasonField,
    IdFilter,
    JournalEntrySerializer,
    OrganisationRefSerializer,
    ResolverGroupRefSerializer,
    StaffOnlyFieldsMixin,
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
from tickets.limits import DESCRIPTION_MAX_CHARS, ID_MAX, SUBJECT_MAX_CHARS
from tickets.models import Category, TicketLink
from tickets.priority import Impact, Priority, Urgency
from tickets.selectors import attachments_for, journal_for

from . import services
from .models import Case, ProposedUpdate
from .proposed_updates import case_updates_pending_for
from .selectors import case_resolutions_for

# Asked for by name on create; refused loudly rather than silently dropped (§3.8).
DESK_ONLY_FIELDS = ("impact", "urgency", "priority")


# What a case's detail joins: the staff-only assignment is not joined for participants, who
# never see it (issue 9: every join is compiled and read on each request).
_DETAIL_RELATIONS = ("category", "organisation", "caller", "rerouted_to")
_STAFF_RELATIONS = ("assignment_group", "assigned_to")


def _case_queryset(*, staff: bool = True):
    relations = _DETAIL_RELATIONS + (_STAFF_RELATIONS if staff else ())
    return Case.objects.select_related(*relations).order_by("-opened_at", "-pk")


# The values a list row shows (`CaseSummarySerializer`), read as plain rows: no descriptions or
# notes, and no model instances built for a page of 50 (issue 9).
CASE_SUMMARY_VALUES = (
    "pk",
    "number",
    "short_description",
    "state",
    "hold_reason",
    "priority",
    "channel",
    "triage_outcome",
    "opened_at",
    "updated_at",
    "resolved_at",
    "closed_at",
    "category_id",
    "category__name",
    "organisation_id",
    "organisation__name",
    "caller_id",
    "caller__full_name",
    "caller__email",
)


def _case_list_queryset():
    return Case.objects.order_by("-opened_at", "-pk")


def _case_get(*, user, number: str) -> Case:
    return ticket_get_visible(_case_queryset(staff=is_desk_user(user)), user=user, number=number)


def _linked_incidents(case: Case, *, user):
    """Incidents raised from this case that `user` may see (resolvers: own groups only)."""
    incident_ids = TicketLink.objects.filter(
        kind=TicketLink.Kind.CASE_INCIDENT,
        from_type=ContentType.objects.get_for_model(Case),
        from_id=case.pk,
        to_type=ContentType.objects.get_for_model(Incident),
    ).values("to_id")
    incidents = Incident.objects.filter(pk__in=incident_ids).select_related("assignment_group")
    return visible_queryset(incidents, user=user).order_by("opened_at", "pk")


# --- output ----------------------------------------------------------------------------------


class ServiceDeskRefSerializer(serializers.Serializer):
    """The desk a re-routed case belongs with (§3.11, Appendix H)."""

    name = serializers.CharField(read_only=True)
    portal_url = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    service_hours = serializers.SerializerMethodField()

    def get_service_hours(self, desk) -> str:
        """The opening hours in words, UK time ("Monday to Friday, 08:00 to 18:00")."""
        return desk_hours_text(desk) or desk.hours_note


class LinkedIncidentSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    short_description = serializers.CharField(read_only=True)
    state = TicketStateField(read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True, allow_null=True)
    assignment_group = ResolverGroupRefSerializer(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, incident) -> str:
        path_ = reverse("api:incident_detail", kwargs={"number": incident.number})
        request = self.context.get("request")
        return request.build_absolute_uri(path_) if request is not None else path_


@extend_schema_serializer(component_name="Case")
class CaseSummarySerializer(serializers.Serializer):
    """A case as listed."""

    number = serializers.CharField(read_only=True)
    short_description = serializers.CharField(read_only=True, help_text="The subject (§3.2).")
    state = TicketStateField(read_only=True)
    hold_reason = HoldReasonField(read_only=True, allow_null=True)
    priority = serializers.ChoiceField(
        choices=Priority.choices,
        read_only=True,
        allow_null=True,
        help_text="Set by the service desk from impact and urgency (§3.8).",
    )
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    organisation = OrganisationRefSerializer(read_only=True, allow_null=True)
    caller = UserRefSerializer(read_only=True, allow_null=True)
    channel = serializers.ChoiceField(choices=Case.Channel.choices, read_only=True)
    triage_outcome = EnumField(
        choices=Case.TriageOutcome.choices,
        read_only=True,
        allow_null=True,
        help_text="First-line triage outcome (§4.1); null until triaged.",
    )
    opened_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)


_DATETIME = serializers.DateTimeField()


def _when(value):
    return None if value is None else _DATETIME.to_representation(value)


def _ref(pk, name) -> dict | None:
    return None if pk is None else {"id": pk, "name": name}


def case_summary(row) -> dict:
    """`CaseSummarySerializer`'s output for one row of `CASE_SUMMARY_VALUES`, built directly:
    the same output as the declared fields (a test holds the two equal), at a fraction of the
    cost of model instances and DRF's per-field serialization on a page of 50 (issue 9)."""
    caller_id = row["caller_id"]
    return {
        "number": row["number"],
        "short_description": row["short_description"],
        "state": row["state"],
        "hold_reason": row["hold_reason"] or None,
        "priority": row["priority"],
        "category": _ref(row["category_id"], row["category__name"]),
        "organisation": _ref(row["organisation_id"], row["organisation__name"]),
        "caller": None
        if caller_id is None
        else {
            # `User.get_full_name`: the full name, else the address.
            "name": row["caller__full_name"] or row["caller__email"],
            "email": row["caller__email"],
        },
        "channel": row["channel"],
        "triage_outcome": row["triage_outcome"] or None,
        "opened_at": _when(row["opened_at"]),
        "updated_at": _when(row["updated_at"]),
        "resolved_at": _when(row["resolved_at"]),
        "closed_at": _when(row["closed_at"]),
    }


class CaseResolutionSerializer(serializers.Serializer):
    """One resolution of the case: a case resolved, reopened and resolved again has two
    (§10.3)."""

    resolved_at = serializers.DateTimeField(read_only=True)
    resolution_code = serializers.CharField(read_only=True)
    resolution_notes = serializers.CharField(read_only=True)


class ProposedUpdateSerializer(serializers.Serializer):
    """An incident's update or resolution awaiting the desk's review (Appendix G); staff only,
    never shown to the caller until the desk sends it."""

    id = serializers.IntegerField(source="pk", read_only=True)
    kind = serializers.ChoiceField(choices=ProposedUpdate.Kind.choices, read_only=True)
    incident = serializers.CharField(source="incident.number", read_only=True)
    proposed_text = serializers.CharField(read_only=True)
    proposed_code = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(component_name="CaseDetail")
class CaseDetailSerializer(StaffOnlyFieldsMixin, CaseSummarySerializer):
    """A case in full. Work notes are never part of it; `links`, `assignment_group`,
    `assigned_to` and `proposed_updates` are for service-desk staff only."""

    staff_only_fields = ("assignment_group", "assigned_to", "links", "proposed_updates")

    description = serializers.CharField(read_only=True)
    party_id = serializers.CharField(read_only=True)
    no_party_id = serializers.BooleanField(read_only=True)
    unregistered_organisation_name = serializers.CharField(read_only=True)
    market_participant_id = serializers.CharField(read_only=True)
    cra_market_role = serializers.CharField(
        read_only=True,
        help_text="The CRA market role's code, one of "
        + ", ".join(f"`{code}`" for code in Organisation.CraMarketRole.values)
        + ", or empty (a case raised before roles were a choice may hold the words it was "
        "given).",
    )
    cra_market_role_label = serializers.CharField(
        source="get_cra_market_role_display",
        read_only=True,
        help_text="The CRA market role as people read it, e.g. “Supplier”.",
    )
    requested_by = serializers.CharField(
        read_only=True, help_text="The name of the person asking (§11.2.1, §14.2)."
    )
    related_url = serializers.CharField(read_only=True)
    mpan = serializers.CharField(read_only=True)
    impact = serializers.ChoiceField(choices=Impact.choices, read_only=True, allow_null=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, read_only=True, allow_null=True)
    request_type = EnumField(
        choices=Case.RequestType.choices,
        read_only=True,
        allow_null=True,
        help_text="Service-request type (§7.2) when triaged as a request.",
    )
    triaged_at = serializers.DateTimeField(read_only=True, allow_null=True)
    rerouted_to = ServiceDeskRefSerializer(read_only=True, allow_null=True)
    resolution_code = serializers.CharField(read_only=True)
    resolution_notes = serializers.CharField(read_only=True)
    cancel_reason = CancelReasonField(read_only=True, allow_null=True)
    reopen_count = serializers.IntegerField(read_only=True)
    actions = serializers.SerializerMethodField(
        help_text="Action endpoints you may call now, e.g. `resolve` or `confirm-resolution`."
    )
    assignment_group = ResolverGroupRefSerializer(read_only=True, allow_null=True)
    assigned_to = UserRefSerializer(read_only=True, allow_null=True)
    links = serializers.SerializerMethodField(help_text="Incidents raised from this case.")
    resolutions = serializers.SerializerMethodField(
        help_text="Every resolution of the case, oldest first: each time it was resolved."
    )
    proposed_updates = serializers.SerializerMethodField(
        help_text="Updates from linked incidents awaiting the desk's review (staff only)."
    )

    def get_actions(self, case) -> list[str]:
        return available_actions(
            case,
            user=self.context["request"].user,
        )

    @extend_schema_field(CaseResolutionSerializer(many=True))
    def get_resolutions(self, case):
        return CaseResolutionSerializer(case_resolutions_for(case), many=True).data

    @extend_schema_field(ProposedUpdateSerializer(many=True))
    def get_proposed_updates(self, case):
        # Only a case triaged to an incident can have proposals: no query for the others.
        if case.triage_outcome != Case.TriageOutcome.INCIDENT:
            return []
        return ProposedUpdateSerializer(case_updates_pending_for(case), many=True).data

    @extend_schema_field(LinkedIncidentSerializer(many=True))
    def get_links(self, case):
        user = self.context["request"].user
        if not is_desk_user(user):
            return []
        return LinkedIncidentSerializer(
            _linked_incidents(case, user=user), many=True, context=self.context
        ).data


# --- input -----------------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": "A category id, or its name as shown in the portal (§5.16).",
    }
)
class CategoryField(serializers.Field):
    """A category by id or by name; which ones may be used is the service's decision."""

    def to_internal_value(self, data):
        category = None
        if isinstance(data, int) and not isinstance(data, bool):
            if 1 <= data <= ID_MAX:
                category = Category.objects.filter(pk=data).first()
        elif isinstance(data, str) and data.strip():
            value = data.strip()
            if "\x00" in value:
                raise serializers.ValidationError("Null characters are not allowed.")
            if value.isdigit():
                # Past 19 digits it is no id (and int() refuses thousands of digits).
                if len(value) <= 19 and 1 <= int(value) <= ID_MAX:
                    category = Category.objects.filter(pk=int(value)).first()
            elif len(value) <= Category._meta.get_field("name").max_length:
                category = Category.objects.filter(name__iexact=value).first()
        else:
            raise serializers.ValidationError("Give a category id or name.")
        if category is None:
            names = ", ".join(Category.objects.filter(active=True).values_list("name", flat=True))
            shown = str(data) if len(str(data)) <= 60 else str(data)[:60] + "…"
            raise serializers.ValidationError(
                f"Unknown category “{shown}”. Choose one of: {names}."
            )
        return category

    def to_representation(self, value):
        return value.pk


_ROLES = Organisation.CraMarketRole


@extend_schema_field(
    {
        "type": "string",
        "enum": ["", *_ROLES.values],
        "description": "The CRA market role (§3.2), by code; empty for none.\n"
        + "\n".join(f"* `{value}` - {label}" for value, label in _ROLES.choices),
    }
)
class CraMarketRoleField(serializers.ChoiceField):
    """A market role by its code; anything else is refused, naming the codes."""

    def __init__(self, **kwargs):
        super().__init__(choices=_ROLES.choices, **kwargs)

    def to_internal_value(self, data):
        if data == "" and self.allow_blank:
            return ""
        if isinstance(data, str) and data in _ROLES.values:
            return data
        shown = str(data) if len(str(data)) <= 60 else str(data)[:60] + "…"
        raise serializers.ValidationError(
            f"Unknown CRA market role “{shown}”. Choose one of: "
            + ", ".join(f"{value} ({label})" for value, label in _ROLES.choices)
            + "."
        )


# --- views -----------------------------------------------------------------------------------


class CaseFilterSet(TicketFilterSet):
    category = IdFilter(field_name="category_id", help_text="Category id.")
    organisation = IdFilter(field_name="organisation_id", help_text="Organisation id.")

    class Meta:
        model = Case
        fields = ["state", "category", "organisation", "opened_after", "opened_before", "q"]


class CaseListApi(TicketListApiView):
    """Cases you may see (§10.4), newest first; and raising a new case (§3.2)."""

    api_tag = "cases"
    filterset_class = CaseFilterSet
    pagination_class = TicketPagination
    OutputSerializer = CaseSummarySerializer

    @extend_schema_serializer(component_name="CaseCreate")
    class InputSerializer(serializers.Serializer):
        """The §3.2 portal fields. Impact, urgency and priority are set by the desk (§3.8)."""

        organisation = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=ID_MAX,
            help_text="Organisation id: yours or one below it. Defaults to your organisation.",
        )
        category = CategoryField()
        short_description = serializers.CharField(
            max_length=SUBJECT_MAX_CHARS, help_text="The subject."
        )
        description = serializers.CharField(
            max_length=DESCRIPTION_MAX_CHARS,
            help_text="A full description, including steps already taken to resolve it. Attach "
            "logs and documents as files.",
        )
        party_id = serializers.CharField(
            max_length=20, required=False, default="", allow_blank=True
        )
        no_party_id = serializers.BooleanField(
            required=False, default=False, help_text="True when you do not have a Party ID."
        )
        unregistered_organisation_name = serializers.CharField(
            max_length=200, required=False, default="", allow_blank=True
        )
        market_participant_id = serializers.CharField(
            max_length=20, required=False, default="", allow_blank=True
        )
        cra_market_role = CraMarketRoleField(required=False, default="", allow_blank=True)
        requested_by = serializers.CharField(
            max_length=200,
            required=False,
            default="",
            allow_blank=True,
            help_text="The name of the person asking (§11.2.1, §14.2); yours when left out.",
        )
        related_url = serializers.CharField(
            max_length=500,
            required=False,
            default="",
            allow_blank=True,
            help_text="URL of a related page or document (http or https).",
        )
        mpan = MpanSerializerField(required=False, default="", allow_blank=True)

        def to_internal_value(self, data):
            sent = [name for name in DESK_ONLY_FIELDS if isinstance(data, Mapping) and name in data]
            if sent:
                message = (
                    "Impact and urgency are set by the service desk only (§3.8); leave them out."
                )
                raise serializers.ValidationError({name: [message] for name in sent})
            return super().to_internal_value(data)

        def validate_organisation(self, value: int) -> Organisation:
            # An unknown id and another organisation's id are refused here, alike, before any
            # other check: the same words, the same status and no other field's errors, so ids
            # of other organisations cannot be probed (issue 7). Desk staff may raise for any
            # organisation; the service still decides (§10.4).
            user = self.context["request"].user
            candidates = (
                Organisation.objects.all() if user.is_staff else organisations_for_user(user)
            )
            organisation = candidates.filter(pk=value).first()
            if organisation is None:
                raise serializers.ValidationError(
                    "You can only raise cases for your own organisation or those below it."
                )
            return organisation

    def get_queryset(self):
        return visible_queryset(_case_list_queryset(), user=self.request.user)

    @extend_schema(
        operation_id="cases_list",
        summary="List the cases you may see",
        responses={200: CaseSummarySerializer(many=True), **error_responses(400, 401)},
    )
    def get(self, request):
        # Queries: auth, the user's permissions (user + groups), page count, page rows with
        # category, organisation, caller and assignee joined.
        cases = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(cases.values(*CASE_SUMMARY_VALUES))
        return self.get_paginated_response([case_summary(row) for row in page])

    @extend_schema(
        operation_id="cases_create",
        summary="Raise a case",
        description="The §3.2 fields; the case is acknowledged by email (§3.1). Impact, urgency "
        "and priority are assessed by the service desk and refused here (§3.8).",
        request=InputSerializer,
        responses={201: CaseDetailSerializer, **error_responses(400, 401, 403)},
    )
    def post(self, request):
        serializer = self.InputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organisation = data.pop("organisation", None) or request.user.organisation
        case = services.case_create(
            actor=request.user, organisation=organisation, channel=Case.Channel.API, **data
        )
        case = _case_get(user=request.user, number=case.number)
        location = reverse("api:case_detail", kwargs={"number": case.number})
        return Response(
            CaseDetailSerializer(case, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": request.build_absolute_uri(location)},
        )


class CaseDetailApi(TicketApiView):
    """One case: state, hold reason, priority, triage outcome and timestamps (§10.2)."""

    api_tag = "cases"
    OutputSerializer = CaseDetailSerializer

    @extend_schema(
        operation_id="cases_retrieve",
        responses={200: CaseDetailSerializer, **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        case = _case_get(user=request.user, number=number)
        return Response(self.OutputSerializer(case, context={"request": request}).data)


class CaseCommentListApi(TicketApiView):
    """The case's journal, and adding a comment.

    Participants see customer-visible comments and status entries, never work notes, and post
    customer comments; service-desk staff may post `work_note: true` (§10.2).
    """

    api_tag = "cases"
    InputSerializer = CommentInputSerializer
    OutputSerializer = JournalEntrySerializer

    @extend_schema(
        operation_id="cases_comments_list",
        responses={200: JournalEntrySerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        case = _case_get(user=request.user, number=number)
        entries = journal_for(case, include_work_notes=is_desk_user(request.user))
        return Response(self.OutputSerializer(entries, many=True).data)

    @extend_schema(
        operation_id="cases_comments_create",
        request=CommentInputSerializer,
        responses={201: JournalEntrySerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, number: str):
        case = _case_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = services.case_comment_add(
            case=case, actor=request.user, channel=Case.Channel.API, **serializer.validated_data
        )
        return Response(self.OutputSerializer(entry).data, status=status.HTTP_201_CREATED)


class CaseAttachmentListApi(TicketApiView):
    """Files on the case, and adding one (multipart `file`; type checked by content, §3.2)."""

    api_tag = "cases"
    parser_classes = [MultiPartParser, FormParser]
    InputSerializer = AttachmentInputSerializer
    OutputSerializer = AttachmentSerializer

    @extend_schema(
        operation_id="cases_attachments_list",
        responses={200: AttachmentSerializer(many=True), **error_responses(401, 404)},
    )
    def get(self, request, number: str):
        case = _case_get(user=request.user, number=number)
        return Response(
            self.OutputSerializer(
                attachments_for(case), many=True, context={"request": request}
            ).data
        )

    @extend_schema(
        operation_id="cases_attachments_create",
        request={"multipart/form-data": AttachmentInputSerializer},
        responses={201: AttachmentSerializer, **error_responses(400, 401, 404, 409)},
    )
    def post(self, request, number: str):
        case = _case_get(user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = services.case_attachment_add(
            case=case, actor=request.user, upload=serializer.validated_data["file"]
        )
        return Response(
            self.OutputSerializer(attachment, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


# --- transitions (§5.12, §5.13, §10.3) ------------------------------------------------------
# One route per lifecycle action (`POST /api/v1/cases/{number}/<action>/`), made by the router
# from the case's registry entry and run through `case_transition` (CASE_API below).


def _case_transition(*, ticket: Case, actor, name: str, **data) -> Case:
    return services.case_transition(case=ticket, actor=actor, name=name, **data)


urlpatterns = [
    path("cases/", CaseListApi.as_view(), name="case_list"),
    path("cases/<str:number>/", CaseDetailApi.as_view(), name="case_detail"),
    path("cases/<str:number>/comments/", CaseCommentListApi.as_view(), name="case_comments"),
    path(
        "cases/<str:number>/attachments/", CaseAttachmentListApi.as_view(), name="case_attachments"
    ),
]

# The case in the API (`TicketType.api`): its own routes above, its transitions by the router.
CASE_API = TicketTypeApi(
    detail_serializer=CaseDetailSerializer,
    get_ticket=_case_get,
    transition=_case_transition,
    urlpatterns=urlpatterns,
)
