"""Changes in the agent console (§8, §9): the change list and page (lifecycle buttons through
the change services, the approval form under the authority the change needs, the edit form
while New or in Assess), raising a change, the standard-change catalogue, the open
post-implementation review items and the external change notifications (§8.12).

Every field is read-only on the change page; all writes go through `changes.services`.
"""

from django.contrib import admin, messages
from django.urls import path, reverse

from core.admin import NoAddDeleteAdminMixin, uk_time
from core.errors import ConcurrentUpdate, DomainError
from tickets.admin import CategoryListFilter, ServiceDrivenPageMixin, TicketAdmin

from . import admin_views
from .conflicts import change_conflicts_for
from .models import (
    Change,
    ChangeReviewItem,
    ExternalChangeNotification,
    StandardChangeTemplate,
)
from .selectors import incidents_of_change, problems_of_change
from .services import (
    change_assess,
    change_cancel,
    change_close,
    change_complete,
    change_mark_unauthorised,
    change_schedule,
    change_start_implementation,
    change_submit,
    external_change_notification_acknowledge,
    standard_change_template_accept,
    standard_change_template_retire,
)
from .services.records import EDITABLE_STATES

# Decided through the approval form, with the authority they are made under (§8.3).
APPROVAL_ACTIONS = ("authorise", "reject", "return_for_information")

CHANGE_FIELDS = (
    "number",
    "change_type",
    "state",
    "short_description",
    "description",
    "category",
    "reason",
    "probability",
    "impact",
    "risk",
    "cab_required",
    "urgency",
    "priority",
    "requested_by",
    "opened_by",
    "planned_start_display",
    "planned_end_display",
    "window_display",
    "services_display",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "template",
    "assignment_group",
    "assigned_to",
    "submitted_display",
    "is_late",
    "late_justification",
    "cab_date",
    "authorisation_display",
    "actual_display",
    "closure_code",
    "closure_notes",
)


def _service_runner(name: str):
    def run(change, actor, arguments):
        services = {
            "submit": change_submit,
            "assess": change_assess,
            "schedule": change_schedule,
            "start_implementation": change_start_implementation,
            "complete": change_complete,
            "close": change_close,
            "cancel": change_cancel,
            "mark_unauthorised": change_mark_unauthorised,
        }
        return services[name](change=change, actor=actor, **arguments)

    return run


