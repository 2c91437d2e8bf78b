"""Major incidents in the agent console. Each area registers its own admin module."""

from . import admin_circulars  # noqa: F401  (industry circulars, §5.20)
from . import admin_war_room  # noqa: F401
