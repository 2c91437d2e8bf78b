"""The status page's 90-day strips, drawn in Python: 90 cells per service repeat for every
service, and a template loop would cost more than the page's queries."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from core.dates import uk_date
from core.markup import html_format

register = template.Library()


@register.simple_tag
def history_strip(row) -> SafeString:
    """One service's last 90 UK days: coloured cells for sighted readers (each with its day
    and status as a tooltip), then the same in words — the days with disruption, or that there
    were none — so the colour is never the only way to tell."""
    cells = format_html_join(
        "",
        '<li class="history__day history__day--{}" title="{}: {}"></li>',
        ((cell.status, uk_date(cell.day), cell.status_label) for cell in row.days),
    )
    disrupted = row.disrupted_days
    if disrupted:
        summary = html_format(
            "{} of the last {} days with disruption: {}.",
            len(disrupted),
            len(row.days),
            "; ".join(f"{cell.status_label} on {uk_date(cell.day)}" for cell in disrupted),
        )
    else:
        summary = html_format("No disruption in the last {} days.", len(row.days))
    return html_format(
        '<div class="history"><ol class="history__strip" aria-hidden="true">{}</ol>'
        '<p class="history__axis" aria-hidden="true"><span>{}</span><span>Today</span></p>'
        '<p class="history__summary">{}</p></div>',
        cells,
        f"{len(row.days)} days ago",
        summary,
    )
