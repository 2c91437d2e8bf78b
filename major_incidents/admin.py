"""Major incidents in the agent console. Each area registers its own admin module."""

from . import (
    admin_circulars,  # noqa: F401  (industry circulars, §5.20)
    admin_promotion,  # noqa: F401  (candidates: review queue and page, §5.8–5.11)
    admin_reviews,  # noqa: F401  post-incident reviews (§5.23)
    admin_war_room,  # noqa: F401
)
