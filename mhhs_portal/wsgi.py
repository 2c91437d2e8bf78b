"""WSGI entry point."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhhs_portal.settings")
application = get_wsgi_application()

# Everything loaded so far (Django, the apps, their modules) lives as long as the process:
# move it out of the collector's generations, so the full collections that a busy page's
# allocations trigger do not walk it again on every request (issue 9), and a worker forked
# from a preloaded master does not copy those pages by touching their reference counts.
gc.freeze()
