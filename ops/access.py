"""Who may read /metrics: a scraper from a configured address, or one presenting the
configured bearer token (METRICS_ALLOWED_IPS, METRICS_TOKEN). Neither set: nobody."""

import hmac
import ipaddress

from django.conf import settings

from accounts.audit import client_address


def _address_allowed(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for allowed in settings.METRICS_ALLOWED_IPS:
        try:
            if ip in ipaddress.ip_network(allowed, strict=False):
                return True
        except ValueError:
            continue
    return False


def _token_allowed(header: str) -> bool:
    token = settings.METRICS_TOKEN
    if not token or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header.removeprefix("Bearer ").strip().encode(), token.encode())


def metrics_allowed(request) -> bool:
    return _token_allowed(request.headers.get("Authorization", "")) or _address_allowed(
        client_address(request)
    )
