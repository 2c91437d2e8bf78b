"""Multi-factor authentication is mandatory for every staff role (§10.5.2)."""

from allauth.account.internal.flows.login import (
    AUTHENTICATION_METHODS_SESSION_KEY,
    record_authentication,
)
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled


def has_totp(user) -> bool:
    """Whether the user has TOTP set up; remembered on the user object, which lives for one
    request, so the middleware, the console check and its pages ask the database once."""
    cached = getattr(user, "_has_totp", None)
    if cached is None:
        cached = is_mfa_enabled(user, [Authenticator.Type.TOTP])
        user._has_totp = cached
    return cached


def session_passed_mfa(request) -> bool:
    """True when this session's sign-in included a second factor."""
    records = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY, [])
    return any(record.get("method") == "mfa" for record in records)


def record_totp_activation(sender, request, user, authenticator, **kwargs) -> None:
    """Activating TOTP proves the second factor (a valid code was entered), so the session
    that did it counts as MFA-authenticated; otherwise a new agent would sign in twice."""
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
