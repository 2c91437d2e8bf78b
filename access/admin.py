"""Access tokens in the console: every token visible to service managers, integration tokens
issued here (the secret shown once), any token revoked at once; nothing edited or deleted, so
the record of who held what stays whole (§10.5.2, §10.5.3)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import User
from core.admin import CappedCountAdminMixin
from core.errors import DomainError

from .forms import AccessTokenForm
from .models import AccessToken
from .services import access_token_create, access_token_revoke


class IntegrationTokenForm(AccessTokenForm):
    """Issue a token to an integration account (a mail gateway, another desk's system)."""

    user = forms.ModelChoiceField(
        label="Integration account",
        queryset=User.objects.filter(kind=User.Kind.INTEGRATION, is_active=True).order_by("email"),
        help_text="Tokens of people are created by themselves on their account page.",
        error_messages={"required": "Choose the integration account the token is for."},
    )
    rate_per_minute = forms.IntegerField(
        label="Requests per minute",
        required=False,
        min_value=1,
        max_value=100_000,
        help_text="This integration's own API rate. Leave empty for the API's default rate.",
    )
    field_order = ["user", "name", "scopes", "expires_in_days", "rate_per_minute"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_never=True, **kwargs)


@admin.register(AccessToken)
class AccessTokenAdmin(CappedCountAdminMixin, SimpleHistoryAdmin):
    list_display = (
        "name",
        "user",
        "token_start",
        "scope_list",
        "created_at",
        "expires_at",
        "last_used_at",
        "last_used_ip",
        "rate_per_minute",
        "status_label",
    )
    list_select_related = ("user",)
    list_filter = ("user__kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = (
        "user",
        "name",
        "token_start",
        "scope_list",
        "created_at",
        "created_by",
        "expires_at",
        "rate_per_minute",
        "last_used_at",
        "last_used_ip",
        "revoked_at",
        "revoked_by",
    )
    fields = readonly_fields
    actions = ["revoke_selected"]
    date_hierarchy = None

    @admin.display(description="Token starts")
    def token_start(self, obj):
        return f"mhhs_{obj.prefix}_…"

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes)

    @admin.display(description="Status")
    def status_label(self, obj):
        return obj.status

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("access.revoke_accesstoken"):
            actions.pop("revoke_selected", None)
        return actions

    @admin.action(description="Revoke selected tokens")
    def revoke_selected(self, request, queryset):
        revoked = 0
        for token in queryset.select_related("user"):
            try:
                if token.revoked_at is None:
                    access_token_revoke(actor=request.user, token=token, request=request)
                    revoked += 1
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
        self.message_user(request, f"{revoked} token(s) revoked.", messages.SUCCESS)

    def add_view(self, request, form_url="", extra_context=None):
        """Issue an integration token through the service and show its secret once."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        status = 200
        if request.method == "POST":
            form = IntegrationTokenForm(request.POST)
            if form.is_valid():
                try:
                    token, raw = access_token_create(
                        actor=request.user,
                        user=form.cleaned_data["user"],
                        name=form.cleaned_data["name"],
                        scopes=form.cleaned_data["scopes"],
                        expires_in_days=form.cleaned_data["expires_in_days"],
                        rate_per_minute=form.cleaned_data["rate_per_minute"],
                        mfa_verified=True,
                        request=request,
                    )
                except DomainError as exc:
                    form.add_domain_error(exc)
                else:
                    response = TemplateResponse(
                        request,
                        "admin/access/accesstoken/issued.html",
                        {
                            **self.admin_site.each_context(request),
                            "opts": self.opts,
                            "title": "Integration token issued",
                            "token": token,
                            "raw": raw,
                        },
                    )
                    response["Cache-Control"] = "no-store"
                    return response
            status = 400
        else:
            form = IntegrationTokenForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Issue an integration token",
            "form": form,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(
            request, "admin/access/accesstoken/issue.html", context, status=status
        )
