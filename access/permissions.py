"""The permission every API endpoint starts from (§10.5.2).

`ApiAccess` is `DEFAULT_PERMISSION_CLASSES`; a view that needs more lists it first
(`[ApiAccess, MayIngestEmail]`). `tests/access/test_api_guard.py` walks the API's URLs and
fails for any endpoint without it.
"""

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .authentication import STAFF_NEEDS_TWO_FACTOR, staff_passed_second_factor
from .models import AccessToken


class MissingScope(exceptions.PermissionDenied):
    default_code = "missing_scope"


def token_area(view) -> str:
    """The scope area an endpoint belongs to: its `token_scope`, else its `api_tag`."""
    return getattr(view, "token_scope", "") or getattr(view, "api_tag", "")


def required_scopes(view, method: str) -> list[str]:
    access = AccessToken.Scope.READ if method in SAFE_METHODS else AccessToken.Scope.WRITE
    return [token_area(view), str(access)]


class ApiAccess(BasePermission):
    """Signed in; staff with a second factor; a token only within its scopes."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        token = request.auth
        by_token = isinstance(token, AccessToken)
        if user.is_staff and not staff_passed_second_factor(request, user, by_token=by_token):
            raise exceptions.PermissionDenied(STAFF_NEEDS_TWO_FACTOR)
        if by_token:
            area, access = required_scopes(view, request.method)
            if not area:
                raise MissingScope("This endpoint does not accept access tokens.")
            missing = [scope for scope in (area, access) if scope not in token.scopes]
            if missing:
                raise MissingScope(
                    f"This token lacks the scope {' and '.join(repr(s) for s in missing)} "
                    "needed here."
                )
        elif user.is_integration:
            raise exceptions.PermissionDenied("Integration accounts use access tokens.")
        return True
