"""Creating, revoking and using access tokens (§10.5.2).

Every rule about who may hold which token lives here: the account page, the console and the
authentication class only call these functions.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.mfa import has_totp
from core.errors import ActionNotPermitted, ValidationFailed

from .models import AccessToken
from .scopes import area_scopes, participant_scopes, scope_values
from .selectors import TOKEN_KEYWORD, access_tokens_active, token_digest

# Active tokens one account may hold; more is a sign of tokens never being revoked.
MAX_ACTIVE_TOKENS = 20
# A token's last use is written at most this often (and whenever the address changes), so a
# busy integration does not turn every API read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _new_token() -> tuple[str, str]:
    """A new token and its public prefix: `mhhs_<12 hex>_<43 url-safe chars>`."""
    prefix = secrets.token_hex(6)
    return prefix, f"{TOKEN_KEYWORD}_{prefix}_{secrets.token_urlsafe(32)}"


def scopes_offered_to(user) -> list[str]:
    """The scopes an account may hold: participants see only the ticket types open to them
    (cases; incidents and inbound email are the desk's and the mail gateway's, §10.4), so
    their tokens carry no more."""
    if user.is_participant:
        return participant_scopes()
    return scope_values()


def _clean_scopes(scopes, *, user) -> list[str]:
    chosen = {str(scope) for scope in scopes or []}
    unknown = chosen - set(scopes_offered_to(user))
    if unknown:
        raise ValidationFailed(
            "A scope this account cannot hold.",
            field_errors={
                "scopes": [f"Not a scope this account can hold: {', '.join(sorted(unknown))}."]
            },
        )
    if not chosen & set(AccessToken.ACCESS_SCOPES):
        raise ValidationFailed(
            "Choose read, write or both.",
            field_errors={"scopes": ["Choose read, write or both."]},
        )
    if not chosen & set(area_scopes()):
        raise ValidationFailed(
            "Choose at least one area.",
            field_errors={"scopes": ["Choose at least one area the token may use."]},
        )
    return [scope for scope in scope_values() if scope in chosen]


def _expiry(*, user, expires_in_days: int | None):
    if expires_in_days is None:
        if not user.is_integration:
            raise ValidationFailed(
                "Only integration accounts may have tokens that never expire.",
                field_errors={
                    "expires_in_days": [
                        "Only integration accounts may have tokens that never expire."
                    ]
                },
            )
        return None
    maximum = settings.API_TOKEN_MAX_DAYS
    if not 1 <= expires_in_days <= maximum:
        message = f"A token lasts between 1 and {maximum} days."
        raise ValidationFailed(message, field_errors={"expires_in_days": [message]})
    return timezone.now() + timedelta(days=expires_in_days)


def _check_may_create(*, actor, user, mfa_verified: bool) -> None:
    if not user.is_active:
        raise ActionNotPermitted("Tokens can only be created for active accounts.")
    if actor.pk == user.pk:
        if user.is_integration:
            raise ActionNotPermitted(
                "Integration accounts are given tokens by a service manager in the console."
            )
        if user.is_staff and not (mfa_verified and has_totp(user)):
            raise ActionNotPermitted(
                "Desk staff create tokens only after signing in with two-factor "
                "authentication (§10.5.2)."
            )
        return
    if not user.is_integration:
        raise ActionNotPermitted(
            "Tokens are personal: people create their own on their account page."
        )
    if not (actor.is_staff and actor.has_perm("access.add_accesstoken")):
        raise ActionNotPermitted("Only a service manager issues tokens to integration accounts.")


def access_token_create(
    *,
    actor,
    user,
    name: str,
    scopes,
    expires_in_days: int | None,
    mfa_verified: bool = False,
    rate_per_minute: int | None = None,
    request=None,
) -> tuple[AccessToken, str]:
    """Create a token and return it with its secret, which is never stored or shown again.

    A person creates their own (desk staff only from a session that passed two-factor,
    §10.5.2); a service manager issues tokens to integration accounts. Tokens expire (the
    default is API_TOKEN_DEFAULT_DAYS) unless they belong to an integration account.
    """
    from accounts.audit import security_event_record

    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            "Give the token a name.", field_errors={"name": ["Say what the token is for."]}
        )
    if len(name) > 100:
        raise ValidationFailed(
            "The name is too long.", field_errors={"name": ["Use at most 100 characters."]}
        )
    _check_may_create(actor=actor, user=user, mfa_verified=mfa_verified)
    clean_scopes = _clean_scopes(scopes, user=user)
    expires_at = _expiry(user=user, expires_in_days=expires_in_days)
    _check_rate(rate_per_minute, user=user)
    with transaction.atomic():
        # Locking the owner serialises concurrent creations, so the cap holds.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        active = access_tokens_active(user=user).count()
        if active >= MAX_ACTIVE_TOKENS:
            raise ValidationFailed(
                f"An account may hold at most {MAX_ACTIVE_TOKENS} active tokens; revoke one "
                "you no longer use first."
            )
        prefix, raw = _new_token()
        token = AccessToken(
            user=user,
            name=name,
            prefix=prefix,
            key_hash=token_digest(raw),
            scopes=clean_scopes,
            expires_at=expires_at,
            rate_per_minute=rate_per_minute,
            created_by=actor,
        )
        token._history_user = actor
        token.save()
        security_event_record(
            kind="token_created",
            actor=actor,
            subject=user,
            request=request,
            detail=f"{token.name} ({prefix}), scopes {' '.join(clean_scopes)}, "
            f"expires {expires_at.isoformat() if expires_at else 'never'}"
            + (f", {rate_per_minute} requests a minute" if rate_per_minute else ""),
        )
    return token, raw


MAX_RATE_PER_MINUTE = 100_000


def _check_rate(rate_per_minute: int | None, *, user) -> None:
    """A token's own rate: for integration accounts only, a whole number in range."""
    if rate_per_minute is None:
        return
    field = {"rate_per_minute": []}
    if user.kind != user.Kind.INTEGRATION:
        field["rate_per_minute"].append(
            "Only integration accounts get a rate of their own; people use the API's default."
        )
    elif (
        isinstance(rate_per_minute, bool)
        or not isinstance(rate_per_minute, int)
        or not 1 <= rate_per_minute <= MAX_RATE_PER_MINUTE
    ):
        field["rate_per_minute"].append(
            f"Give a whole number of requests a minute from 1 to {MAX_RATE_PER_MINUTE:,}."
        )
    if field["rate_per_minute"]:
        raise ValidationFailed(field["rate_per_minute"][0], field_errors=field)


