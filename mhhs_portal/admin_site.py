"""The agent console: the Django admin, titled for the desk, open only to staff who signed in
with a second factor (§10.5.2)."""

from urllib.parse import quote, urlencode

from django.contrib import admin
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.safestring import SafeString

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
        self._sidebars: dict = {}
        # Made once: `lazy` builds a proxy class on every call.
        self._lazy_sidebar_html = lazy(self._nav_sidebar_html, SafeString)

    @staticmethod
    def _permission_key(user) -> tuple:
        """What decides which models a user may open: flags and permissions."""
        return (user.is_active, user.is_staff, user.is_superuser, access_facts(user).permissions)

    @staticmethod
    def _remember(store: dict, key, value):
        if len(store) >= APP_LIST_CACHE_SIZE:
            # Plain dict operations only, safe under threads; a full cache starts again.
            store.clear()
        store[key] = value
        return value

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
        key = (self._permission_key(user), app_label)
        app_list = self._app_lists.get(key)
        if app_list is None:
            app_list = self._remember(
                self._app_lists, key, super().get_app_list(request, app_label)
            )
        # The index page adds to the list it is given: each request gets its own lists.
        return [{**app, "models": [dict(model) for model in app["models"]]} for app in app_list]

    def each_context(self, request):
        """Django's, plus the navigation sidebar's markup, drawn only if the page shows it."""
        context = super().each_context(request)
        context["nav_sidebar_html"] = self._lazy_sidebar_html(request, context["available_apps"])
        return context

    def _nav_sidebar_html(self, request, app_list) -> SafeString:
        """The sidebar's list of apps and models (admin/app_list.html), drawn once per
        permission set and highlighted entry, and kept (issue 9: drawing it cost a console
        page about 2.5 ms, as much as the rest of the page's frame). What the template reads
        of the request is which app and model URLs the path contains; those are the key."""
        user = request.user
        path = quote(request.path, safe="/")
        current = (
            tuple(app["app_url"] for app in app_list if app["app_url"] in path),
            tuple(
                model["admin_url"]
                for app in app_list
                for model in app["models"]
                if model["admin_url"] and model["admin_url"] in path
            ),
        )
        key = (self._permission_key(user), current) if user.is_authenticated else None
        html = self._sidebars.get(key) if key else None
        if html is None:
            html = render_to_string(
                "admin/app_list.html",
                {"app_list": app_list, "show_changelinks": False, "request": request},
            )
            if key:
                self._remember(self._sidebars, key, html)
        return html

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
