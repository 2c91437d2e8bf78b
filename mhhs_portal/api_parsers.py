"""Request-body parsers of the whole API (`REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]`).

Kept apart from the views so DRF can import it while it builds `APIView` itself.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, with a body nested past Python's recursion limit a 400 (ParseError)
    instead of an unhandled RecursionError: `[[[[…]]]]` a hundred thousand deep is input too."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError("JSON parse error - the body is nested too deeply.") from exc
