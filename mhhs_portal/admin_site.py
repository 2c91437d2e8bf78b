"""The agent console: the Django admin, titled for the desk, open only to staff who signed in
with a second factor (§10.5.2)."""

from urllib.parse import urlencode

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from accounts.mfa import has_totp, session_passed_mfa
from accounts.permission_cache import access_facts

# Distinct permission sets seen by this process (a desk has a handful of roles).
APP_LIST_CACHE_SIZE = 64


class ConsoleAdminSite(admin.AdminSite):
    site_header = "MHHS Service Desk console"
    site_title = "MHHS Service Desk console"
    index_title = "Service desk"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active and user.is_staff and has_totp(user) and session_passed_mfa(request)
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._app_lists: dict = {}

    def get_app_list(self, request, app_label=None):
        """The apps and models the user may open, built once per permission set and process.

        Every console page draws the navigation from this list; Django builds it per request,
        reversing two URLs and asking four permission questions per registered model (issue 9:
        a tenth of a console list's time). Whether a model appears depends only on the
        account's flags and permissions — every ModelAdmin's `has_*_permission` here reads
        nothing else — and registrations are fixed once the apps are loaded, so the list is
        kept per (flags, permissions, app). A change of permissions is a new key; the cached
        permissions come from `access_facts`, which signals keep current.
        """
        user = request.user
        if not user.is_authenticated:
            return super().get_app_list(request, app_label)
        key = (
            user.is_active,
            user.is_staff,
            user.is_superuser,
            access_facts(user).permissions,
            app_label,
        )
        app_list = self._app_lists.get(key)
        if app_list is None:
            app_list = super().get_app_list(request, app_label)
            if len(self._app_lists) >= APP_LIST_CACHE_SIZE:
                # Plain dict operations only, safe under threads; a full cache starts again.
                self._app_lists.clear()
            self._app_lists[key] = app_list
        # The index page adds to the list it is given: each request gets its own lists.
        return [{**app, "models": [dict(model) for model in app["models"]]} for app in app_list]

    def login(self, request, extra_context=None):
        """Sign-in goes through allauth, which asks staff for their TOTP code."""
        next_url = request.GET.get("next") or reverse("admin:index")
        if (
            request.user.is_authenticated
            and request.user.is_staff
            and not session_passed_mfa(request)
        ):
            if has_totp(request.user):
                return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': next_url})}")
            return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': next_url})}")
        return redirect(f"{reverse('account_login')}?{urlencode({'next': next_url})}")
