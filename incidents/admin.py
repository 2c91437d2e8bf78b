"""Incidents in the agent console: resolver groups' work (§5, Appendix G).

Every field is read-only; the lifecycle moves through buttons (`incident_transition`). The
"Raise incident" page (the admin's add page) raises one directly (`incident_create`), "Edit
details" corrects its §5.4 and §5.7 fields (`incident_update`), reassignment has its own form
(`incident_assign`), and the page's forms post to small views: classification
(`incident_classify`), work notes and updates for the callers, engaging people
(`incident_engage`) and the incident report (`incident_report_write`).
"""

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from sla.admin import TicketSlaStatusFilter
from tickets.admin import CategoryListFilter, ServiceDrivenPageMixin, TicketAdmin, uk_time
from tickets.limits import ID_MAX
from tickets.models import Service, Subcategory

from . import admin_views
from .models import Incident
from .selectors import incident_assignments_for, incident_engagements_for, incident_report_for
from .services import (
    FINISHED_STATES,
    REPORT_STATES,
    incident_may_raise,
    incident_transition,
    linked_cases,
)


def _id(value) -> int | None:
    """A filter's id from the query string, or None for anything that is not one."""
    text = str(value or "")
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= ID_MAX else None


class ServiceFilter(admin.SimpleListFilter):
    """Incidents naming a system as affected (§5.7): an EXISTS per row, so an incident with
    several services is listed once and the list keeps its order and index."""

    title = "system affected"
    parameter_name = "service"

    def lookups(self, request, model_admin):
        return list(
            Service.objects.filter(active=True)
            .order_by("sort_order", "name")
            .values_list("pk", "name")
        )

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        service_id = _id(self.value())
        if service_id is None:
            return queryset.none()
        affected = Incident.services.through.objects.filter(
            incident_id=OuterRef("pk"), service_id=service_id
        )
        return queryset.filter(Exists(affected))


class SubcategoryFilter(admin.SimpleListFilter):
    """Incidents by subcategory (§5.16), listed as "Category → Subcategory" in one query."""

    title = "subcategory"
    parameter_name = "subcategory"

    def lookups(self, request, model_admin):
        return [
            (pk, f"{category} → {name}")
            for pk, category, name in Subcategory.objects.filter(active=True).values_list(
                "pk", "category__name", "name"
            )
        ]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        subcategory_id = _id(self.value())
        if subcategory_id is None:
            return queryset.none()
        return queryset.filter(subcategory_id=subcategory_id)


INCIDENT_FIELDS = (
    "number",
    "state",
    "priority",
    "impact",
    "urgency",
    "assignment_group",
    "assigned_to",
    "category",
    "subcategory_display",
    "short_description",
    "description",
    "detected_display",
    "detection_method",
    "services_display",
    "symptoms",
    "initial_severity",
    "organisation",
    "caller",
    "opened_by",
    "opened_display",
    "updated_at",
    "linked_case_list",
    "hold_reason",
    "resolution_code",
    "resolution_notes",
    "resolved_at",
    "cancel_reason",
    "reopen_count",
    "closed_at",
)


