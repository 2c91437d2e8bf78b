"""Project-wide request hygiene: input no page, form or endpoint can store is refused up front.

A NUL character (U+0000) is never meaningful in an address, a search or a form, and
PostgreSQL refuses it in any text value: unchecked, it turns a harmless request into a 500.
It is refused here once, before any view runs, with a 400 that says why (in the API's one
error shape under `/api/`). JSON bodies are checked field by field by the API's serializers,
which name the field; cookies carrying one are dropped (the browser would otherwise resend
them and be refused forever). A form body that cannot be parsed is a 400 too.

A read request whose filter value the database cannot hold (an id past 64 bits, year 0 or
99999 in a console changelist's date filter, a date that leaves the calendar in UTC) is a 400
rather than a 500: the pages and the API validate their own filters and name the field; this
is the net under the console's generic `field__lookup=value` parameters.
"""

import logging
import re

from django.db import DataError
from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

logger = logging.getLogger(__name__)

NUL = "\x00"

API_PREFIX = "/api/"


def _bad_request(request, message: str, *, field: str = "") -> HttpResponse:
    if request.path_info.startswith(API_PREFIX):
        return JsonResponse(
            {
                "error": {
                    "code": "validation_failed" if field else "bad_request",
                    "message": message,
                    "fields": {field: [message]} if field else {},
                }
            },
            status=400,
        )
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _nul_in(query_dict) -> str | None:
    """The first parameter name (or value's name) that holds a NUL, else None."""
    for key, values in query_dict.lists():
        if NUL in key or any(isinstance(value, str) and NUL in value for value in values):
            return key.replace(NUL, "") or "?"
    return None


# What Python's datetime and the database say about a value they cannot represent.
_OUT_OF_RANGE = re.compile(r"out of range|must be in \d+\.\.\d+", re.IGNORECASE)


def _is_out_of_range(exc: Exception) -> bool:
    if isinstance(exc, OverflowError | DataError):
        return True
    return isinstance(exc, ValueError) and bool(_OUT_OF_RANGE.search(str(exc)))


class RejectHostileInputMiddleware:
    """400 for a NUL in the path, the query string or a form body; NUL cookies dropped."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or NUL in request.path:
            return _bad_request(
                request, "The address contains a NUL character, which is never valid here."
            )
        field = _nul_in(request.GET)
        if field is not None:
            return _bad_request(
                request, "Null characters are not allowed in the query string.", field=field
            )
        for name in [name for name, value in request.COOKIES.items() if NUL in name + value]:
            del request.COOKIES[name]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            try:
                field = _nul_in(request.POST)
            except MultiPartParserError as exc:
                return _bad_request(request, f"The form data could not be read: {exc}")
            if field is not None:
                return _bad_request(request, "Null characters are not allowed.", field=field)
        return self.get_response(request)

    def process_exception(self, request, exception):
        """A GET or HEAD that failed on a value out of range: 400 (it changed nothing)."""
        if request.method in ("GET", "HEAD") and _is_out_of_range(exception):
            logger.warning("out-of-range value in %s: %s", request.get_full_path(), exception)
            return _bad_request(
                request, "A value in the address is out of range; check the filters and dates."
            )
        return None
