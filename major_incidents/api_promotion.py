"""REST API v1 for major-incident promotion (§5.8–5.11): propose an incident as a candidate,
list the candidates awaiting review, and accept (promote) or reject one.

Endpoints belong to the "incidents" area of access tokens (`api_tag`). Every write is a service
of `major_incidents.promotion`; refusals are domain errors in the API's one error shape:
400 bad input, 403 not a Major Incident Manager, 404 no such incident or candidate, 409 already
decided or no longer open.
"""

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from core.errors import ActionNotPermitted, TicketNotFound
from incidents.models import Incident
from tickets.api_common import (
    TicketApiView,
    TicketListApiView,
    TicketPageNumberPagination,
    TicketStateField,
    UserRefSerializer,
    error_responses,
    ticket_get_visible,
)
from tickets.limits import COMMENT_MAX_CHARS, ID_MAX, SUBJECT_MAX_CHARS
from tickets.models import Service
from tickets.priority import Priority

from .models import MajorIncidentCandidate, ServiceImpact, ValidityCriterion
from .promotion import (
    EVIDENCE_MAX_CHARS,
    REVIEW_PERMISSION,
    candidate_accept,
    candidate_propose,
    candidate_reject,
)


def _candidates():
    return MajorIncidentCandidate.objects.select_related(
        "incident", "proposed_by", "decided_by", "major_incident"
    ).prefetch_related("assessments")


def _candidate_get(pk) -> MajorIncidentCandidate:
    """One candidate by id, or 404 for anything that is not one (a word, a number past the
    database's keys)."""
    text = str(pk)
    number = int(text) if text.isdigit() and len(text) <= 19 else 0
    candidate = _candidates().filter(pk=number).first() if 1 <= number <= ID_MAX else None
    if candidate is None:
        raise TicketNotFound(f"There is no major-incident candidate {text[:20]}.")
    return candidate


def _require_reviewer(user) -> None:
    if not (user.is_staff and user.has_perm(REVIEW_PERMISSION)):
        raise ActionNotPermitted("Only a Major Incident Manager may review candidates.")


class CandidateIncidentSerializer(serializers.Serializer):
    number = serializers.CharField(read_only=True)
    short_description = serializers.CharField(read_only=True)
    state = TicketStateField(read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True, allow_null=True)
    suspected_cyber = serializers.BooleanField(
        read_only=True, help_text="Raised by the desk as a suspected cyber incident (§5.11 step 1)."
    )


class AssessmentSerializer(serializers.Serializer):
    criterion = serializers.ChoiceField(
        choices=ValidityCriterion.choices, help_text="A validity check of §5.8."
    )
    met = serializers.BooleanField(help_text="Yes (true) or no (false).")
    evidence = serializers.CharField(
        max_length=EVIDENCE_MAX_CHARS,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when `met` is true.",
    )


class ThresholdSerializer(serializers.Serializer):
    name = serializers.CharField()
    wording = serializers.CharField(help_text="The threshold in the manual's words (§5.9).")
    met = serializers.BooleanField()
    value = serializers.CharField(help_text="What the data says, e.g. “3 of 20 organisations”.")


class ThresholdsSerializer(serializers.Serializer):
    impact = ThresholdSerializer(required=False)
    duration = ThresholdSerializer(required=False)
    compliance = ThresholdSerializer(required=False)
    security = ThresholdSerializer(required=False)
    expected_resolution_hours = serializers.CharField(required=False, allow_null=True)


@extend_schema_serializer(component_name="MajorIncidentCandidate")
class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    incident = CandidateIncidentSerializer(read_only=True)
    state = serializers.ChoiceField(choices=MajorIncidentCandidate.State.choices, read_only=True)
    reason = serializers.CharField(read_only=True)
    proposed_by = UserRefSerializer(read_only=True)
    proposed_at = serializers.DateTimeField(read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    decided_at = serializers.DateTimeField(read_only=True, allow_null=True)
    decision_reason = serializers.CharField(read_only=True)
    assessments = AssessmentSerializer(many=True, read_only=True)
    thresholds = ThresholdsSerializer(
        read_only=True, help_text="The §5.9 thresholds as evaluated when it was decided."
    )
    major_incident = serializers.SerializerMethodField(
        help_text="The major incident's number once promoted."
    )

    def get_major_incident(self, candidate) -> str | None:
        major = getattr(candidate, "major_incident", None)
        return major.number if major is not None else None


class ProposeInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=COMMENT_MAX_CHARS, help_text="Why this may be a major incident (§5.5 step 3)."
    )


def _staff():
    return get_user_model().objects.filter(is_active=True, is_staff=True)


