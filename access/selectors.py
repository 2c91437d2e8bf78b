"""Reading access tokens: lookup by the secret, and the lists on the account page and console."""

import hashlib
import hmac

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AccessToken

TOKEN_KEYWORD = "mhhs"


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_split(raw: str) -> tuple[str, str] | None:
    """(prefix, whole token) when `raw` has the shape of one of our tokens, else None."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_KEYWORD or len(parts[1]) != 12 or not parts[2]:
        return None
    return parts[1], raw


def access_token_find(raw: str) -> AccessToken | None:
    """The token `raw` is, with its user, if the secret matches; None for anything else."""
    split = token_split(raw)
    if split is None:
        return None
    prefix, whole = split
    token = AccessToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.key_hash, token_digest(whole)):
        return None
    return token


def access_tokens_active(*, user):
    now = timezone.now()
    return AccessToken.objects.filter(user=user, revoked_at=None).filter(
        Q(expires_at=None) | Q(expires_at__gt=now)
    )


def access_token_list_for(*, user) -> QuerySet:
    """A person's own tokens, newest first, for their account page."""
    return AccessToken.objects.filter(user=user).order_by("-created_at")
