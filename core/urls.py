"""URLs that are the same on every request, reversed once (issue 9).

`reverse` walks the URL resolver each time: the header's navigation alone asked it eight times
a page. A URL without per-request arguments — a navigation link, or a URL template with a
placeholder (`cases.selectors.case_url_template`) — depends only on the URLconf and the script
prefix, so it is remembered for them.
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=256)
def _reverse(urlconf: str, prefix: str, viewname: str, kwargs: tuple) -> str:
    return reverse(viewname, kwargs=dict(kwargs))


def reverse_fixed(viewname: str, **kwargs) -> str:
    """`reverse(viewname, kwargs=kwargs)`, remembered per URLconf and script prefix. Only for
    arguments that do not vary per request (a placeholder, never a user's case number)."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _reverse(urlconf, get_script_prefix(), viewname, tuple(sorted(kwargs.items())))
