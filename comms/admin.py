"""The notification outbox in the console: read-only, with a Retry action (§8)."""

from django.contrib import admin, messages
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from core.admin import CappedCountAdminMixin, uk_time
from core.errors import DomainError

from .inbound import inbound_email_retry
from .models import InboundEmail, OutboundMessage
from .services import outbound_message_retry

# The outbox service re-queues only these (a dead letter, or one still waiting).
RETRYABLE = (OutboundMessage.Status.DEAD, OutboundMessage.Status.PENDING)


@admin.register(OutboundMessage)
class OutboundMessageAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    list_display = ("created", "status", "template", "to_email", "attempts", "sent_at")
    list_filter = ("status", "template")
    search_fields = ("to_email", "subject", "message_id")
    ordering = ("-created_at", "-id")
    actions = ("retry",)
    fields = (
        "template",
        "to_email",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "message_id",
        "ticket_link",
        "created_at",
        "body_text",
    )
    readonly_fields = fields

    @admin.display(description="Created", ordering="created_at")
    def created(self, obj):
        return uk_time(obj.created_at)

    @admin.display(description="Ticket")
    def ticket_link(self, obj):
        if obj.ticket_type_id is None:
            return "-"
        ticket = obj.ticket
        if ticket is None:
            return "-"
        try:
            url = reverse(
                f"admin:{obj.ticket_type.app_label}_{obj.ticket_type.model}_change",
                args=[ticket.pk],
            )
        except NoReverseMatch:
            return str(ticket)
        return format_html("<a href='{}'>{}</a>", url, ticket.number)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        """A message is never edited; change permission only unlocks the Retry action."""
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    @admin.action(
        description="Retry delivery of selected dead-letter or pending messages",
        permissions=["change"],
    )
    def retry(self, request, queryset):
        retried = skipped = 0
        for message in queryset:
            if message.status not in RETRYABLE:
                skipped += 1
                continue
            outbound_message_retry(message=message, actor=request.user)
            retried += 1
        if retried:
            self.message_user(
                request, f"{retried} message(s) queued for delivery again.", messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                f"{skipped} message(s) skipped: only dead-letter or pending messages are retried.",
                messages.WARNING,
            )


@admin.register(InboundEmail)
class InboundEmailAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    """Replies by email as received (§10.2): what was attached, opened a case, or refused and why.
    Read-only: the record is the audit of what came in. A message that failed (issue 7) is kept
    whole and can be processed again with the Retry action."""

    list_display = (
        "received_at",
        "from_address",
        "subject",
        "status",
        "source",
        "attempts",
        "reason",
    )
    list_filter = ("status", "source")
    search_fields = ("from_address", "subject", "message_id")
    date_hierarchy = "received_at"
    actions = ("retry",)
    exclude = ("raw_message",)
    readonly_fields = ("raw_preview",)

    @admin.display(description="Message as received (failed messages only)")
    def raw_preview(self, obj):
        raw = bytes(obj.raw_message or b"")
        if not raw:
            return "-"
        text = raw[:20_000].decode("utf-8", "replace").replace("\x00", "\\0")
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", text)

    def get_queryset(self, request):
        # The list never needs the stored messages themselves.
        return super().get_queryset(request).defer("raw_message")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        """A record is never edited; change permission only unlocks the Retry action."""
        if obj is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(
        description="Retry processing of selected failed messages", permissions=["change"]
    )
    def retry(self, request, queryset):
        done, refused = [], []
        for record in queryset.filter(status=InboundEmail.Status.FAILED):
            try:
                outcome = inbound_email_retry(inbound_email=record, actor=request.user)
            except DomainError as exc:
                refused.append(exc.message)
                continue
            done.append(f"{record.message_id}: {outcome.status}")
        skipped = queryset.exclude(status=InboundEmail.Status.FAILED).count()
        if done:
            self.message_user(request, "Retried: " + "; ".join(done), messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.ERROR)
        if skipped:
            self.message_user(
                request,
                f"{skipped} message(s) skipped: only failed messages are retried.",
                messages.WARNING,
            )


from . import admin_lists  # noqa: E402, F401  (registers distribution lists and requests)
