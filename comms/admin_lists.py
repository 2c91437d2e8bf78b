"""Distribution lists and membership requests in the agent console (§5.19, §5.21).

The desk sees the lists and the queue of requests; the Approve and Reject actions call
`comms.lists`, which changes the membership and resolves the linked service request. Imported
by `comms/admin.py`, which registers these on import.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from accounts.admin_history import AuditedHistoryAdmin
from core.admin import CappedCountAdminMixin, add_domain_error, uk_time
from core.errors import DomainError

from .lists import (
    BODY_MAX,
    SUBJECT_MAX,
    distribution_list_approve,
    distribution_list_message_send,
    distribution_list_reach,
    distribution_list_reject,
)
from .models import (
    DistributionList,
    DistributionListMember,
    DistributionListMessage,
    ListMembershipRequest,
    is_desk_agent,
)


class DeskCanViewMixin:
    """Desk agents read lists and requests without a comms model permission of their own:
    deciding requests is desk work, checked again by the services."""

    def has_module_permission(self, request):
        return super().has_module_permission(request) or is_desk_agent(None, request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or is_desk_agent(None, request.user)


class DistributionListMemberInline(admin.TabularInline):
    model = DistributionListMember
    fields = ("user", "email", "phone", "added_at")
    readonly_fields = ("added_at",)
    raw_id_fields = ("user",)
    extra = 0


@admin.register(DistributionList)
class DistributionListAdmin(DeskCanViewMixin, AuditedHistoryAdmin):
    """Lists and their members; the list's History page shows changes to the list itself, and
    "Distribution list membership history" every member added or removed (§5.21, §12)."""

    list_display = (
        "name",
        "recipient_group",
        "delivery_method",
        "open_to_requests",
        "active",
        "member_count",
    )
    list_filter = ("delivery_method", "active", "open_to_requests")
    search_fields = ("name", "recipient_group")
    inlines = (DistributionListMemberInline,)
    change_form_template = "comms/admin/distributionlist_change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def may_send(self, request) -> bool:
        return request.user.is_staff and request.user.has_perm("comms.send_distributionlist")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {})}
        if self.may_send(request):
            extra_context["send_url"] = reverse(
                "admin:comms_distributionlist_send", args=[object_id]
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="comms_distributionlist_send",
            ),
            *super().get_urls(),
        ]

    def send_view(self, request, object_id):
        """Write to the list (§5.19, §5.19.1): the form shows how many people it will reach and
        how; sending goes through `distribution_list_message_send`, errors by their fields."""
        distribution_list = self.get_object(request, unquote(object_id))
        if distribution_list is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.may_send(request):
            raise PermissionDenied
        change_url = reverse("admin:comms_distributionlist_change", args=[distribution_list.pk])
        form = ListMessageForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                message = distribution_list_message_send(
                    distribution_list=distribution_list,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                )
            except DomainError as refusal:
                add_domain_error(form, refusal)
            else:
                self.message_user(
                    request,
                    f"“{message.subject}” sent to the {distribution_list.name} list: "
                    f"{_reach_words(message.emailed, message.texted, message.notified)}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        reach = distribution_list_reach(distribution_list)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Send a message to the {distribution_list.name} list",
            "opts": self.opts,
            "original": distribution_list,
            "form": form,
            "reach": reach,
            "reach_words": _reach_words(reach.emailed, reach.texted, reach.notified),
            "nobody": not (reach.emailed or reach.texted or reach.notified),
            "change_url": change_url,
            "has_view_permission": True,
        }
        status = 400 if form.is_bound and form.errors else 200
        return TemplateResponse(
            request, "comms/admin/distributionlist_send.html", context, status=status
        )


def _reach_words(emailed: int, texted: int, notified: int) -> str:
    def count(n: int, what: str) -> str:
        return f"{n} {what}{'' if n == 1 else 's'}"

    return (
        f"{count(emailed, 'email')}, {count(texted, 'text message')} and "
        f"{count(notified, 'portal notification')}"
    )


class ListMessageForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of message",
        choices=DistributionListMessage.Kind.choices,
        initial=DistributionListMessage.Kind.AD_HOC,
    )
    subject = forms.CharField(label="Subject", max_length=SUBJECT_MAX)
    body = forms.CharField(
        label="Message",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="Business and impact language. Never include an MPAN: it is never emailed.",
    )


@admin.register(DistributionListMessage)
class DistributionListMessageAdmin(CappedCountAdminMixin, DeskCanViewMixin, admin.ModelAdmin):
    """Messages sent to lists from the console: the record of what was said, by whom, when and
    to how many (§5.19, §12). Read-only."""

    list_display = ("sent", "distribution_list", "kind", "subject", "sent_by", "reach")
    list_select_related = ("distribution_list", "sent_by")
    list_filter = ("distribution_list", "kind")
    search_fields = ("subject",)
    ordering = ("-sent_at", "-id")
    fields = (
        "distribution_list",
        "kind",
        "subject",
        "body",
        "sent_by",
        "sent",
        "emailed",
        "texted",
        "notified",
    )
    readonly_fields = fields

    @admin.display(description="Sent", ordering="sent_at")
    def sent(self, obj):
        return uk_time(obj.sent_at)

    @admin.display(description="Reached")
    def reach(self, obj):
        return _reach_words(obj.emailed, obj.texted, obj.notified)

    def has_add_permission(self, request):
        return False  # sent from the list's "Send a message" page

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The requester reads this on their service request.",
    )


@admin.register(ListMembershipRequest)
class ListMembershipRequestAdmin(CappedCountAdminMixin, DeskCanViewMixin, admin.ModelAdmin):
    list_display = (
        "created",
        "requester",
        "person",
        "action",
        "distribution_list",
        "state",
        "case_link",
        "decided_by",
    )
    list_filter = ("state", "action", "distribution_list")
    list_select_related = ("requester", "person", "distribution_list", "case", "decided_by")
    search_fields = ("requester__email", "person__email", "case__number")
    ordering = ("-created_at", "-id")
    actions = ("approve_selected", "reject_selected")
    fields = (
        "distribution_list",
        "requester",
        "person",
        "action",
        "state",
        "case_link",
        "created",
        "decided_by",
        "decided_at",
        "decision_note",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # raised from the portal, which also raises the service request

    def has_change_permission(self, request, obj=None):
        return False  # decided through the actions, never edited

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Created", ordering="created_at")
    def created(self, obj):
        return uk_time(obj.created_at)

    @admin.display(description="Service request")
    def case_link(self, obj):
        if obj.case_id is None:
            return "-"
        url = reverse("admin:cases_case_change", args=[obj.case_id])
        return format_html('<a href="{}">{}</a>', url, obj.case.number)

    def _decide(self, request, queryset, decide) -> None:
        done, refused = 0, []
        for membership_request in queryset:
            try:
                decide(membership_request)
            except DomainError as refusal:
                refused.append(f"{membership_request.requester}: {refusal.message}")
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} request{'s' if done != 1 else ''} decided.")
        for message in refused:
            self.message_user(request, message, messages.ERROR)

    @admin.action(description="Approve selected requests")
    def approve_selected(self, request, queryset):
        self._decide(
            request,
            queryset,
            lambda item: distribution_list_approve(membership_request=item, actor=request.user),
        )

    @admin.action(description="Reject selected requests (with a reason)")
    def reject_selected(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._decide(
                request,
                queryset,
                lambda item: distribution_list_reject(
                    membership_request=item, actor=request.user, reason=reason
                ),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject list membership requests",
            "queryset": queryset,
            "form": form,
            "opts": self.model._meta,
            "cancel_url": request.get_full_path(),
        }
        return TemplateResponse(request, "comms/admin/reject_membership.html", context)


@admin.register(DistributionListMember.history.model)
class DistributionListMemberHistoryAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    """Every member added to or removed from a list, by whom and when (§5.21, §12). Read-only;
    visible to whoever may view distribution lists."""

    list_display = ("history_date", "change", "distribution_list", "member", "history_user")
    list_select_related = ("distribution_list", "user", "history_user")
    list_filter = ("distribution_list", "history_type")
    search_fields = ("email", "user__email")
    ordering = ("-history_date", "-history_id")

    @admin.display(description="Change", ordering="history_type")
    def change(self, obj):
        return {"+": "Added", "-": "Removed", "~": "Changed"}.get(obj.history_type, "")

    @admin.display(description="Member")
    def member(self, obj):
        return obj.user.email if obj.user_id else obj.email

    def _may_view_lists(self, request) -> bool:
        return request.user.has_perm("comms.view_distributionlist") or is_desk_agent(
            None, request.user
        )

    def has_module_permission(self, request):
        return self._may_view_lists(request)

    def has_view_permission(self, request, obj=None):
        return self._may_view_lists(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
