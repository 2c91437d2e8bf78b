"""`GET /api/v1/major-incidents/{number}/review/`: the post major incident review (§5.23,
Appendix E) of a major incident — its sections, timeline, milestones with due times and
status, and follow-up actions. Staff who may view reviews only; anyone else gets the 404 of
a review that does not exist (the selector decides, `reviews.review_get_for`)."""

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from tickets.api_common import (
    ServiceRefSerializer,
    TicketApiView,
    UserRefSerializer,
    error_responses,
)

from .models import PostIncidentReview
from .reviews import action_is_overdue, milestone_views, review_get_for, uk_today


class ReviewMilestoneSerializer(serializers.Serializer):
    code = serializers.CharField(source="milestone.code")
    title = serializers.CharField(source="milestone.title")
    section = serializers.CharField(help_text="Where the manual sets the step (§5.23, §5.19.1).")
    hours_after_resolution = serializers.IntegerField(source="milestone.hours_after_resolution")
    due_at = serializers.DateTimeField(source="milestone.due_at")
    status = serializers.ChoiceField(
        choices=["done", "skipped", "overdue", "due", "upcoming"],
        help_text="`due`: within the hour; `skipped`: closed with a reason.",
    )
    completed_at = serializers.DateTimeField(source="milestone.completed_at", allow_null=True)
    completed_by = UserRefSerializer(source="milestone.completed_by", allow_null=True)
    skip_reason = serializers.CharField(source="milestone.skip_reason")


class ReviewActionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    owner = UserRefSerializer()
    action = serializers.CharField()
    due_on = serializers.DateField()
    overdue = serializers.SerializerMethodField()
    done_at = serializers.DateTimeField(allow_null=True)
    done_by = UserRefSerializer(allow_null=True)
    done_note = serializers.CharField()

    def get_overdue(self, action) -> bool:
        return action_is_overdue(action, self.context.get("today"))


class ReviewTimelineRowSerializer(serializers.Serializer):
    occurred_at = serializers.DateTimeField()
    event = serializers.CharField()
    comments = serializers.CharField()


@extend_schema_serializer(component_name="PostIncidentReview")
class ReviewSerializer(serializers.Serializer):
    major_incident = serializers.CharField(source="major_incident.number")
    state = serializers.ChoiceField(choices=PostIncidentReview.State.choices)
    incident_title = serializers.CharField()
    incident_ref = serializers.CharField()
    incident_report_ref = serializers.CharField()
    services = ServiceRefSerializer(many=True, source="services.all")
    service_impacted_at = serializers.DateTimeField(allow_null=True)
    service_restored_at = serializers.DateTimeField(allow_null=True)
    major_incident_managers = serializers.CharField()
    incident_description = serializers.CharField()
    business_impact = serializers.CharField()
    summary_and_actions = serializers.CharField()
    incident_resolution = serializers.CharField()
    affected_services_notes = serializers.CharField()
    affected_users = serializers.CharField()
    root_cause = serializers.CharField()
    process_review = serializers.CharField()
    additional_notes = serializers.CharField()
    resolved_at = serializers.DateTimeField(help_text="The instant the milestones run from.")
    reopened_at = serializers.DateTimeField(allow_null=True)
    signed_off_by = UserRefSerializer(allow_null=True)
    signed_off_at = serializers.DateTimeField(allow_null=True)
    distributed_at = serializers.DateTimeField(allow_null=True)
    timeline = ReviewTimelineRowSerializer(many=True, source="timeline_rows.all")
    milestones = serializers.SerializerMethodField()
    actions = ReviewActionSerializer(many=True, source="actions.all")

    @extend_schema_field(ReviewMilestoneSerializer(many=True))
    def get_milestones(self, review) -> list[dict]:
        return ReviewMilestoneSerializer(milestone_views(review), many=True).data


class MajorIncidentReviewApi(TicketApiView):
    """The post-incident review of one major incident."""

    api_tag = "major-incidents"

    @extend_schema(
        operation_id="major_incidents_review_retrieve",
        summary="The post-incident review of a major incident (§5.23, Appendix E)",
        responses={200: ReviewSerializer, **error_responses(401, 403, 404)},
    )
    def get(self, request, number: str):
        review = review_get_for(request.user, number=number)
        data = ReviewSerializer(review, context={"request": request, "today": uk_today()}).data
        return Response(data)


urlpatterns = [
    path(
        "major-incidents/<str:number>/review/",
        MajorIncidentReviewApi.as_view(),
        name="major-incident-review",
    )
]
