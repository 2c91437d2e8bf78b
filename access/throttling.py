"""API rates per client (issue 9): people share the API's default rate per user; an
integration token may carry its own (`AccessToken.rate_per_minute`), counted per token, so
another desk's sync is neither starved by nor starving the people of its account.

The default rates come from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, which settings read
from `API_THROTTLE_USER_RATE` and `API_THROTTLE_ANON_RATE` ("none" switches one off).
"""

from rest_framework.throttling import UserRateThrottle

from .models import AccessToken


class ClientRateThrottle(UserRateThrottle):
    """The user rate, or the calling token's own rate counted for that token alone."""

    token: AccessToken | None = None

    def allow_request(self, request, view):
        token = request.auth if isinstance(request.auth, AccessToken) else None
        if token is not None and token.rate_per_minute:
            self.token = token
            self.rate = f"{token.rate_per_minute}/min"
            self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        if self.token is not None:
            return self.cache_format % {"scope": "token", "ident": self.token.pk}
        return super().get_cache_key(request, view)
