"""Staff may not use the portal or console until they have set up TOTP (§10.5.2)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .mfa import has_totp

# Sign-in and enrolment pages, the API (which answers for itself), and what a browser fetches
# on its own while showing the enrolment page: static assets and /favicon.ico. Redirecting
# those to the enrolment page would load it again behind the person's back.
EXEMPT_PREFIXES = ("/accounts/", settings.STATIC_URL, "/favicon.ico", "/api/", "/healthz")


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
            # After enrolment the person continues to the page they asked for.
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)