def access_token_revoke(*, actor, token: AccessToken, request=None) -> AccessToken:
    """Revoke a token at once; revoking a revoked token changes nothing."""
    from accounts.audit import security_event_record

    if token.user_id != actor.pk and not (
        actor.is_staff and actor.has_perm("access.revoke_accesstoken")
    ):
        raise ActionNotPermitted("You can revoke only your own tokens.")
    with transaction.atomic():
        now = timezone.now()
        # Conditional update: two revocations racing record one revocation.
        changed = AccessToken.objects.filter(pk=token.pk, revoked_at=None).update(
            revoked_at=now, revoked_by=actor
        )
        token.refresh_from_db()
        if changed:
            token._history_user = actor
            # Saving the values just written adds the revocation to the token's history.
            token.save(update_fields=["revoked_at", "revoked_by"])
            security_event_record(
                kind="token_revoked",
                actor=actor,
                subject=token.user,
                request=request,
                detail=f"{token.name} ({token.prefix})",
            )
    return token


def access_token_mark_used(*, token: AccessToken, ip_address: str | None) -> None:
    """Record when and from where a token was last used (shown on the account page)."""
    now = timezone.now()
    if (
        token.last_used_at is not None
        and token.last_used_at > now - LAST_USED_RESOLUTION
        and token.last_used_ip == ip_address
    ):
        return
    AccessToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at=None)
        | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        | ~Q(last_used_ip=ip_address)
        | Q(last_used_ip=None)
    ).update(last_used_at=now, last_used_ip=ip_address)
