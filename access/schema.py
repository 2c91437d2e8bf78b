"""How the OpenAPI schema describes the API's two ways in (loaded by `AccessConfig.ready`)."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from .scopes import scope_choices


def _scopes() -> str:
    return "; ".join(f"`{value}`: {label}" for value, label in scope_choices())


class AccessTokenScheme(OpenApiAuthenticationExtension):
    target_class = "access.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "mhhs_<prefix>_<secret>",
            "description": (
                "A personal access token (created on the portal's account page, API tokens; "
                "desk staff only from a session signed in with two-factor) or an integration "
                "token (issued by a service manager in the console). A call needs `read` "
                "(GET, HEAD, OPTIONS) or `write` (anything else) and the endpoint's area, "
                "which is its tag: a token without them gets 403 `missing_scope` naming the "
                f"scope. Scopes: {_scopes()}. Tokens expire (90 days by default) unless they "
                "belong to an integration account, and can be revoked at any time."
            ),
        }


class TwoFactorSessionScheme(OpenApiAuthenticationExtension):
    target_class = "access.authentication.TwoFactorSessionAuthentication"
    name = "sessionCookie"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": (
                "The portal's signed-in session (Swagger UI), with the CSRF token in "
                "`X-CSRFToken` for writes. Desk staff need a session signed in with two-factor "
                "authentication (§10.5.2)."
            ),
        }
