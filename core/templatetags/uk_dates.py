"""Dates and times in templates as every page shows them (`core.dates`): `{% load uk_dates %}`,
then `{% time_tag value %}` or `{% date_tag value %}` for a `<time>` element, or the
`uk_datetime` and `uk_date` filters for the text alone. Registered as a template library in
settings (`TEMPLATES` `libraries`), as `core` is not an app."""

from datetime import date, datetime

from django import template

from core import dates

register = template.Library()


@register.simple_tag
def time_tag(value, empty: str = "—"):
    """`<time datetime="2026-07-01T14:05:00+01:00">1 Jul 2026, 14:05</time>`."""
    return dates.time_html(value, empty)


@register.simple_tag
def date_tag(value, empty: str = "—"):
    """`<time datetime="2026-07-01">1 Jul 2026</time>`."""
    return dates.date_html(value, empty)


@register.filter
def uk_datetime(value, empty: str = "—") -> str:
    """Filters fail quietly, as Django's own do: a missing variable (rendered as "") or any
    other non-datetime shows `empty` instead of breaking the page or the email."""
    if not isinstance(value, datetime):
        return empty
    return dates.uk_datetime(value, empty=empty)


@register.filter
def uk_date(value, empty: str = "—") -> str:
    if not isinstance(value, date):
        return empty
    return dates.uk_date(value, empty=empty)
