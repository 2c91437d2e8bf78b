"""People, organisations, resolver groups and the service-desk directory in the console.

Organisations are saved through `organisation_save` (it keeps the materialised path of the
tree, §10.4) and users are attached to an organisation through `user_attach_to_organisation`
(§10.1); refusals come back on the form. Roles, staff status and passwords are for superusers.
Each record has a read-only History page (§10.5.3, §12); the security event log is read-only.
Registrations waiting for approval are listed for the desk, who approve or refuse them
(`admin_registrations`).
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import CappedCountAdminMixin, ServiceFormAdminMixin, uk_time

from . import admin_registrations
from .admin_history import AuditedHistoryAdmin
from .audit import security_event_record
from .directory import desk_hours_text
from .models import (
    Organisation,
    RegistrationRequest,
    ResolverGroup,
    SecurityEvent,
    ServiceDesk,
    User,
)
from .selectors import registration_requests_with_progress
from .services import (
    organisation_save,
    user_attach_to_organisation,
    user_detach_from_organisation,
)

# Only a superuser grants roles, staff status or superuser status: anyone else who may edit
# users could otherwise raise their own privileges.
PRIVILEGE_FIELDS = ("kind", "is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(Organisation)
class OrganisationAdmin(CappedCountAdminMixin, ServiceFormAdminMixin, AuditedHistoryAdmin):
    """The organisation tree (§10.4), listed in tree order (the materialised path)."""

    list_display = (
        "tree_name",
        "parent",
        "depth",
        "party_id",
        "market_participant_id",
        "cra_market_role",
        "active",
    )
    list_select_related = ("parent",)
    list_filter = ("active", "cra_market_role")
    search_fields = ("name", "party_id", "market_participant_id")
    autocomplete_fields = ("parent",)
    ordering = ("path",)
    fields = (
        "name",
        "parent",
        "party_id",
        "market_participant_id",
        "cra_market_role",
        "email_domains",
        "active",
        "path",
        "depth",
    )
    readonly_fields = ("path", "depth")

    @admin.display(description="Depth")
    def depth(self, obj):
        """0 for a top-level organisation: "/1/" has one step, "/1/4/" two."""
        return max(obj.path.count("/") - 2, 0) if obj.path else 0

    @admin.display(description="Organisation", ordering="path")
    def tree_name(self, obj):
        return format_html("{}{}", "— " * self.depth(obj), obj.name)

    def save_model(self, request, obj, form, change):
        organisation_save(organisation=obj)


class ConsoleUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class ConsoleUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        """Only participant accounts belong to an organisation (accounts.services): a desk or
        integration account attached to one would see the portal as a participant."""
        cleaned = super().clean()
        kind = cleaned.get("kind", self.instance.kind)
        organisation = cleaned.get("organisation", self.instance.organisation)
        if kind != User.Kind.PARTICIPANT and organisation is not None:
            self.add_error(
                "organisation" if "organisation" in self.fields else None,
                "Only participant accounts belong to an organisation: clear the organisation "
                "to make this a desk or integration account.",
            )
        return cleaned


@admin.register(User)
class UserAdmin(CappedCountAdminMixin, ServiceFormAdminMixin, AuditedHistoryAdmin, DjangoUserAdmin):
    """Users sign in with their email address; there is no username (§10.1)."""

    form = ConsoleUserChangeForm
    add_form = ConsoleUserCreationForm
    list_display = ("email", "full_name", "organisation", "kind", "is_active", "last_login")
    list_select_related = ("organisation",)
    list_filter = ("kind", "is_staff", "is_active", "groups")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    autocomplete_fields = ("organisation",)
    filter_horizontal = ("groups", "user_permissions")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("full_name", "phone", "organisation")}),
        ("Access", {"fields": ("is_active", *PRIVILEGE_FIELDS)}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "full_name",
                    "organisation",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or request.user.is_superuser:
            return fieldsets
        # Only a superuser sets passwords, so nobody else is shown the reset link.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "password"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["last_login", "date_joined"]
        if not request.user.is_superuser:
            # "password" is not shown to them (get_fieldsets); listing it here drops the
            # form's declared field too.
            readonly += [*PRIVILEGE_FIELDS, "password"]
        return readonly

    def has_change_permission(self, request, obj=None):
        """Staff and superuser accounts are changed by superusers only."""
        if obj is not None and (obj.is_staff or obj.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser:
            raise PermissionDenied("Only a superuser sets another person's password.")
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change):
        """Everything but the organisation is saved here; attaching to an organisation goes
        through `user_attach_to_organisation` and clearing it through
        `user_detach_from_organisation` once the rest is saved (see save_related), so the
        console keeps the same boundaries and roles as the portal. Changes of kind, staff or
        superuser status and a deactivation go to the security log (§10.5.3); group changes are
        logged by the m2m signal (accounts.signals)."""
        if change and "organisation" in form.changed_data:
            if obj.organisation_id is not None:
                obj._console_attach_to = obj.organisation
            else:
                obj._console_detach = True
            obj.organisation_id = form.initial.get("organisation")
        elif not change and obj.organisation_id is not None:
            obj._console_attach_to = obj.organisation
            obj.organisation_id = None
        privileged = [
            name for name in ("kind", "is_staff", "is_superuser") if name in form.changed_data
        ]
        super().save_model(request, obj, form, change)
        if change and privileged:
            changes = ", ".join(
                f"{name} {form.initial.get(name)!s} → {getattr(obj, name)!s}" for name in privileged
            )
            security_event_record(
                kind=SecurityEvent.Kind.ROLE_CHANGED,
                actor=request.user,
                subject=obj,
                request=request,
                detail=f"Changed in the console: {changes}.",
            )
        if change and "is_active" in form.changed_data and not obj.is_active:
            security_event_record(
                kind=SecurityEvent.Kind.ACCOUNT_DEACTIVATED,
                actor=request.user,
                subject=obj,
                request=request,
                detail="Deactivated in the console.",
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        organisation = getattr(form.instance, "_console_attach_to", None)
        if organisation is not None:
            user_attach_to_organisation(
                user=form.instance, organisation=organisation, actor=request.user, request=request
            )
        elif getattr(form.instance, "_console_detach", False):
            user_detach_from_organisation(user=form.instance, actor=request.user, request=request)


@admin.register(ResolverGroup)
class ResolverGroupAdmin(AuditedHistoryAdmin):
    """Teams that work incidents (§5.15, Appendix G)."""

    list_display = ("name", "email", "vendor", "member_count", "active")
    list_select_related = ("vendor",)
    list_filter = ("active",)
    search_fields = ("name", "email")
    autocomplete_fields = ("vendor",)
    filter_horizontal = ("members",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "members":
            # Resolvers work incidents in the console, so only staff can be members.
            kwargs["queryset"] = User.objects.filter(is_staff=True).order_by("email")
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ServiceDeskForm(forms.ModelForm):
    portal_url = forms.URLField(label="Portal", required=False, assume_scheme="https")
    open_days = forms.TypedMultipleChoiceField(
        label="Open on",
        choices=ServiceDesk.Day.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave empty for a desk open 24 hours, or one whose hours are not known.",
    )

    class Meta:
        model = ServiceDesk
        exclude: tuple[str, ...] = ()


@admin.register(ServiceDesk)
class ServiceDeskAdmin(AuditedHistoryAdmin):
    """The directory of other desks used when re-routing a case and shown to participants on
    "Other service desks" (§3.11, §18.4, Appendix H)."""

    form = ServiceDeskForm
    list_display = ("name", "owner", "email", "phone", "hours", "active")
    list_filter = ("active", "open_all_hours", "closed_on_bank_holidays")
    search_fields = ("name", "owner", "service_provider", "query_types", "email")
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "owner", "service_provider", "query_types", "active")}),
        (
            "Contact (shared mailboxes and desk numbers, not people)",
            {"fields": ("portal_url", "email", "phone", "notes")},
        ),
        (
            "Opening hours (UK time)",
            {
                "fields": (
                    "open_all_hours",
                    "open_days",
                    ("opens_at", "closes_at"),
                    "closed_on_bank_holidays",
                    "hours_note",
                )
            },
        ),
        (
            "Out of hours",
            {"fields": ("out_of_hours_phone", "out_of_hours_email", "out_of_hours_notes")},
        ),
    )

    @admin.display(description="Opening hours")
    def hours(self, obj):
        return desk_hours_text(obj) or obj.hours_note or "-"


@admin.register(SecurityEvent)
class SecurityEventAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    """The security event log (§10.5.3, §12), for service managers (`view_securityevent`).

    Never editable: no add, change or delete for anyone, superusers included, so the log can be
    trusted as a record of who did what.
    """

    list_display = ("occurred_at", "kind", "subject", "email", "actor", "ip_address", "detail")
    list_select_related = ("actor", "subject")
    list_filter = ("kind", "occurred_at", ("actor", admin.RelatedOnlyFieldListFilter))
    search_fields = ("email", "subject__email", "actor__email")
    ordering = ("-occurred_at", "-pk")
    fields = (
        "occurred_at",
        "kind",
        "subject",
        "email",
        "actor",
        "ip_address",
        "user_agent",
        "detail",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegistrationRequest)
class RegistrationRequestAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    """People who registered and wait for approval (§10.1), for the desk: the list opens on the
    waiting ones; each leads to a page that approves (attaching them) or refuses with a reason.
    Nobody adds, edits or deletes a request here: the services write it."""

    list_display = ("email", "full_name", "asked_to_join", "status", "complete", "registered")
    list_display_links = None
    list_select_related = ("user", "organisation")
    list_filter = (admin_registrations.RegistrationStatusFilter,)
    search_fields = ("user__email", "user__full_name", "organisation__name", "organisation_name")
    ordering = ("-created_at", "-pk")

    def get_queryset(self, request):
        return registration_requests_with_progress()

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide_url(self, pk) -> str:
        return reverse("admin:accounts_registrationrequest_decide", args=[pk])

    @admin.display(description="Email", ordering="user__email")
    def email(self, obj):
        return format_html('<a href="{}">{}</a>', self._decide_url(obj.pk), obj.user.email)

    @admin.display(description="Name", ordering="user__full_name")
    def full_name(self, obj):
        return obj.user.full_name

    @admin.display(description="Asked to join")
    def asked_to_join(self, obj):
        if obj.organisation_id:
            return obj.organisation.name
        return f"{obj.organisation_name} (not listed)"

    @admin.display(description="Registered (UK time)", ordering="created_at")
    def registered(self, obj):
        return uk_time(obj.created_at)

    @admin.display(description="Finished registering", boolean=True)
    def complete(self, obj):
        """Address confirmed and an authenticator app set up: only then can it be approved."""
        return obj.complete

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": "Registrations", **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A registration is decided, not edited: its page is the decision page."""
        return HttpResponseRedirect(self._decide_url(object_id))

    def decide_view(self, request, object_id):
        return admin_registrations.registration_decide(self, request, object_id)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="accounts_registrationrequest_decide",
            ),
            *super().get_urls(),
        ]
