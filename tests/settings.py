"""The portal's settings plus the test-only ticket types (tests/probe_tickets), which prove a
new type needs no change outside its own app (issue 8), and the page benchmark's app, whose
commands tests/bench runs (its ceiling URL stays out: ROOT_URLCONF is still the portal's)."""

from mhhs_portal.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.probe_tickets", "bench"]  # noqa: F405
