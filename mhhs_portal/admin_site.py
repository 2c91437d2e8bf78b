"""The agent console: the Django admin, titled for the desk, open only to staff who signed in
with a second factor (§10.5.2)."""

from urllib.parse import urlencode

from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse

from accounts.mfa import has_totp, session_passed_mfa


class ConsoleAdminSite(admin.AdminSite):
    site_header = "MHHS Service Desk console"
    site_title = "MHHS Service Desk console"
    index_title = "Service desk"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active and user.is_staff and has_totp(user) and session_passed_mfa(request)
        )

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
