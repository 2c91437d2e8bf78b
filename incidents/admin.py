"""Incidents in the agent console: resolver groups' work (§5, Appendix G).

Every field is read-only; the lifecycle moves through buttons (`incident_transition`),
reassignment through its own form (`incident_assign`), and the page's classification and
work-note forms post to small views (`incident_classify`, `incident_work_note_add`).
"""

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from sla.admin import TicketSlaStatusFilter
from tickets.admin import TicketAdmin, uk_time

from . import admin_views
from .models import Incident
from .services import FINISHED_STATES, incident_transition, linked_cases

INCIDENT_FIELDS = (
    "number",
    "state",
    "priority",
    "impact",
    "urgency",
    "assignment_group",
    "assigned_to",
    "category",
    "short_description",
    "description",
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
class IncidentAdmin(TicketAdmin):
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
    list_filter = ("state", TicketSlaStatusFilter, "priority", "assignment_group", "category")
    search_fields = ("number", "short_description")
    ordering = ("-opened_at",)
    detail_select_related = (
        "assignment_group",
        "assigned_to",
        "category",
        "organisation",
        "caller",
        "opened_by",
    )
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
                    "organisation",
                    "caller",
                    "opened_by",
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

    def save_model(self, request, obj, form, change):
        """Nothing on the incident page is edited directly."""

    def save_related(self, request, form, formsets, change):
        """Nothing on the incident page is edited directly."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def ticket_context(self, request, obj) -> dict:
        context = super().ticket_context(request, obj)
        if self.has_change_permission(request, obj):
            context["assign_url"] = self._url("assign", obj.pk)
            if obj.state not in FINISHED_STATES:
                context.update(
                    classify_form=admin_views.ClassifyForm(
                        initial={"impact": obj.impact, "urgency": obj.urgency}
                    ),
                    classify_url=self._url("classify", obj.pk),
                    work_note_form=admin_views.WorkNoteForm(),
                    work_note_url=self._url("work_note", obj.pk),
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

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
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
