"""The kernel's part of the agent console: categories, and what every ticket admin shares.

Ticket admins hold no business rules (docs/conventions.md §1, §3): they list what the visibility
selector allows, show `state` read-only, draw a button for each transition the user may run
(`get_available_user_state_transitions`), and send each button through a small confirmation
form to the ticket type's transition service. Domain errors come back as form errors or
messages, never as a 500.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_history import AuditedHistoryAdmin
from core.admin import ServiceFormAdminMixin, add_domain_error, error_fits_form, uk_time
from core.errors import DomainError
from sla.admin import ticket_time_to_breach
from sla.selectors import sla_timeline_for, with_sla_summary

from .models import Category, Ticket
from .selectors import journal_for, visible_tickets

# What each lifecycle button says (§5.12, §10.3); the service decides whether it may run.
BUTTON_LABELS = {
    "start": "Start work",
    "hold": "Put on hold",
    "resume": "Resume",
    "resolve": "Resolve",
    "reject_resolution": "Reopen (reject resolution)",
    "close": "Close",
    "cancel": "Cancel",
}


class TransitionForm(forms.Form):
    """Confirmation of one lifecycle transition, with what that transition needs (§5.12).

    Fields are optional here on purpose: the service says what is missing, in its words.
    """

    expected_state = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, name: str, model: type[Ticket], note_help: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.name = name
        if name == "hold":
            self.fields["reason"] = forms.ChoiceField(
                label="Hold reason",
                choices=[("", "---------"), *model.HoldReason.choices],
                required=False,
                help_text="§5.12: SLA clocks pause while the ticket is On Hold.",
            )
        elif name == "cancel":
            self.fields["reason"] = forms.ChoiceField(
                label="Cancel reason",
                choices=[("", "---------"), *model.CancelReason.choices],
                required=False,
            )
        elif name == "resolve":
            self.fields["notes"] = forms.CharField(
                label="Resolution notes",
                widget=forms.Textarea(attrs={"rows": 5}),
                required=False,
            )
            self.fields["code"] = forms.CharField(
                label="Resolution code", max_length=40, required=False
            )
        if name == "reject_resolution":
            self.fields["note"] = forms.CharField(
                label="Why the resolution did not work",
                widget=forms.Textarea(attrs={"rows": 4}),
                required=False,
            )
        elif name != "resolve":
            self.fields["note"] = forms.CharField(
                label="Comment (optional)",
                widget=forms.Textarea(attrs={"rows": 3}),
                required=False,
                help_text=note_help,
            )

    def arguments(self) -> dict:
        """The transition's own arguments, as the service takes them."""
        data = self.cleaned_data
        if self.name in ("hold", "cancel"):
            return {"reason": data.get("reason", "")}
        if self.name == "resolve":
            return {"notes": data.get("notes", ""), "code": data.get("code", "")}
        return {}


