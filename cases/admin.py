"""Cases in the agent console: the list, the case page, triage (§4.1) and the journal.

What the participant gave (§3.2) is read-only; impact and urgency are the desk's to set and go
through `case_classify` (§3.8); the lifecycle moves only through buttons (docs/conventions.md §3).
"""

import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.html import format_html, format_html_join

from incidents.models import Incident
from sla.admin import TicketSlaStatusFilter
from tickets.admin import CategoryListFilter, TicketAdmin, uk_time
from tickets.models import TicketLink
from tickets.priority import Priority
from tickets.selectors import attachments_for
from tickets.templatetags.priority_matrix import priority_matrix_html

from . import admin_desk, admin_phone, admin_targets, admin_views, console_page
from .admin_updates import ProposedUpdateAdminMixin
from .linked_incidents import open_incidents_of
from .models import Case
from .services import case_classify, case_transition


class CaseClassificationForm(forms.ModelForm):
    """Impact and urgency, the only fields the desk edits on the case page (§3.8)."""

    class Meta:
        model = Case
        fields = ("impact", "urgency")

    def clean(self):
        cleaned = super().clean()
        touched = {"impact", "urgency"} & set(self.changed_data)
        if touched and (cleaned.get("impact") is None or cleaned.get("urgency") is None):
            raise ValidationError(
                "Set both impact and urgency: the priority comes from the two together."
            )
        return cleaned


PARTICIPANT_FIELDS = (
    "organisation",
    "caller",
    "requested_by",
    "channel",
    "party_id",
    "no_party_id",
    "unregistered_organisation_name",
    "market_participant_id",
    "cra_market_role",
    "category",
    "short_description",
    "description",
    "related_url",
    "mpan",
    "attachment_links",
)


