"""Multi-factor authentication is mandatory for every staff role (§10.5.2)."""

import time

from allauth.account import app_settings as account_settings
from allauth.account.internal.flows.login import (
    AUTHENTICATION_METHODS_SESSION_KEY,
    record_authentication,
)
from allauth.account.utils import get_next_redirect_url
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal import auth as totp_auth
from allauth.mfa.totp.views import ActivateTOTPView
from django.contrib import messages
from django.urls import reverse
from django.utils.html import format_html

from .permission_cache import access_facts


def has_totp(user) -> bool:
    """Whether the user has TOTP set up. Read with the user's other access facts, from the
    cache kept current by signals (`permission_cache`: adding or removing an authenticator
    retires the entry), so a staff page asks the database nothing for it (issue 9)."""
    if user.is_anonymous:
        return False
    return access_facts(user).has_totp


def session_passed_mfa(request) -> bool:
    """True when this session's sign-in included a second factor."""
    records = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY, [])
    return any(record.get("method") == "mfa" for record in records)


# The time of this session's sign-in, set when it completed (every step, the second factor
# included).
SIGNED_IN_AT_SESSION_KEY = "accounts_signed_in_at"


def record_sign_in(sender, request, user, **kwargs) -> None:
    """Mark the session as recently authenticated when a sign-in completes (Django's
    `user_logged_in`, sent after the password and, for staff, the TOTP code; also after the
    sign-in that follows confirming an address at registration)."""
    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT_SESSION_KEY] = time.time()


def signed_in_recently(request) -> bool:
    """True while this session's sign-in is within allauth's reauthentication window.

    allauth asks for the password again before a sensitive change (setting up an authenticator,
    viewing recovery codes) unless the session *re*-authenticated recently: a sign-in a moment
    ago did not count, so a new agent signed in, was sent to set up TOTP (§10.5.2) and was met
    by a second password form — and again on opening the recovery codes straight after. A
    sign-in proves the same as a re-authentication, so for the same window it stands in for
    one; later, every sensitive change asks again (`AccountAdapter.is_reauthentication_required`).
    """
    if request is None or not request.user.is_authenticated:
        return False
    signed_in_at = request.session.get(SIGNED_IN_AT_SESSION_KEY)
    if not isinstance(signed_in_at, int | float):
        return False
    return 0 <= time.time() - signed_in_at < account_settings.REAUTHENTICATION_TIMEOUT


def record_totp_activation(sender, request, user, authenticator, **kwargs) -> None:
    """Activating TOTP proves the second factor (a valid code was entered), so the session
    that did it counts as MFA-authenticated; otherwise a new agent would sign in twice."""
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)


class EnrolmentTOTPForm(ActivateTOTPForm):
    """TOTP set-up (§10.5.2) that keeps one pending secret for the session.

    allauth issues a new secret on every GET of the enrolment page, so any second load (a
    refresh, the browser's favicon request redirected there, a failed attempt followed by a
    reload) silently replaced the secret behind the QR code on screen and the code from the app
    was refused. The pending secret now lives until TOTP is activated (allauth then removes it)
    or the session ends, so the QR code the person scanned stays the right one.
    """

    def __init__(self, *args, **kwargs) -> None:
        pending = context.request.session.get(totp_auth.SECRET_SESSION_KEY)
        super().__init__(*args, **kwargs)
        if pending:
            self.secret = context.request.session[totp_auth.SECRET_SESSION_KEY] = pending


class EnrolmentTOTPView(ActivateTOTPView):
    """The enrolment page staff (§10.5.2) and registering participants (§10.1) are sent to;
    once TOTP is active they continue to the page they were going to (`next`, checked to be on
    this site). Staff going nowhere in particular (the portal's home) go straight on to the
    console, where their work is. Recovery codes are generated as before and offered in a
    message instead of a page of their own that led nowhere."""

    form_class = EnrolmentTOTPForm

    def get_success_url(self) -> str:
        going_to = get_next_redirect_url(self.request)
        if self.request.user.is_staff and going_to in (None, reverse("portal:home")):
            return reverse("admin:index")
        return going_to or reverse("mfa_index")

    def form_valid(self, form):
        response = super().form_valid(form)
        if self.did_generate_recovery_codes:
            messages.info(
                self.request,
                format_html(
                    "Two-factor authentication is set up. Recovery codes let you sign in if you "
                    'lose your phone: <a href="{}">view and keep them somewhere safe</a>.',
                    reverse("mfa_view_recovery_codes"),
                ),
            )
        return response
