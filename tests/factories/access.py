"""Access tokens for API tests: a real token row and a client that sends it as a Bearer token,
so every API test goes through the same authentication as an integration does."""

import secrets
from datetime import timedelta

from django.utils import timezone
from rest_framework.test import APIClient

from access.models import AccessToken
from access.scopes import scope_values
from access.selectors import TOKEN_KEYWORD, token_digest

_DEFAULT = object()


def access_token(user, *, scopes=None, name: str = "test token", expires_at=_DEFAULT):
    """(token row, secret) for `user`, written directly; the rules of who may hold one are
    tested against `access.services` in tests/access/."""
    prefix = secrets.token_hex(6)
    raw = f"{TOKEN_KEYWORD}_{prefix}_{secrets.token_urlsafe(32)}"
    token = AccessToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=token_digest(raw),
        scopes=list(scope_values() if scopes is None else scopes),
        expires_at=timezone.now() + timedelta(days=90) if expires_at is _DEFAULT else expires_at,
    )
    return token, raw


def bearer(raw: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def api_client(user=None, *, scopes=None) -> APIClient:
    """An API client authenticated by an access token of `user` (anonymous without one)."""
    client = APIClient()
    if user is not None:
        _, raw = access_token(user, scopes=scopes)
        client.credentials(**bearer(raw))
    return client