@admin.register(Change)
class ChangeAdmin(ServiceDrivenPageMixin, TicketAdmin):
    list_display = (
        "number",
        "short_description",
        "change_type",
        "state_label",
        "risk",
        "cab_required",
        "is_late",
        "planned_start_display",
        "assigned_to",
        "opened",
    )
    list_display_links = ("number", "short_description")
    list_select_related = ("assigned_to",)
    list_filter = (
        "state",
        "change_type",
        "risk",
        "cab_required",
        "is_late",
        ("category", CategoryListFilter),
        "assignment_group",
    )
    search_fields = ("number", "short_description")
    ordering = ("-opened_at",)
    show_full_result_count = False
    change_form_template = "admin/changes/change/change_form.html"
    change_list_template = "admin/changes/change/change_list.html"
    detail_select_related = (
        "category",
        "assignment_group",
        "assigned_to",
        "requested_by",
        "opened_by",
        "template",
        "authorised_by",
    )
    transition_note_help = "Added to the change's journal."
    fieldsets = (
        (None, {"fields": ("number", "change_type", "state", "template")}),
        (
            "Information",
            {"fields": ("short_description", "description", "category", "services_display")},
        ),
        (
            "Planning and justification",
            {
                "fields": (
                    "reason",
                    "probability",
                    "impact",
                    "risk",
                    "cab_required",
                    "urgency",
                    "priority",
                    "requested_by",
                    "opened_by",
                )
            },
        ),
        (
            "Scheduling",
            {"fields": ("planned_start_display", "planned_end_display", "window_display")},
        ),
        ("Plans", {"fields": ("implementation_plan", "test_plan", "backout_plan")}),
        ("Assignment", {"fields": ("assignment_group", "assigned_to")}),
        (
            "Submission and approval",
            {
                "fields": (
                    "submitted_display",
                    "is_late",
                    "late_justification",
                    "cab_date",
                    "authorisation_display",
                )
            },
        ),
        (
            "Post-implementation",
            {"fields": ("actual_display", "closure_code", "closure_notes")},
        ),
    )
    readonly_fields = CHANGE_FIELDS

    @admin.display(description="Planned start (UK time)", ordering="planned_start")
    def planned_start_display(self, obj):
        return uk_time(obj.planned_start) if obj.planned_start else "-"

    @admin.display(description="Planned end (UK time)")
    def planned_end_display(self, obj):
        return uk_time(obj.planned_end) if obj.planned_end else "-"

    @admin.display(description="Change window (UK time)")
    def window_display(self, obj):
        start, end = obj.window
        if start is None or end is None:
            return "-"
        return f"{uk_time(start)} to {uk_time(end)}"

    @admin.display(description="Affected services")
    def services_display(self, obj):
        return ", ".join(str(service) for service in obj.services.all()) or "-"

    @admin.display(description="Submitted (UK time)")
    def submitted_display(self, obj):
        return uk_time(obj.submitted_at) if obj.submitted_at else "Not yet submitted"

    @admin.display(description="Authorised")
    def authorisation_display(self, obj):
        if obj.authorised_at is None:
            return "Pre-approved (standard change)" if obj.is_standard else "Not authorised"
        via = obj.authorised_via.replace("_", " ")
        return f"{uk_time(obj.authorised_at)} by {obj.authorised_by} ({via})"

    @admin.display(description="Implemented (UK time)")
    def actual_display(self, obj):
        if obj.actual_start is None:
            return "-"
        end = uk_time(obj.actual_end) if obj.actual_end else "in progress"
        outside = " — outside its change window" if obj.outside_window else ""
        return f"{uk_time(obj.actual_start)} to {end}{outside}"

    def has_add_permission(self, request, obj=None):
        """Changes are raised through `change_create` on this admin's own form (§8.2)."""
        user = request.user
        return bool(user.is_active and user.is_staff and user.has_perm("changes.add_change"))

    def add_view(self, request, form_url="", extra_context=None):
        return admin_views.change_raise_view(self, request)

    def transition_buttons(self, request, obj) -> list[dict]:
        return [
            button
            for button in super().transition_buttons(request, obj)
            if button["name"] not in APPROVAL_ACTIONS
        ]

    def ticket_context(self, request, obj) -> dict:
        context = super().ticket_context(request, obj)
        context["linked_tickets"] = [
            *(
                (reverse("admin:incidents_incident_change", args=[i.pk]), i)
                for i in incidents_of_change(obj)
            ),
            *(
                (reverse("admin:problems_problem_change", args=[p.pk]), p)
                for p in problems_of_change(obj)
            ),
        ]
        context["approvals"] = list(obj.approvals.select_related("approver"))
        context["conflicts"] = change_conflicts_for(obj)
        kinds = admin_views.approval_kinds_open_to(request.user, obj)
        if kinds:
            context["approval_form"] = admin_views.ApprovalForm(kinds=kinds)
            context["approval_url"] = self._url("approval", obj.pk)
        if obj.state in EDITABLE_STATES and self.has_change_permission(request, obj):
            # An edit sent back with errors is drawn with them, next to its fields.
            sent = getattr(request, "change_update_form", None)
            context["update_form"] = sent or admin_views.ChangeUpdateForm(change=obj)
            context["update_url"] = self._url("update", obj.pk)
        review = ChangeReviewItem.objects.filter(change=obj).select_related("reviewed_by").first()
        context["review_item"] = review
        if review is not None and review.is_open and admin_views.may_review(request.user):
            sent = getattr(request, "change_review_form", None)
            context["review_form"] = sent or admin_views.ReviewForm()
            context["review_url"] = self._url("review", obj.pk)
        return context

    def run_transition(self, request, obj, *, name, expected_state, note, **arguments):
        if obj.state != expected_state:
            raise ConcurrentUpdate(
                f"{obj.number} was changed by someone else (it is now "
                f"{obj.get_state_display()}); reload it and try again."
            )
        return _service_runner(name)(obj, request.user, arguments)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        own = [
            ("add-standard/", self.standard_view, "add_standard"),
            ("<path:object_id>/update/", self.update_view, "update"),
            ("<path:object_id>/approval/", self.approval_view, "approval"),
            ("<path:object_id>/review/", self.review_view, "review"),
        ]
        return [
            *(
                path(route, self.admin_site.admin_view(view), name=f"{prefix}_{name}")
                for route, view, name in own
            ),
            *super().get_urls(),
        ]

    def standard_view(self, request):
        return admin_views.standard_change_raise_view(self, request)

    def update_view(self, request, object_id):
        return admin_views.change_update_view(self, request, object_id)

    def approval_view(self, request, object_id):
        return admin_views.change_approval_view(self, request, object_id)

    def review_view(self, request, object_id):
        return admin_views.change_review_view(self, request, object_id)


