"""The SLA part of the agent console (docs/architecture.md §3): definitions and clocks.

A service manager edits the definitions (the levels of §3.10, §7.2, §3.1/§4.1 and §14.4 are
data); a changed definition applies to clocks started from then on, since a clock keeps the
terms it started with. Clocks are read-only: only the ticket services move them, and the
sweeps flag them. The clock list shows the time left to each deadline and filters by at risk,
breached and paused, scoped by the one visibility selector (§10.4); the tickets it covers are
every registered ticket type (`tickets.registry`).

For the ticket lists of every type: `TicketSlaStatusFilter` (the ticket admins use it) and the
"Time to breach" column (`time_to_breach_column`), which `SlaConfig.ready` registers with the
kernel's console (`tickets.extensions`) together with the list annotation and the clock panel.
"""

from datetime import datetime, timedelta

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case as Switch
from django.db.models import OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.fields import CharField
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from accounts.admin_history import AuditedHistoryAdmin
from core.admin import CappedCountAdminMixin, uk_time
from tickets.models import Ticket
from tickets.registry import ticket_types
from tickets.selectors import can_view_all, visible_tickets

from .models import SLADefinition, TicketSLA
from .selectors import format_working_time, sla_timeline_for, with_sla_status


def time_to_breach(clock: TicketSLA, now: datetime) -> str:
    """Wall-clock time left until the clock's deadline, from the row's own fields: "3 h 05 min",
    "2 d 4 h", "breached 40 min ago", "paused", or "-" once stopped or without a target."""
    if clock.stopped_at is not None:
        return "-"
    if clock.paused_since is not None:
        return "paused"
    if clock.deadline is None:
        return "-"
    left = clock.deadline - now
    words = _span(abs(left))
    return words if left >= timedelta(0) else f"breached {words} ago"


