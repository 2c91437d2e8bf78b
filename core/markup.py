"""Markup drawn in Python for the pages that list many rows (issue 9).

Django's `format_html` escapes each argument through `conditional_escape`, whose lazy-string
checks cost more than the escaping itself; a list of 50 rows of ten cells spent more time
there than in its queries. `html_format` does the same job — every argument escaped unless it
is already safe markup, the result marked safe — with the standard library's `html.escape`.
"""

import html

from django.utils.safestring import SafeData, SafeString, mark_safe


def escape(value) -> str:
    """`value` as text safe inside an element or a quoted attribute, as Django's `escape`
    writes it; safe markup unchanged."""
    if isinstance(value, SafeData):
        return value
    return html.escape(str(value), quote=True)


def html_format(template: str, /, *args, **kwargs) -> SafeString:
    """`template.format(*args, **kwargs)` with every argument escaped (as `format_html`,
    faster)."""
    # Safe: the template is the caller's own markup and every argument is escaped.
    return mark_safe(  # noqa: S308
        template.format(
            *[escape(arg) for arg in args],
            **{name: escape(value) for name, value in kwargs.items()},
        )
    )


def html_join(parts) -> SafeString:
    """Pieces of markup as one: safe pieces (from `html_format`) as they are, any other text
    escaped."""
    return mark_safe("".join(escape(part) for part in parts))  # noqa: S308
