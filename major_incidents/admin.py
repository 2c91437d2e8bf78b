"""Major incidents in the agent console. Each area registers its own admin module."""

from . import admin_reviews  # noqa: F401  post-incident reviews (§5.23)