class AcceptInputSerializer(serializers.Serializer):
    assessments = AssessmentSerializer(
        many=True,
        help_text="Every §5.8 criterion answered yes or no; at least one yes, with evidence.",
    )
    manager = serializers.SlugRelatedField(
        slug_field="email", queryset=_staff(), help_text="The Major Incident Manager's email."
    )
    triage_lead = serializers.SlugRelatedField(
        slug_field="email", queryset=_staff(), help_text="The triage lead's email (§5.7)."
    )
    public_title = serializers.CharField(
        max_length=SUBJECT_MAX_CHARS, help_text="Shown on the public status page."
    )
    services = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=Service.objects.filter(active=True),
        help_text="Codes of the services affected, e.g. `dip`.",
    )
    service_status = serializers.ChoiceField(
        choices=ServiceImpact.Status.choices, default=ServiceImpact.Status.MAJOR_OUTAGE
    )
    expected_resolution_hours = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal(100_000),
        required=False,
        allow_null=True,
        help_text="For the §5.9 duration threshold: compared with the resolution SLA target.",
    )
    note = serializers.CharField(
        max_length=COMMENT_MAX_CHARS, required=False, allow_blank=True, default=""
    )

    def validate_assessments(self, value):
        criteria = [row["criterion"] for row in value]
        if len(criteria) != len(set(criteria)):
            raise serializers.ValidationError("Answer each criterion once.")
        return value


class RejectInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=COMMENT_MAX_CHARS, help_text="Why it is not a major incident (§5.11 step 6)."
    )
    assessments = AssessmentSerializer(
        many=True, required=False, help_text="Any §5.8 criteria answered; kept with the decision."
    )


class IncidentMajorCandidateApi(TicketApiView):
    """Propose the incident as a major-incident candidate; the Major Incident Managers are told.
    201 for a new proposal; 200 when one already awaited review and your reason was added."""

    api_tag = "incidents"
    InputSerializer = ProposeInputSerializer
    OutputSerializer = CandidateSerializer

    @extend_schema(
        operation_id="incidents_major_candidate_create",
        request=ProposeInputSerializer,
        responses={
            201: CandidateSerializer,
            200: CandidateSerializer,
            **error_responses(400, 401, 403, 404, 409),
        },
    )
    def post(self, request, number: str):
        incident = ticket_get_visible(Incident.objects.all(), user=request.user, number=number)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        was_pending = MajorIncidentCandidate.objects.filter(
            incident=incident, state=MajorIncidentCandidate.State.PROPOSED
        ).exists()
        candidate = candidate_propose(
            incident=incident, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(
            self.OutputSerializer(_candidate_get(candidate.pk)).data,
            status=status.HTTP_200_OK if was_pending else status.HTTP_201_CREATED,
        )


class CandidateListApi(TicketListApiView):
    """Candidates awaiting review, oldest first: for Major Incident Managers."""

    api_tag = "incidents"
    pagination_class = TicketPageNumberPagination
    OutputSerializer = CandidateSerializer

    def get_queryset(self):
        return (
            _candidates()
            .filter(state=MajorIncidentCandidate.State.PROPOSED)
            .order_by("proposed_at", "pk")
        )

    @extend_schema(
        operation_id="major_incident_candidates_list",
        responses={200: CandidateSerializer(many=True), **error_responses(400, 401, 403)},
    )
    def get(self, request):
        _require_reviewer(request.user)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.OutputSerializer(page, many=True).data)


class CandidateAcceptApi(TicketApiView):
    """Promote the candidate to a major incident: P1, the Major Incident Manager and triage
    lead assigned, the triggering criteria recorded (§5.10, §5.11 step 7)."""

    api_tag = "incidents"
    InputSerializer = AcceptInputSerializer
    OutputSerializer = CandidateSerializer

    @extend_schema(
        operation_id="major_incident_candidates_accept",
        request=AcceptInputSerializer,
        responses={200: CandidateSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: str):
        candidate = _candidate_get(pk)
        _require_reviewer(request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        candidate_accept(
            candidate=candidate,
            actor=request.user,
            assessments=[dict(row) for row in data["assessments"]],
            manager=data["manager"],
            triage_lead=data["triage_lead"],
            public_title=data["public_title"],
            services=data["services"],
            service_status=data["service_status"],
            expected_resolution_hours=data.get("expected_resolution_hours"),
            note=data.get("note", ""),
        )
        return Response(self.OutputSerializer(_candidate_get(pk)).data)


class CandidateRejectApi(TicketApiView):
    """Reject the candidate: back to normal incident management, the proposer told
    (§5.11 step 6)."""

    api_tag = "incidents"
    InputSerializer = RejectInputSerializer
    OutputSerializer = CandidateSerializer

    @extend_schema(
        operation_id="major_incident_candidates_reject",
        request=RejectInputSerializer,
        responses={200: CandidateSerializer, **error_responses(400, 401, 403, 404, 409)},
    )
    def post(self, request, pk: str):
        candidate = _candidate_get(pk)
        _require_reviewer(request.user)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        candidate_reject(
            candidate=candidate,
            actor=request.user,
            reason=data["reason"],
            assessments=[dict(row) for row in data.get("assessments", [])],
        )
        return Response(self.OutputSerializer(_candidate_get(pk)).data)


urlpatterns = [
    path(
        "incidents/<str:number>/major-candidate/",
        IncidentMajorCandidateApi.as_view(),
        name="incident_major_candidate",
    ),
    path(
        "major-incident-candidates/",
        CandidateListApi.as_view(),
        name="major_incident_candidate_list",
    ),
    path(
        "major-incident-candidates/<str:pk>/accept/",
        CandidateAcceptApi.as_view(),
        name="major_incident_candidate_accept",
    ),
    path(
        "major-incident-candidates/<str:pk>/reject/",
        CandidateRejectApi.as_view(),
        name="major_incident_candidate_reject",
    ),
]
