"""The portal's settings plus the test-only ticket types (tests/probe_tickets), which prove a
new type needs no change outside its own app (issue 8)."""

from mhhs_portal.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.probe_tickets"]  # noqa: F405