@admin.register(Incident)
class IncidentAdmin(ServiceDrivenPageMixin, TicketAdmin):
    change_list_template = "admin/incidents/incident/change_list.html"
    list_display = (
        "number",
        "short_description",
        "state",
        "priority",
        "assignment_group",
        "assigned_to",
        "time_to_breach",
        "opened",
    )
    list_display_links = ("number", "short_description")
    list_select_related = ("assignment_group", "assigned_to")
    # The page is read as plain rows of these fields (issue 9): the joined group and assignee
    # by their names (`ResolverGroup` and `User` are shown so).
    list_only_fields = (
        "number",
        "short_description",
        "state",
        "priority",
        "assignment_group__name",
        "assigned_to__full_name",
        "assigned_to__email",
        "opened_at",
    )
    list_rows_as_values = True
    list_filter = (
        "state",
        TicketSlaStatusFilter,
        "priority",
        "assignment_group",
        ("category", CategoryListFilter),
        SubcategoryFilter,
        ServiceFilter,
    )
    search_fields = ("number", "short_description")
    ordering = ("-opened_at",)
    detail_select_related = ("assignment_group", "category", "subcategory", "organisation")
    # People are read together by id after the incident (one query), not joined.
    detail_read_by_id = ("assigned_to", "caller", "opened_by")
    transition_note_help = "Added to the incident's journal."
    fieldsets = (
        (None, {"fields": ("number", "state", "opened_display", "updated_at")}),
        (
            "Incident",
            {
                "fields": (
                    "short_description",
                    "description",
                    "category",
                    "subcategory_display",
                    "organisation",
                    "caller",
                    "opened_by",
                )
            },
        ),
        (
            "Logging: detection and systems affected",
            {
                "fields": (
                    "detected_display",
                    "detection_method",
                    "services_display",
                    "symptoms",
                    "initial_severity",
                )
            },
        ),
        ("Priority", {"fields": ("impact", "urgency", "priority")}),
        ("Assignment (Appendix G)", {"fields": ("assignment_group", "assigned_to")}),
        ("Cases", {"fields": ("linked_case_list",)}),
        (
            "Progress and resolution",
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
    readonly_fields = INCIDENT_FIELDS

    @admin.display(description="Opened (UK time)")
    def opened_display(self, obj):
        return uk_time(obj.opened_at)

    @admin.display(description="Subcategory")
    def subcategory_display(self, obj):
        return obj.subcategory.name if obj.subcategory_id else "-"

    @admin.display(description="Detected at (UK time)")
    def detected_display(self, obj):
        return uk_time(obj.detected_at)

    @admin.display(description="Systems affected")
    def services_display(self, obj):
        return ", ".join(str(service) for service in obj.services.all()) or "-"

    @admin.display(description="Linked cases")
    def linked_case_list(self, obj):
        rows = [
            (
                reverse(
                    f"admin:{case._meta.app_label}_{case._meta.model_name}_change", args=[case.pk]
                ),
                case.number,
                case.short_description,
                case.get_state_display(),
            )
            for case in linked_cases(obj)
        ]
        if not rows:
            return "None"
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li><a href='{}'>{}</a> {} — {}</li>", rows)
        )

    def has_add_permission(self, request, obj=None):
        """Staff raise incidents directly on the "Raise incident" page (§5.4, §5.7), through
        `incident_create` like triage does."""
        return incident_may_raise(request.user)

    def add_view(self, request, form_url="", extra_context=None):
        return admin_views.incident_raise_view(self, request)

    def ticket_context(self, request, obj) -> dict:
        context = super().ticket_context(request, obj)
        may_change = self.has_change_permission(request, obj)
        context.update(
            assignments=list(incident_assignments_for(obj)),
            engagements=[
                (
                    engagement,
                    self._url("release", obj.pk, engagement.pk)
                    if may_change and engagement.released_at is None
                    else "",
                )
                for engagement in incident_engagements_for(obj)
            ],
            incident_report=incident_report_for(obj),
            report_open=obj.state in REPORT_STATES,
        )
        if may_change:
            if obj.state in REPORT_STATES:
                context.update(
                    report_form=admin_views.IncidentReportForm.for_report(
                        context["incident_report"]
                    ),
                    report_url=self._url("report", obj.pk),
                )
            if obj.state not in FINISHED_STATES:
                context.update(
                    assign_url=self._url("assign", obj.pk),
                    details_url=self._url("details", obj.pk),
                    classify_form=admin_views.ClassifyForm(
                        initial={"impact": obj.impact, "urgency": obj.urgency}
                    ),
                    classify_url=self._url("classify", obj.pk),
                    work_note_form=admin_views.WorkNoteForm(),
                    work_note_url=self._url("work_note", obj.pk),
                    engage_form=admin_views.EngageForm(),
                    engage_url=self._url("engage", obj.pk),
                )
        return context

    def run_transition(self, request, obj, *, name, expected_state, note, **arguments):
        return incident_transition(
            incident=obj,
            actor=request.user,
            name=name,
            expected_state=expected_state,
            note=note,
            **arguments,
        )

    def assign_view(self, request, object_id):
        return admin_views.incident_assign_view(self, request, object_id)

    def classify_view(self, request, object_id):
        return admin_views.incident_classify_view(self, request, object_id)

    def work_note_view(self, request, object_id):
        return admin_views.incident_work_note_view(self, request, object_id)

    def details_view(self, request, object_id):
        return admin_views.incident_details_view(self, request, object_id)

    def engage_view(self, request, object_id):
        return admin_views.incident_engage_view(self, request, object_id)

    def release_view(self, request, object_id, engagement_id):
        return admin_views.incident_engagement_release_view(self, request, object_id, engagement_id)

    def report_view(self, request, object_id):
        return admin_views.incident_report_view(self, request, object_id)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/details/",
                self.admin_site.admin_view(self.details_view),
                name=f"{prefix}_details",
            ),
            path(
                "<path:object_id>/engage/",
                self.admin_site.admin_view(self.engage_view),
                name=f"{prefix}_engage",
            ),
            path(
                "<path:object_id>/engagements/<int:engagement_id>/release/",
                self.admin_site.admin_view(self.release_view),
                name=f"{prefix}_release",
            ),
            path(
                "<path:object_id>/report/",
                self.admin_site.admin_view(self.report_view),
                name=f"{prefix}_report",
            ),
            path(
                "<path:object_id>/classify/",
                self.admin_site.admin_view(self.classify_view),
                name=f"{prefix}_classify",
            ),
            path(
                "<path:object_id>/work-note/",
                self.admin_site.admin_view(self.work_note_view),
                name=f"{prefix}_work_note",
            ),
            path(
                "<path:object_id>/assign/",
                self.admin_site.admin_view(self.assign_view),
                name=f"{prefix}_assign",
            ),
            *super().get_urls(),
        ]