def _span(value: timedelta) -> str:
    minutes = int(value.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


# --- definitions -------------------------------------------------------------------------------


class SLADefinitionForm(forms.ModelForm):
    """The states lists as tick boxes of the lifecycle's states rather than raw JSON."""

    pause_states = forms.MultipleChoiceField(
        choices=Ticket.State.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The clock is paused while the ticket is in these states (On Hold).",
    )
    stop_states = forms.MultipleChoiceField(
        choices=Ticket.State.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="The clock stops when the ticket reaches one of these states.",
    )

    class Meta:
        model = SLADefinition
        fields = [
            "name",
            "description",
            "target_type",
            "active",
            "sort_order",
            "ticket_kind",
            "priority",
            "service_request",
            "request_type",
            "channel",
            "subject_prefix",
            "calendar",
            "duration",
            "at_risk_percent",
            "pause_states",
            "stop_states",
            "stop_when_triaged",
            "stop_on_message",
            "resume_on_reopen",
            "visible_to_participants",
        ]


@admin.register(SLADefinition)
class SLADefinitionAdmin(AuditedHistoryAdmin):
    """Service levels as data, editable by a service manager (docs/architecture.md §3); every change is
    kept and shown on the History page (§12)."""

    form = SLADefinitionForm
    list_display = (
        "name",
        "target_type",
        "ticket_kind",
        "priority",
        "request_type",
        "calendar",
        "target",
        "at_risk_percent",
        "visible_to_participants",
        "active",
    )
    list_filter = ("active", "target_type", "ticket_kind", "calendar")
    search_fields = ("name", "description")
    ordering = ("sort_order", "name")
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "description", "target_type", "active", "sort_order")}),
        (
            "Applies to",
            {
                "fields": (
                    "ticket_kind",
                    "priority",
                    "service_request",
                    "request_type",
                    "channel",
                    "subject_prefix",
                )
            },
        ),
        (
            "Target",
            {
                "description": "A change applies to clocks started from now on; running clocks "
                "keep the terms they started with, so past figures stay as they were judged.",
                "fields": ("calendar", "duration", "at_risk_percent"),
            },
        ),
        (
            "Pauses and stops",
            {
                "fields": (
                    "pause_states",
                    "stop_states",
                    "stop_when_triaged",
                    "stop_on_message",
                    "resume_on_reopen",
                )
            },
        ),
        ("Shown to", {"fields": ("visible_to_participants",)}),
        ("Record", {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    @admin.display(description="Target", ordering="duration")
    def target(self, obj: SLADefinition) -> str:
        if obj.duration is None:
            return "agreed per request"
        return format_working_time(obj.duration)

    def has_delete_permission(self, request, obj=None):
        """Clocks keep their definition for the record: retire one by unticking Active."""
        return False


# --- clocks ------------------------------------------------------------------------------------


def _ticket_models() -> list[type[Ticket]]:
    """The ticket models clocks run on: every registered ticket type (`tickets.registry`)."""
    return [ticket_type.model for ticket_type in ticket_types()]


def clocks_visible_to(queryset: QuerySet, *, user) -> QuerySet:
    """The clocks of tickets `user` may see, by the one visibility selector (§10.4)."""
    models = _ticket_models()
    if all(can_view_all(user, model) for model in models):
        return queryset
    condition = Q(pk__in=[])
    for model in models:
        visible = visible_tickets(model.objects.all(), user=user)
        condition |= Q(
            ticket_type=ContentType.objects.get_for_model(model),
            ticket_id__in=visible.values("pk"),
        )
    return queryset.filter(condition)


class ClockStatusFilter(admin.SimpleListFilter):
    """At risk, breached, paused, running or stopped, as of now (stored instants vs now, so a
    clock the sweep has not reached yet is shown as it stands)."""

    title = "SLA status"
    parameter_name = "sla_status"

    def lookups(self, request, model_admin):
        return [
            ("at_risk", "At risk"),
            ("breached", "Breached"),
            ("paused", "Paused"),
            ("running", "Running"),
            ("stopped", "Stopped"),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        running = Q(stopped_at__isnull=True, paused_since__isnull=True)
        breached = Q(breached=True) | (running & Q(deadline__lt=now))
        conditions = {
            # At risk and not (yet) breached: the list that still needs action.
            "at_risk": (Q(at_risk=True) | (running & Q(at_risk_at__lte=now))) & ~breached,
            "breached": breached,
            "paused": Q(paused_since__isnull=False),
            "running": running,
            "stopped": Q(stopped_at__isnull=False),
        }
        condition = conditions.get(self.value())
        return queryset if condition is None else queryset.filter(condition)


@admin.register(TicketSLA)
class TicketSLAAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    """Every clock, read-only, with time to breach; the timeline of a ticket's clocks on its page."""

    list_display = (
        "ticket_number",
        "definition",
        "phase",
        "deadline_uk",
        "time_to_breach",
        "percent",
        "at_risk",
        "breached",
    )
    list_filter = (ClockStatusFilter, "target_type", "calendar", "cancelled", "definition")
    list_select_related = ("definition",)
    search_fields = ("definition__name",)
    ordering = ("deadline", "id")
    list_per_page = 100
    fields = (
        "ticket_number",
        "definition",
        "target_type",
        "calendar",
        "target_display",
        "at_risk_percent",
        "started_at",
        "deadline_uk",
        "time_to_breach",
        "at_risk",
        "breached",
        "breached_at",
        "cancelled",
        "replaces",
        "timeline",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        # The ticket's number, joined in per ticket type so the list costs no query per row.
        numbers = [
            When(
                ticket_type=ContentType.objects.get_for_model(model),
                then=Subquery(model.objects.filter(pk=OuterRef("ticket_id")).values("number")[:1]),
            )
            for model in _ticket_models()
        ]
        if numbers:
            queryset = queryset.annotate(
                ticket_number_value=Switch(*numbers, default=Value(""), output_field=CharField())
            )
        return clocks_visible_to(queryset, user=request.user)

    def get_search_results(self, request, queryset, search_term):
        """A ticket number (CS0000012) or part of a definition's name."""
        term = search_term.strip()
        if not term:
            return queryset, False
        number = Q(ticket_number_value=term.upper())
        return queryset.filter(number | Q(definition__name__icontains=term)), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        """Clocks move only with their tickets (services) and the sweeps."""
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Ticket", ordering="ticket_number_value")
    def ticket_number(self, obj: TicketSLA):
        number = getattr(obj, "ticket_number_value", "") or f"#{obj.ticket_id}"
        try:
            model = ContentType.objects.get_for_id(obj.ticket_type_id).model_class()
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                args=[obj.ticket_id],
            )
        except (AttributeError, NoReverseMatch):
            return number
        return format_html('<a href="{}">{}</a>', url, number)

    @admin.display(description="Phase")
    def phase(self, obj: TicketSLA) -> str:
        if obj.cancelled:
            return "cancelled"
        if obj.stopped_at is not None:
            return "stopped"
        return "paused" if obj.paused_since is not None else "running"

    @admin.display(description="Deadline (UK time)", ordering="deadline")
    def deadline_uk(self, obj: TicketSLA) -> str:
        return uk_time(obj.deadline)

    @admin.display(description="Time to breach", ordering="deadline")
    def time_to_breach(self, obj: TicketSLA) -> str:
        return time_to_breach(obj, timezone.now())

    @admin.display(description="Elapsed")
    def percent(self, obj: TicketSLA) -> str:
        value = obj.percent_elapsed_at(timezone.now())
        return "-" if value is None else f"{value}%"

    @admin.display(description="Target")
    def target_display(self, obj: TicketSLA) -> str:
        return format_working_time(obj.target) if obj.target else "agreed per request"

    @admin.display(description="How it was counted")
    def timeline(self, obj: TicketSLA):
        ticket = obj.ticket
        if ticket is None:
            return "-"
        clocks = [view for view in sla_timeline_for(ticket) if view.clock.pk == obj.pk]
        # The partial escapes everything it shows.
        return mark_safe(render_to_string("sla/_clock_timeline.html", {"sla_clocks": clocks}))  # noqa: S308


# --- SLA columns and filter for the ticket lists ------------------------------------------------


class TicketSlaStatusFilter(admin.SimpleListFilter):
    """Filter a ticket list by its clocks (`sla.selectors.with_sla_status`)."""

    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("breached", "Breached"),
            ("at_risk", "At risk"),
            ("paused", "Paused (On Hold)"),
            ("on_track", "On track"),
        ]

    def queryset(self, request, queryset):
        return with_sla_status(queryset, self.value() or "")


def ticket_time_to_breach(ticket, now: datetime) -> str:
    """The list column's value: time left to the nearest running deadline, "breached", or
    "paused"; the page's tickets carry the values of `sla.selectors.sla_summaries_for`."""
    if getattr(ticket, "sla_breached", False):
        return "breached"
    deadline = getattr(ticket, "sla_deadline", None)
    if deadline is None:
        return "paused" if getattr(ticket, "sla_paused", False) else "-"
    left = deadline - now
    if left < timedelta(0):
        return f"due {_span(-left)} ago"
    return _span(left) + (" (at risk)" if getattr(ticket, "sla_at_risk", False) else "")


@admin.display(description="Time to breach", ordering="sla_deadline")
def time_to_breach_column(ticket) -> str:
    """The "Time to breach" column of every ticket list, as of now; `SlaConfig.ready` offers it
    to the kernel's console (`tickets.extensions.ConsoleExtension`) as `time_to_breach`."""
    return ticket_time_to_breach(ticket, timezone.now())