class TicketAdmin(ServiceFormAdminMixin, SimpleHistoryAdmin):
    """Shared console behaviour for Case and Incident (and later Problem).

    Subclasses implement `run_transition` with their type's service.
    """

    show_full_result_count = False
    list_per_page = 50
    history_list_display = ["state_label", "priority_label"]
    object_history_list_template = "admin/tickets/object_history_list.html"
    # Joined when one ticket is opened, so read-only foreign keys cost no extra queries.
    detail_select_related: tuple[str, ...] = ()
    transition_note_help = ""

    # --- who sees what: the one visibility selector (§10.4) ---

    def get_queryset(self, request):
        # Clock summary as subqueries of the list's own query: time to breach and the SLA filter.
        queryset = with_sla_summary(super().get_queryset(request))
        return visible_tickets(queryset, user=request.user)

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related(*self.detail_select_related)
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            object_id = field.to_python(object_id)
            return queryset.get(**{field.name: object_id})
        except (model.DoesNotExist, ValidationError, ValueError):
            return None

    def has_add_permission(self, request, obj=None):
        """Tickets are raised through services (portal, triage), never an admin form."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Tickets are never deleted: cancel them instead (§10.5.3, every change audited)."""
        return False

    # --- history: shown, never reverted (reverting would assign `state`) ---

    def revert_disabled(self, request, obj=None):
        return True

    def history_view(self, request, object_id, extra_context=None):
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        labels = [getattr(self, name).short_description for name in self.history_list_display]
        extra_context = {"history_column_labels": labels, **(extra_context or {})}
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("History is read-only in the console.")
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    # --- list columns (and history columns, where `obj` is a historical record) ---

    @admin.display(description="State")
    def state_label(self, obj):
        return self.model.State(obj.state).label

    @admin.display(description="Priority")
    def priority_label(self, obj):
        return obj.get_priority_display() if obj.priority else "-"

    @admin.display(description="Time to breach", ordering="sla_deadline")
    def time_to_breach(self, obj):
        return ticket_time_to_breach(obj, timezone.now())

    @admin.display(description="Opened (UK time)", ordering="opened_at")
    def opened(self, obj):
        return uk_time(obj.opened_at)

    # --- the change page: journal and transition buttons ---

    def _url(self, name: str, *args) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
        )

    def transition_buttons(self, request, obj) -> list[dict]:
        query = urlencode({"expected_state": obj.state})
        available = {t.name for t in obj.get_available_user_state_transitions(request.user)}
        return [
            {
                "name": name,
                "label": label,
                "url": f"{self._url('transition', obj.pk, name)}?{query}",
            }
            for name, label in BUTTON_LABELS.items()
            if name in available
        ]

    def ticket_context(self, request, obj) -> dict:
        return {
            "transitions": self.transition_buttons(request, obj),
            "journal": list(journal_for(obj, include_work_notes=True)),
            "sla_clocks": sla_timeline_for(obj),
        }

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and change:
            context.update(self.ticket_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/transition/<slug:name>/",
                self.admin_site.admin_view(self.transition_view),
                name=f"{prefix}_transition",
            ),
            *super().get_urls(),
        ]

    def run_transition(
        self, request, obj, *, name: str, expected_state: str, note: str, **arguments
    ):
        raise NotImplementedError

    def transition_view(self, request, object_id, name):
        """Confirm one transition, then run it through the type's service with the state the
        agent saw, so a ticket someone else moved meanwhile is refused (docs/conventions.md §3)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = self._url("change", obj.pk)
        if name not in BUTTON_LABELS:
            self.message_user(
                request,
                f"“{name}” is not something a {self.opts.verbose_name} can do.",
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        form = TransitionForm(
            request.POST if request.method == "POST" else None,
            name=name,
            model=self.model,
            note_help=self.transition_note_help,
            initial={"expected_state": request.GET.get("expected_state", obj.state)},
        )
        if request.method == "POST" and form.is_valid():
            try:
                ticket = self.run_transition(
                    request,
                    obj,
                    name=name,
                    expected_state=form.cleaned_data["expected_state"],
                    note=form.cleaned_data.get("note", ""),
                    **form.arguments(),
                )
            except DomainError as error:
                if not error_fits_form(form, error):
                    self.message_user(request, error.message, messages.ERROR)
                    return HttpResponseRedirect(change_url)
                add_domain_error(form, error)
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{ticket.number} is now {ticket.get_state_display()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{BUTTON_LABELS[name]}: {obj.number}",
            "opts": self.opts,
            "original": obj,
            "form": form,
            "button_label": BUTTON_LABELS[name],
            "change_url": change_url,
            "has_view_permission": self.has_view_permission(request, obj),
        }
        return TemplateResponse(request, "admin/tickets/transition_form.html", context)


@admin.register(Category)
class CategoryAdmin(AuditedHistoryAdmin):
    """Categories of §5.16 and §7.1 are data, "under constant review"; every change is kept
    and shown on the History page (§12)."""

    list_display = ("name", "is_service_request", "active", "sort_order")
    list_editable = ("sort_order",)
    list_filter = ("active", "is_service_request")
    search_fields = ("name",)
    ordering = ("sort_order", "name")

    def has_delete_permission(self, request, obj=None):
        """Tickets keep their category: retire one by unticking Active."""
        return False
