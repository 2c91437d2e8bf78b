"""The status page's 90-day strips, drawn in Python: 90 cells per service repeat for every
service, and a template loop would cost more than the page's queries."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from core.dates import uk_date
from core.markup import html_format

register = template.Library()


def _spells(cells) -> list[str]:
    """Consecutive days of the same status as one spell: "Partial outage from 10 Nov 2026 to
    12 Nov 2026", a single day "Major outage on 30 Nov 2026"."""
    spells: list[list] = []
    for cell in cells:
        last = spells[-1] if spells else None
        if last and last[0].status == cell.status and (cell.day - last[1].day).days == 1:
            last[1] = cell
        else:
            spells.append([cell, cell])
    return [
        f"{first.status_label} on {uk_date(first.day)}"
        if first.day == last.day
        else f"{first.status_label} from {uk_date(first.day)} to {uk_date(last.day)}"
        for first, last in spells
    ]


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
            "; ".join(_spells(disrupted)),
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
