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
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from accounts.admin_history import AuditedHistoryAdmin
from core.admin import (
    CappedCountAdminMixin,
    ServiceFormAdminMixin,
    add_domain_error,
    error_fits_form,
    uk_time,
)
from core.errors import DomainError

from .admin_list import list_rows
from .extensions import console_extensions
from .lifecycle import Action
from .models import Category, Service, Subcategory, Ticket
from .reference_cache import category_choices
from .registry import ticket_type_for
from .selectors import journal_for, visible_tickets
from .services import ticket_act


class TransitionForm(forms.Form):
    """Confirmation of one lifecycle action, with the arguments its declaration asks for
    (`tickets.lifecycle.Action`, §5.12).

    Fields are optional here on purpose: the service says what is missing, in its words.
    With `warnings` (`TicketAdmin.transition_warnings`: something the agent should know, which
    the service still allows), the agent must tick `confirm` before the action runs.
    """

    expected_state = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        action: Action,
        model: type[Ticket],
        note_help: str = "",
        warnings: list[str] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.action = action
        self.warnings = list(warnings)
        for argument in action.arguments:
            self.fields[argument.name] = _argument_field(argument, model)
        if action.note is not None:
            field = _argument_field(action.note, model)
            if not action.note.required and not field.help_text:
                field.help_text = note_help
            self.fields["note"] = field
        if self.warnings:
            self.fields["confirm"] = forms.BooleanField(
                label=f"I have read the warning above: {action.label} it anyway",
                required=False,
            )

    def clean(self):
        cleaned = super().clean()
        if self.warnings and not cleaned.get("confirm"):
            self.add_error(
                "confirm", f"Tick the box to {self.action.label} it despite the warning."
            )
        return cleaned

    def arguments(self) -> dict:
        """The action's own arguments, as the service takes them."""
        return {a.name: self.cleaned_data.get(a.name, "") for a in self.action.arguments}


def _argument_field(argument, model) -> forms.Field:
    if argument.choices:
        return forms.ChoiceField(
            label=argument.label,
            choices=[("", "---------"), *argument.choices_for(model)],
            required=False,
            help_text=argument.help_text,
        )
    widget = forms.Textarea(attrs={"rows": argument.rows}) if argument.rows else None
    return forms.CharField(
        label=argument.label,
        widget=widget,
        max_length=None if argument.rows else argument.max_length,
        required=False,
        help_text=argument.help_text,
    )


class TicketChangeList(ChangeList):
    """A ticket list whose extension columns cost only the rows on the page.

    Extensions (the SLA engine's time to breach) fill their columns for the page's tickets in
    one query after the page is read (`annotate_rows`); a column's sort annotation is added
    to the list query only when the agent sorts by it (issue 9: at a million tickets, a
    per-row subquery over every clock is what made the list slow).
    """

    def get_queryset(self, request, exclude_parameters=None):
        sorted_by = {
            self.list_display[index]
            for index in self.get_ordering_field_columns()
            if 0 <= index < len(self.list_display)
        }
        for extension in console_extensions():
            columns = {name for name, _column in extension.columns}
            if extension.sort_annotate is not None and columns & sorted_by:
                self.root_queryset = extension.sort_annotate(self.root_queryset)
        queryset = super().get_queryset(request, exclude_parameters)
        if self.model_admin.list_only_fields:
            queryset = queryset.only(*self.model_admin.list_only_fields)
        return queryset

    def get_results(self, request):
        super().get_results(request)
        if self._rows_as_values():
            self.result_list = list_rows(self.result_list, self.model_admin.list_only_fields)
        # Reading the page fills the queryset's result cache, so the values set here are on
        # the very objects the list (and any formset built from it) iterates.
        rows = list(self.result_list)
        for extension in console_extensions():
            if extension.annotate_rows is not None:
                extension.annotate_rows(rows)

    def _rows_as_values(self) -> bool:
        """Whether the page may be read as plain rows: the admin asks for it and the list
        edits nothing and selects nothing (no formset, actions or pop-up: those need the
        objects)."""
        admin = self.model_admin
        return (
            admin.list_rows_as_values
            and bool(admin.list_only_fields)
            and not self.list_editable
            and not self.is_popup
            and "action_checkbox" not in self.list_display
        )


