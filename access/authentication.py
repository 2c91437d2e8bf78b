"""How the API knows who is calling: an access token, or a browser session (§10.5.2).

Both classes are the API's defaults (`REST_FRAMEWORK` in settings) and refuse desk staff who
have not proved a second factor: a staff token works only while the account has TOTP set up,
and a staff session only if its sign-in passed TOTP. `access.permissions.ApiAccess` checks the
same again, so a view that chose other authentication could still not let them through.
"""

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from rest_framework import exceptions
from rest_framework.authentication import (
    BaseAuthentication,
    SessionAuthentication,
    get_authorization_header,
)

from accounts.mfa import has_totp, session_passed_mfa

from .selectors import access_token_find
from .services import access_token_mark_used

STAFF_NEEDS_TWO_FACTOR = (
    "Desk staff must sign in with two-factor authentication to use the API (§10.5.2): sign in "
    "again with your authenticator code, or use an access token."
)


def client_ip(request) -> str | None:
    """The caller's address, trusting X-Forwarded-For only from configured proxies."""
    try:
        return get_adapter(request).get_client_ip(request) or None
    except PermissionDenied:
        return None


def staff_passed_second_factor(request, user, *, by_token: bool) -> bool:
    """Whether a staff caller has proved a second factor on this request (§10.5.2): a token
    counts while the account has TOTP (tokens are created from TOTP sessions only); a session
    counts if its sign-in passed TOTP."""
    if not has_totp(user):
        return False
    if by_token:
        return True
    django_request = getattr(request, "_request", request)
    return hasattr(django_request, "session") and session_passed_mfa(django_request)


class AccessTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer mhhs_…` with a personal or integration access token."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        keyword = header[0].lower()
        if keyword == b"token":
            raise exceptions.AuthenticationFailed(
                "Send 'Authorization: Bearer <access token>'; create a token on your account page."
            )
        if keyword != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send exactly one token after 'Bearer'.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The token is not valid.") from exc
        token = access_token_find(raw)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed(
                "This token has expired; create a new one on your account page."
            )
        if token.user.is_staff and not has_totp(token.user):
            raise exceptions.AuthenticationFailed(
                "Desk staff tokens work only while two-factor authentication is set up on the "
                "account (§10.5.2)."
            )
        access_token_mark_used(token=token, ip_address=client_ip(request))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class TwoFactorSessionAuthentication(SessionAuthentication):
    """The browser session (Swagger UI, the portal's own scripts), CSRF enforced; staff only
    with a session that passed TOTP, and never an integration account."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if user.is_integration:
            raise exceptions.AuthenticationFailed("Integration accounts use access tokens.")
        if user.is_staff and not staff_passed_second_factor(request, user, by_token=False):
            raise exceptions.AuthenticationFailed(STAFF_NEEDS_TWO_FACTOR)
        return result
