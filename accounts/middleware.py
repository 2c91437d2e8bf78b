"""Staff may not use the portal or console until they have set up TOTP (§10.5.2); a registered
participant sees where their registration stands until they are approved (§10.1)."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .mfa import has_totp

# Sign-in and enrolment pages, the API (which answers for itself), and what a browser fetches
# on its own while showing the enrolment page: static assets and /favicon.ico. Redirecting
# those to the enrolment page would load it again behind the person's back. The public status
# page (§5.22) is for everyone, signed in or not, whatever their account's state.
EXEMPT_PREFIXES = (
    "/accounts/",
    settings.STATIC_URL,
    "/favicon.ico",
    "/api/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/status/",
)


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


# The console answers a participant for itself (its sign-in page); everything else a
# participant opens is the portal.
REGISTRATION_EXEMPT_PREFIXES = (*EXEMPT_PREFIXES, "/admin/")


class RegistrationGateMiddleware:
    """Until a participant is attached to an organisation — their registration approved
    (§10.1) — every portal page they open leads to the page that says where their
    registration stands (`accounts.views.registration_status`), rather than an empty portal.

    Only page loads (GET, HEAD) are sent there; anything else reaches its view, whose service
    refuses it for someone in no organisation. An attached participant and staff pass for the
    cost of reading two fields of the user already loaded.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_participant
            and not user.organisation_id
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(REGISTRATION_EXEMPT_PREFIXES)
        ):
            return redirect("account_registration_status")
        return self.get_response(request)
