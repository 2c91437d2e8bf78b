"""Staff may not use the portal or console until they have set up TOTP (§10.5.2)."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .mfa import has_totp

EXEMPT_PREFIXES = ("/accounts/", "/static/", "/api/", "/healthz")


class StaffMfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not has_totp(user)
        ):
            messages.warning(
                request,
                "Desk staff must use two-factor authentication. Scan the code with Microsoft "
                "Authenticator (or any TOTP app) and enter the code it shows to continue.",
            )
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.path}")
        return self.get_response(request)