class ServiceDrivenPageMixin:
    """For a ticket page whose record changes only through its services (the lifecycle's
    buttons and the page's own forms): Django's save and delete buttons are hidden and nothing
    posted to the change form is saved directly."""

    def save_model(self, request, obj, form, change):
        """Nothing on the page is edited directly."""

    def save_related(self, request, form, formsets, change):
        """Nothing on the page is edited directly."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)


class TicketAdmin(CappedCountAdminMixin, ServiceFormAdminMixin, SimpleHistoryAdmin):
    """Shared console behaviour of every ticket type.

    Buttons, confirmation forms and their arguments come from the type's lifecycle
    (`tickets.registry`); apps above the kernel add list annotations, columns and page panels
    through `tickets.extensions` (the SLA engine's time to breach and clock panel). Subclasses
    may run transitions through their own service (`run_transition`); the default is the
    kernel's `ticket_act`.
    """

    list_per_page = 50
    change_list_template = "admin/tickets/change_list.html"
    # The columns the list reads (its columns' fields, joined ones as "organisation__name");
    # empty: every column. Descriptions and notes are not read for a list of 50 (issue 9).
    list_only_fields: tuple[str, ...] = ()
    # Read the page's `list_only_fields` as plain values rather than model instances
    # (`tickets.admin_list.list_rows`): for lists whose columns need nothing but those fields,
    # a joined object shown by the first of its listed fields that is set (issue 9).
    list_rows_as_values = False
    history_list_display = ["state_label", "priority_label"]
    object_history_list_template = "admin/tickets/object_history_list.html"
    # Joined when one ticket is opened, so read-only foreign keys cost no extra queries.
    detail_select_related: tuple[str, ...] = ()
    # Foreign keys the page shows that are read by id after the ticket instead of joined: one
    # query per related model (the caller, opener and assignee together), none for those not
    # set. Every join is one more relation for PostgreSQL to plan, and at nine relations
    # planning the one-row query took ~10 ms, far more than running it.
    detail_read_by_id: tuple[str, ...] = ()
    transition_note_help = ""

    # --- who sees what: the one visibility selector (§10.4) ---

    def get_queryset(self, request):
        return visible_tickets(super().get_queryset(request), user=request.user)

    def get_changelist(self, request, **kwargs):
        return TicketChangeList

    def __getattr__(self, name):
        # List columns contributed by extensions (`time_to_breach`), looked up when the list
        # is drawn and checked, after every app has registered its extension.
        if not name.startswith("_"):
            for extension in console_extensions():
                for column_name, column in extension.columns:
                    if column_name == name:
                        return column
        raise AttributeError(name)

    @property
    def ticket_type(self):
        return ticket_type_for(self.model)

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related(*self.detail_select_related)
        model = queryset.model
        field = model._meta.pk if from_field is None else model._meta.get_field(from_field)
        try:
            object_id = field.to_python(object_id)
            obj = queryset.get(**{field.name: object_id})
        except (model.DoesNotExist, ValidationError, ValueError):
            return None
        if self.detail_read_by_id:
            self._read_by_id(obj)
        return obj

    def _read_by_id(self, obj) -> None:
        """Fill `detail_read_by_id` on `obj` as `select_related` would have: one query per
        related model, none for a model whose keys are all empty."""
        by_model: dict = {}
        for name in self.detail_read_by_id:
            field = self.model._meta.get_field(name)
            by_model.setdefault(field.related_model, []).append(field)
        for related_model, fields in by_model.items():
            ids = {getattr(obj, field.attname) for field in fields} - {None}
            if not ids:
                continue
            found = related_model._default_manager.in_bulk(ids)
            for field in fields:
                related = found.get(getattr(obj, field.attname))
                if related is not None:
                    setattr(obj, field.name, related)

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

    @admin.display(description="Opened (UK time)", ordering="opened_at")
    def opened(self, obj):
        return uk_time(obj.opened_at)

    # --- the change page: journal and transition buttons ---

    def _url(self, name: str, *args) -> str:
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
        )

    def transition_warnings(self, request, obj, action: Action) -> list[str]:
        """What the agent should know before running `action` on `obj`, which the service
        still allows (a case whose incident is still open): the confirmation form shows each
        and asks the agent to confirm. None by default."""
        return []

    def transition_buttons(self, request, obj) -> list[dict]:
        query = urlencode({"expected_state": obj.state})
        available = {t.name for t in obj.get_available_user_state_transitions(request.user)}
        return [
            {
                "name": action.name,
                "label": action.button,
                "url": f"{self._url('transition', obj.pk, action.name)}?{query}",
            }
            for action in self.ticket_type.lifecycle.actions
            if action.name in available
        ]

    def ticket_context(self, request, obj) -> dict:
        context = {
            "transitions": self.transition_buttons(request, obj),
            "journal": list(journal_for(obj, include_work_notes=True)),
            "console_panels": [],
        }
        for extension in console_extensions():
            if extension.detail_context is not None:
                context.update(extension.detail_context(obj))
            if extension.panel_template:
                context["console_panels"].append(extension.panel_template)
        return context

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
        """The kernel's transition, for a type with no transition service of its own."""
        return ticket_act(
            ticket=obj,
            name=name,
            actor=request.user,
            expected_state=expected_state,
            note=note,
            **arguments,
        )

    def transition_view(self, request, object_id, name):
        """Confirm one transition, then run it through the type's service with the state the
        agent saw, so a ticket someone else moved meanwhile is refused (docs/conventions.md §3)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        change_url = self._url("change", obj.pk)
        action = self.ticket_type.lifecycle.action(name)
        if action is None:
            self.message_user(
                request,
                f"“{name}” is not something a {self.opts.verbose_name} can do.",
                messages.ERROR,
            )
            return HttpResponseRedirect(change_url)
        form = TransitionForm(
            request.POST if request.method == "POST" else None,
            action=action,
            model=self.model,
            note_help=self.transition_note_help,
            warnings=self.transition_warnings(request, obj, action),
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
            "title": f"{action.button}: {obj.number}",
            "opts": self.opts,
            "original": obj,
            "form": form,
            "button_label": action.button,
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


@admin.register(Subcategory)
class SubcategoryAdmin(AuditedHistoryAdmin):
    """Subcategories under the §5.16 categories: data the service managers keep "under
    constant review" (agents read them); every change is kept (§12)."""

    list_display = ("name", "category", "active", "sort_order")
    list_editable = ("sort_order",)
    list_filter = ("active", "category")
    list_select_related = ("category",)
    search_fields = ("name", "category__name")
    ordering = ("category__sort_order", "sort_order", "name")

    def has_delete_permission(self, request, obj=None):
        """Incidents keep their subcategory: retire one by unticking Active."""
        return False


# The kinds of service in the console's words (the model's labels cite the manual).
SERVICE_KIND_WORDS = {"new": "New service", "existing": "Existing service"}


@admin.register(Service)
class ServiceAdmin(AuditedHistoryAdmin):
    """The services the desk supports (§3.5, §3.6): the systems an incident names as affected
    and the rows of the public status page. Data the service managers keep (agents and
    resolvers read them); every change is kept (§12)."""

    list_display = ("name", "abbreviation", "code", "kind_words", "on_status_page", "active")
    list_filter = ("active", "on_status_page")
    search_fields = ("name", "code", "abbreviation")
    ordering = ("sort_order", "name")

    @admin.display(description="Kind", ordering="kind")
    def kind_words(self, obj):
        return SERVICE_KIND_WORDS.get(obj.kind, obj.kind)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "kind":
            kwargs["choices"] = [
                (value, SERVICE_KIND_WORDS[value]) for value in Service.Kind.values
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None):
        """Incidents and status-page history keep their services: retire one instead."""
        return False


class GenericTicketAdmin(TicketAdmin):
    """The console of a ticket type whose app registers no admin of its own: its list, its
    page with the lifecycle's buttons, the extensions' panels and the journal."""

    change_form_template = "admin/tickets/change_form.html"
    list_display = ("number", "short_description", "state_label", "priority_label", "opened")
    list_display_links = ("number", "short_description")
    list_filter = ("state", "priority")
    search_fields = ("number", "short_description")
    ordering = ("-opened_at",)
    readonly_fields = (
        "number",
        "short_description",
        "description",
        "organisation",
        "caller",
        "assignment_group",
        "assigned_to",
        "category",
        "priority",
        "state",
        "opened_at",
    )
    fields = readonly_fields

    def save_model(self, request, obj, form, change):
        """Nothing on a generic ticket page is edited directly: it changes through actions."""


def register_generic_ticket_admins(site) -> None:
    """Give every registered ticket type without an admin of its own the generic one; the
    console's AppConfig calls this once every app's admin module is loaded."""
    from .registry import ticket_types

    for ticket_type in ticket_types():
        if not site.is_registered(ticket_type.model):
            site.register(ticket_type.model, GenericTicketAdmin)


class CategoryListFilter(admin.RelatedFieldListFilter):
    """ "By category" on every ticket list, its choices kept per process
    (tickets.reference_cache): one query fewer on each page view (issue 9)."""

    def field_choices(self, field, request, model_admin):
        if field.remote_field.model is Category:
            return category_choices()
        return super().field_choices(field, request, model_admin)
