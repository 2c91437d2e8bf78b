"""The security event log (§10.5.3, §12): one function writes it, everything else calls it.

Sign-ins, two-factor changes, token changes, role changes and the organisation admin's actions
on members all land here with the actor, the time and the client address, so a service manager
can answer "who gave this person access, and from where" in the console.
"""

from django.core.exceptions import ImproperlyConfigured

from .models import SecurityEvent


def client_address(request) -> str | None:
    """The client's address, the same one sign-in throttling uses.

    allauth's helper reads X-Forwarded-For only as far as `ALLAUTH_TRUSTED_PROXY_COUNT` allows
    (set from `TRUSTED_PROXY_COUNT`) and falls back to REMOTE_ADDR, so there is one notion of the
    client address. A header that does not match the proxy count gives no address here rather
    than an error: recording the event matters more than the address.
    """
    if request is None:
        return None
    from allauth.core.internal.httpkit import get_client_ip

    try:
        return get_client_ip(request)
    except (ImproperlyConfigured, ValueError):
        return None


def security_event_record(
    *,
    kind: str,
    actor=None,
    subject=None,
    request=None,
    detail: str = "",
    email: str = "",
) -> SecurityEvent:
    """Record one security event (§10.5.3) and return it.

    Runs inside the caller's transaction, so an action and its log entry commit or roll back
    together. `request` is optional (a management command or a task has none); the address and
    browser come from it when given. An anonymous actor is stored as nobody.
    """
    if kind not in SecurityEvent.Kind.values:
        raise ValueError(f"Unknown security event kind: {kind!r}")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if subject is not None and not getattr(subject, "pk", None):
        subject = None
    user_agent = ""
    if request is not None:
        meta = getattr(request, "META", {}) or {}
        user_agent = str(meta.get("HTTP_USER_AGENT", ""))[: SecurityEvent.USER_AGENT_MAX]
    return SecurityEvent.objects.create(
        kind=kind,
        actor=actor,
        subject=subject,
        email=(email or "")[:254],
        ip_address=client_address(request),
        user_agent=user_agent,
        detail=detail,
    )
