"""Multi-factor authentication is mandatory for every staff role (§10.5.2)."""

from allauth.account.internal.flows.login import (
    AUTHENTICATION_METHODS_SESSION_KEY,
    record_authentication,
)
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled


def has_totp(user) -> bool:
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def session_passed_mfa(request) -> bool:
    """True when this session's sign-in included a second factor."""
    records = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY, [])
    return any(record.get("method") == "mfa" for record in records)


def record_totp_activation(sender, request, user, authenticator, **kwargs) -> None:
    """Activating TOTP proves the second factor (a valid code was entered), so the session
    that did it counts as MFA-authenticated; otherwise a new agent would sign in twice."""
    if request is not None and authenticator.type == Authenticator.Type.TOTP:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
