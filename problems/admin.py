"""Problems in the agent console (§6): the list, the page with its §6.5 fields, linked
incidents, journal and lifecycle buttons, and the forms that raise and work a problem.

Every field is read-only on the page; the lifecycle moves through buttons
(`problem_transition`, with §6.5's root-cause and Known Error rules), the investigation through
its own form (`problem_update`), and raising through `problem_create` /
`problem_raise_from_incident` (`admin_views`).
"""

from django.contrib import admin
from django.urls import path, reverse

from sla.admin import TicketSlaStatusFilter
from tickets.admin import (
    CategoryListFilter,
    ServiceDrivenPageMixin,
    TicketAdmin,
    TicketChangeList,
    uk_time,
)

from . import admin_views
from .models import Problem, ProblemReviewCheck
from .selectors import incident_counts, incidents_of_problem
from .services import problem_linked_cases, problem_transition


class ProblemChangeList(TicketChangeList):
    """The problem list, with each row's count of linked incidents read for the page in one
    grouped query."""

    def get_results(self, request):
        super().get_results(request)
        counts = incident_counts(self.result_list)
        for problem in self.result_list:
            problem.incident_count = counts.get(problem.pk, 0)


PROBLEM_FIELDS = (
    "number",
    "state",
    "priority",
    "impact",
    "urgency",
    "assignment_group",
    "assigned_to",
    "category",
    "service",
    "short_description",
    "description",
    "root_cause",
    "workaround",
    "opened_by",
    "opened_display",
    "updated_at",
    "hold_reason",
    "resolution_code",
    "resolution_notes",
    "resolved_at",
    "cancel_reason",
    "reopen_count",
    "closed_at",
)


@admin.register(Problem)
class ProblemAdmin(ServiceDrivenPageMixin, TicketAdmin):
    list_display = (
        "number",
        "short_description",
        "state",
        "priority",
        "service",
        "assignment_group",
        "assigned_to",
        "linked_incidents",
        "opened",
    )
    list_display_links = ("number", "short_description")
    list_select_related = ("assignment_group", "assigned_to", "service")
    list_filter = (
        "state",
        TicketSlaStatusFilter,
        "priority",
        "service",
        ("category", CategoryListFilter),
        "assignment_group",
    )
    search_fields = ("number", "short_description")
    ordering = ("-opened_at",)
    change_form_template = "admin/problems/problem/change_form.html"
    change_list_template = "admin/problems/problem/change_list.html"
    detail_select_related = (
        "assignment_group",
        "assigned_to",
        "category",
        "service",
        "opened_by",
    )
    transition_note_help = "Added to the problem's journal."
    fieldsets = (
        (None, {"fields": ("number", "state", "opened_display", "updated_at")}),
        (
            "Problem",
            {
                "fields": (
                    "short_description",
                    "description",
                    "category",
                    "service",
                    "opened_by",
                )
            },
        ),
        ("Priority", {"fields": ("impact", "urgency", "priority")}),
        ("Assignment", {"fields": ("assignment_group", "assigned_to")}),
        ("Investigation", {"fields": ("root_cause", "workaround")}),
        (
            "Resolution and closure",
            {
                "fields": (
                    "hold_reason",
                    "resolution_code",
                    "resolution_notes",
                    "resolved_at",
                    "cancel_reason",
                    "reopen_count",
                    "closed_at",
                )
            },
        ),
    )
    readonly_fields = PROBLEM_FIELDS

    def get_changelist(self, request, **kwargs):
        return ProblemChangeList

    @admin.display(description="Incidents")
    def linked_incidents(self, obj):
        """How many incidents are linked (§6.2), filled in for the page (`ProblemChangeList`)."""
        return getattr(obj, "incident_count", 0)

    @admin.display(description="Opened (UK time)")
    def opened_display(self, obj):
        return uk_time(obj.opened_at)

    def has_add_permission(self, request, obj=None):
        """Problems are raised through `problem_create` on this admin's own form (§6.4)."""
        user = request.user
        return bool(user.is_active and user.is_staff and user.has_perm("problems.add_problem"))

    def add_view(self, request, form_url="", extra_context=None):
        return admin_views.problem_raise_view(self, request)

    def ticket_context(self, request, obj) -> dict:
        context = super().ticket_context(request, obj)
        context["linked_incidents"] = [
            (reverse("admin:incidents_incident_change", args=[incident.pk]), incident)
            for incident in incidents_of_problem(obj)
        ]
        if obj.state in Problem.OPEN_STATES and self.has_change_permission(request, obj):
            context.update(
                update_form=admin_views.ProblemUpdateForm.for_problem(obj),
                update_url=self._url("update", obj.pk),
                work_note_form=admin_views.WorkNoteForm(),
                work_note_url=self._url("work_note", obj.pk),
                link_form=admin_views.LinkIncidentForm(),
                link_url=self._url("link_incident", obj.pk),
                unlink_url=self._url("unlink_incident", obj.pk),
                progress_form=admin_views.ProgressUpdateForm(),
                progress_url=self._url("progress", obj.pk),
            )
        context["linked_cases"] = [
            (reverse("admin:cases_case_change", args=[case.pk]), case)
            for case in problem_linked_cases(obj)
        ]
        ticked = {check.item: check for check in obj.review_checks.select_related("checked_by")}
        context["review_items"] = [
            (value, label, ticked.get(value)) for value, label in ProblemReviewCheck.Item.choices
        ]
        context["review_complete"] = len(ticked) == len(ProblemReviewCheck.Item.choices)
        if obj.state == Problem.State.RESOLVED and self.has_change_permission(request, obj):
            context["review_url"] = self._url("review", obj.pk)
        context.update(admin_views.known_error_context(request, obj))
        return context

    def run_transition(self, request, obj, *, name, expected_state, note, **arguments):
        return problem_transition(
            problem=obj,
            actor=request.user,
            name=name,
            expected_state=expected_state,
            note=note,
            **arguments,
        )

    def update_view(self, request, object_id):
        return admin_views.problem_update_view(self, request, object_id)

    def work_note_view(self, request, object_id):
        return admin_views.problem_work_note_view(self, request, object_id)

    def link_incident_view(self, request, object_id):
        return admin_views.problem_link_incident_view(self, request, object_id)

    def unlink_incident_view(self, request, object_id):
        return admin_views.problem_unlink_incident_view(self, request, object_id)

    def progress_view(self, request, object_id):
        return admin_views.problem_progress_view(self, request, object_id)

    def review_view(self, request, object_id):
        return admin_views.problem_review_view(self, request, object_id)

    def from_incident_view(self, request, incident_id):
        return admin_views.problem_from_incident_view(self, request, incident_id)

    def known_error_view(self, request, object_id):
        return admin_views.problem_known_error_view(self, request, object_id)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            ("from-incident/<int:incident_id>/", self.from_incident_view, "from_incident"),
            ("<path:object_id>/update/", self.update_view, "update"),
            ("<path:object_id>/work-note/", self.work_note_view, "work_note"),
            ("<path:object_id>/link-incident/", self.link_incident_view, "link_incident"),
            ("<path:object_id>/unlink-incident/", self.unlink_incident_view, "unlink_incident"),
            ("<path:object_id>/progress/", self.progress_view, "progress"),
            ("<path:object_id>/review/", self.review_view, "review"),
            ("<path:object_id>/known-error/", self.known_error_view, "known_error"),
        ]
        return [
            *(
                path(route, self.admin_site.admin_view(view), name=f"{prefix}_{name}")
                for route, view, name in own
            ),
            *super().get_urls(),
        ]