def _run_each(model_admin, request, queryset, service, done: str) -> None:
    count = 0
    for obj in queryset:
        try:
            service(obj)
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            count += 1
    if count:
        model_admin.message_user(request, f"{count} {done}.", messages.SUCCESS)


@admin.register(StandardChangeTemplate)
class StandardChangeTemplateAdmin(NoAddDeleteAdminMixin, admin.ModelAdmin):
    """The standard-change catalogue (§8.1.2): accepted at CAB (§8.9.6), retired when no
    longer pre-approved; both by the Change Manager through the actions."""

    list_display = ("name", "category", "state", "proposed_by", "accepted_at")
    list_filter = ("state", ("category", CategoryListFilter))
    list_select_related = ("category", "proposed_by")
    search_fields = ("name", "short_description")
    ordering = ("name",)
    actions = ("accept", "retire")
    readonly_fields = (
        "name",
        "short_description",
        "description",
        "category",
        "reason",
        "probability",
        "impact",
        "implementation_plan",
        "test_plan",
        "backout_plan",
        "state",
        "proposed_by",
        "proposed_at",
        "accepted_by",
        "accepted_at",
        "retired_at",
    )
    fields = readonly_fields

    @admin.action(description="Accept at CAB", permissions=["change"])
    def accept(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda t: standard_change_template_accept(template=t, actor=request.user),
            "standard change(s) accepted",
        )

    @admin.action(description="Retire from the catalogue", permissions=["change"])
    def retire(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda t: standard_change_template_retire(template=t, actor=request.user),
            "standard change(s) retired",
        )


class ReviewOpenFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return (("yes", "Open"), ("no", "Reviewed"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(reviewed_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset


@admin.register(ChangeReviewItem)
class ChangeReviewItemAdmin(NoAddDeleteAdminMixin, admin.ModelAdmin):
    """Post-implementation review items (§8.8, §8.9.9): changes closed with an outcome other
    than Successful or Cancelled, for the next CAB."""

    list_display = ("change_number", "closure_code", "opened", "reviewed_at", "reviewed_by")
    list_filter = (ReviewOpenFilter, "closure_code")
    list_select_related = ("change", "reviewed_by")
    search_fields = ("change__number", "change__short_description")
    ordering = ("opened_at",)
    readonly_fields = (
        "change",
        "closure_code",
        "opened_at",
        "reviewed_at",
        "reviewed_by",
        "lessons",
    )
    fields = readonly_fields

    @admin.display(description="Change", ordering="change__number")
    def change_number(self, obj):
        return f"{obj.change.number} {obj.change.short_description}"

    @admin.display(description="Opened (UK time)", ordering="opened_at")
    def opened(self, obj):
        return uk_time(obj.opened_at)


@admin.register(ExternalChangeNotification)
class ExternalChangeNotificationAdmin(NoAddDeleteAdminMixin, admin.ModelAdmin):
    """Change notifications from external parties (§8.12), for the Change Manager to read and
    acknowledge."""

    list_display = ("title", "organisation", "planned_start_display", "state", "received")
    list_filter = ("state", "organisation")
    list_select_related = ("organisation",)
    search_fields = ("title", "external_reference", "description")
    ordering = ("-received_at",)
    actions = ("acknowledge",)
    readonly_fields = (
        "title",
        "external_reference",
        "organisation",
        "submitted_by",
        "description",
        "impact",
        "contact",
        "planned_start",
        "planned_end",
        "state",
        "received_at",
        "acknowledged_by",
        "acknowledged_at",
        "change",
    )
    fields = readonly_fields

    @admin.display(description="Planned start (UK time)", ordering="planned_start")
    def planned_start_display(self, obj):
        return uk_time(obj.planned_start)

    @admin.display(description="Received (UK time)", ordering="received_at")
    def received(self, obj):
        return uk_time(obj.received_at)

    @admin.action(description="Acknowledge", permissions=["change"])
    def acknowledge(self, request, queryset):
        _run_each(
            self,
            request,
            queryset,
            lambda n: external_change_notification_acknowledge(notification=n, actor=request.user),
            "notification(s) acknowledged",
        )
