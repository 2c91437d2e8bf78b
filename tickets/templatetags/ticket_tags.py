"""Template tags for the bits every ticket list repeats on each row (issue 9).

An `{% include %}` and two `date` filters per row made a 25-row list spend more time in the
template engine than in the database; these draw the same markup in one Python call each.
"""

from datetime import datetime

from django import template
from django.utils.safestring import SafeString

from core.dates import time_html
from core.markup import html_format

register = template.Library()


def status_badge_html(state: str, label: str) -> SafeString:
    """`status_badge` for a state and its label, for rows drawn in Python."""
    return html_format('<span class="badge badge--{}">{}</span>', state, label)


@register.simple_tag
def status_badge(ticket) -> str:
    """The state as a coloured badge: `<span class="badge badge--in_progress">In Progress</span>`."""
    return status_badge_html(ticket.state, ticket.get_state_display())


@register.simple_tag
def time_tag(value: datetime | None, empty: str = "—") -> str:
    """A `<time>` element in UK time: machine-readable ISO 8601, shown as "3 Dec 2026, 09:05"
    (`core.dates`, the one format of the portal and the console)."""
    return time_html(value, empty)