@admin.register(Case)
class CaseAdmin(ProposedUpdateAdminMixin, TicketAdmin):
    form = CaseClassificationForm
    change_list_template = "admin/cases/case/change_list.html"
    list_display = (
        "number",
        "short_description",
        "organisation",
        "state",
        "priority",
        "triage_outcome",
        "assigned_to",
        "time_to_breach",
        "opened",
    )
    list_display_links = ("number", "short_description")
    # The organisation and assignee columns are joined; search on caller email adds its own.
    list_select_related = ("organisation", "assigned_to")
    list_only_fields = (
        "number",
        "short_description",
        "organisation__name",
        "state",
        "priority",
        "triage_outcome",
        "assigned_to__full_name",
        "assigned_to__email",
        "opened_at",
    )
    list_rows_as_values = True
    list_filter = (
        "state",
        admin_desk.AssigneeFilter,
        TicketSlaStatusFilter,
        "triage_outcome",
        ("category", CategoryListFilter),
        "priority",
    )
    search_fields = ("number", "short_description", "caller__email")
    ordering = ("-opened_at",)
    # Organisation and category are always set; the people come in one query by id; a
    # resolver group or a re-routing desk is rare on a case and read only when set.
    detail_select_related = ("organisation", "category")
    detail_read_by_id = (
        "caller",
        "opened_by",
        "triaged_by",
        "assigned_to",
        "assignment_group",
        "rerouted_to",
    )
    transition_note_help = "A customer-visible comment: the caller sees it and is emailed."
    fieldsets = (
        (None, {"fields": ("number", "state", "opened_display", "updated_at")}),
        ("Raised by the participant", {"fields": PARTICIPANT_FIELDS}),
        (
            "Classification",
            {
                "fields": ("impact", "urgency", "computed_priority", "priority_matrix"),
                "description": "Impact and urgency are assessed by the desk; the priority "
                "follows from the two by the matrix when you save.",
            },
        ),
        (
            "Triage",
            {
                "fields": (
                    "triage_outcome",
                    "triaged_at",
                    "triaged_by",
                    "request_type",
                    "rerouted_to",
                    "linked_incidents",
                )
            },
        ),
        (
            "Progress and resolution",
            {
                "fields": (
                    "assignment_group",
                    "assigned_to",
                    "hold_reason",
                    "resolution_code",
                    "resolution_notes",
                    "resolved_at",
                    "cancel_reason",
                    "reopen_count",
                    "closed_at",
                    "opened_by",
                )
            },
        ),
    )
    readonly_fields = (
        "number",
        "state",
        "opened_display",
        "updated_at",
        *PARTICIPANT_FIELDS,
        "computed_priority",
        "priority_matrix",
        "triage_outcome",
        "triaged_at",
        "triaged_by",
        "request_type",
        "rerouted_to",
        "linked_incidents",
        "assignment_group",
        "assigned_to",
        "hold_reason",
        "resolution_code",
        "resolution_notes",
        "resolved_at",
        "cancel_reason",
        "reopen_count",
        "closed_at",
        "opened_by",
    )

    @admin.display(description="Opened (UK time)")
    def opened_display(self, obj):
        return uk_time(obj.opened_at)

    @admin.display(description="Priority (from the matrix)")
    def computed_priority(self, obj):
        if obj.priority is None:
            return "Not set: choose impact and urgency, then save."
        return obj.get_priority_display()

    @admin.display(description="Priority matrix")
    def priority_matrix(self, obj):
        """The matrix with the case's impact × urgency marked (§3.8)."""
        return priority_matrix_html(obj.impact, obj.urgency)

    @admin.display(description="Attachments")
    def attachment_links(self, obj):
        # Plain rows: the list shows four columns, and the uploader join is not needed.
        attachments = attachments_for(obj).values_list("pk", "original_name", "size", "created_at")
        links = console_page.Links()
        rows = [
            (
                links.url("portal:attachment_download", pk),
                name,
                max(1, round(size / 1024)),
                uk_time(created_at),
            )
            for pk, name, size, created_at in attachments
        ]
        if not rows:
            return "None"
        return format_html(
            "<ul class='console-attachments'>{}</ul>",
            format_html_join("", "<li><a href='{}'>{}</a> ({} KB, {})</li>", rows),
        )

    @admin.display(description="Linked incidents")
    def linked_incidents(self, obj):
        # The links first, and their incidents only if there are any: most cases have none,
        # and the links alone are the cheaper query.
        incident_ids = list(
            TicketLink.objects.filter(
                kind=TicketLink.Kind.CASE_INCIDENT,
                from_type=ContentType.objects.get_for_model(Case),
                from_id=obj.pk,
            ).values_list("to_id", flat=True)
        )
        if not incident_ids:
            return "None"
        incidents = Incident.objects.filter(pk__in=incident_ids).values_list(
            "pk", "number", "state", "priority", "assignment_group__name"
        )
        links = console_page.Links()
        rows = [
            (
                links.url(f"{self.admin_site.name}:incidents_incident_change", pk),
                number,
                Incident.State(state).label,
                Priority(priority).label if priority else "no priority",
                group or "unassigned",
            )
            for pk, number, state, priority, group in incidents
        ]
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li><a href='{}'>{}</a> — {}, {}, {}</li>", rows),
        )

    # --- saving: impact and urgency only, through the service ---

    def save_model(self, request, obj, form, change):
        """Only impact and urgency are editable; they go through `case_classify` (§3.8)."""
        if not change or not ({"impact", "urgency"} & set(form.changed_data)):
            return
        case = case_classify(
            case=Case.objects.get(pk=obj.pk),
            actor=request.user,
            impact=form.cleaned_data["impact"],
            urgency=form.cleaned_data["urgency"],
        )
        obj.priority = case.priority
        self.message_user(
            request,
            f"{case.number}: priority {case.get_priority_display()} from impact "
            f"{case.get_impact_display()} and urgency {case.get_urgency_display()}.",
            messages.INFO,
        )

    def save_related(self, request, form, formsets, change):
        """Nothing related is edited on the case page."""

    def transition_warnings(self, request, obj, action) -> list[str]:
        """Resolving or closing a case whose incident is still open asks the agent to confirm
        (§5.5 steps 14–15: the incident's fix is what the caller is told about)."""
        if action.name not in ("resolve", "close"):
            return []
        return [
            f"Incident {number} linked to this case is still open ({state}): the technical "
            f"work may not be finished."
            for number, state in open_incidents_of(obj)
        ]

    def run_transition(self, request, obj, *, name, expected_state, note, **arguments):
        return case_transition(
            case=obj,
            actor=request.user,
            name=name,
            expected_state=expected_state,
            note=note,
            **arguments,
        )

    # --- the page: facts drawn by `console_page`, the admin form for impact and urgency ---

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        """The page's facts as one string from `console_page` (the `fieldsets` are still the
        layout); the admin's form keeps impact and urgency, saved through `case_classify`."""
        if obj is not None and change:
            admin_form = context["adminform"]
            editable = frozenset(admin_form.form.fields) - set(admin_form.readonly_fields)
            context["case_facts"] = console_page.case_facts_html(
                self, obj, form=admin_form.form, editable=editable
            )
            context["may_save"] = bool(editable)
            preserved = {"preserved_filters": context.get("preserved_filters"), "opts": self.opts}
            context["history_url"] = add_preserved_filters(preserved, self._url("history", obj.pk))
            context["changelist_url"] = add_preserved_filters(preserved, self._url("changelist"))
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- extra pages: triage queue, triage, comments ---

    def ticket_context(self, request, obj) -> dict:
        context = super().ticket_context(request, obj)
        may_triage = (
            request.user.has_perm("cases.triage_case")
            and not obj.triage_outcome
            and obj.state in (Case.State.NEW, Case.State.IN_PROGRESS)
        )
        context["triage_url"] = self._url("triage", obj.pk) if may_triage else ""
        if self.has_change_permission(request, obj):
            context["comment_fields"] = console_page.blank_comment_fields_html()
            context["comment_url"] = self._url("comment", obj.pk)
        context.update(admin_targets.service_request_context(self, request, obj))
        context.update(admin_desk.case_page_context(self, request, obj))
        return context

    def transition_buttons(self, request, obj) -> list[dict]:
        """A Closed case reopens from its request to reopen (§10.3), never from a button."""
        buttons = super().transition_buttons(request, obj)
        return [button for button in buttons if button["name"] != "reopen"]

    def triage_queue_view(self, request):
        return admin_views.triage_queue(self, request)

    def triage_view(self, request, object_id):
        return admin_views.triage_case(self, request, object_id)

    def comment_view(self, request, object_id):
        return admin_views.case_comment(self, request, object_id)

    def raise_for_caller_view(self, request):
        return admin_phone.raise_for_caller(self, request)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("triage/", view(self.triage_queue_view), name=f"{prefix}_triage_queue"),
            *admin_desk.urls(self),
            path(
                "raise-for-caller/",
                view(self.raise_for_caller_view),
                name=f"{prefix}_raise_for_caller",
            ),
            path("<path:object_id>/triage/", view(self.triage_view), name=f"{prefix}_triage"),
            path(
                "<path:object_id>/comment/",
                view(self.comment_view),
                name=f"{prefix}_comment",
            ),
            path(
                "<path:object_id>/custom-target/",
                view(functools.partial(admin_targets.custom_target_view, self)),
                name=f"{prefix}_custom_target",
            ),
            *super().get_urls(),
        ]


def _index_with_service_desk_panel(index):
    """The console home shows the triage queue's size and how many cases are past the
    15-minute target (§4.1). The site's own `index` is wrapped, not replaced."""

    @functools.wraps(index)
    def wrapped(request, extra_context=None):
        summary = admin_views.triage_summary(request)
        reopen = admin_desk.reopen_summary(request)
        context = {"triage_summary": summary, "reopen_summary": reopen}
        return index(request, {**context, **(extra_context or {})})

    return wrapped


admin.site.index = _index_with_service_desk_panel(admin.site.index)
