from django.apps import AppConfig


class AccessConfig(AppConfig):
    """API access: personal and integration access tokens, and the authentication and
    permission classes that every `/api/` endpoint uses (§10.5.2)."""

    name = "access"
    verbose_name = "API access"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI security schemes)
