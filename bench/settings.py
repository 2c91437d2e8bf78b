"""Settings for the page benchmark: the portal's own, plus the `bench` app and its ceiling URL.

`make bench` runs gunicorn and the driver with DJANGO_SETTINGS_MODULE=bench.settings, so the
pages measured are the portal's, configured as in production (DEBUG off), and nothing of the
bench is reachable under `mhhs_portal.settings`.
"""

from mhhs_portal.settings import *  # noqa: F403

DEBUG = False
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls"

# The load generator sends hundreds of requests a second from one address and one account:
# the API throttle (600/min per user) would turn the run into 429s. DRF's SimpleRateThrottle
# copies the rates when `rest_framework.throttling` is first imported, which is after these
# settings are loaded, so setting them here is enough; a rate of None lets every request by.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {"anon": None, "user": None},
}
