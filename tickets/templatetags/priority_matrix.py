"""`{% priority_matrix impact urgency %}`: the priority matrix (impact × urgency → P1..P4) as
a table, the chosen cell marked (issue 10, point 18).

The chosen cell is told apart by more than colour: it is outlined, bold, says "(chosen)" and
carries `aria-current`. Each cell knows its impact and urgency (`data-impact`, `data-urgency`),
so console/priority_matrix.js moves the mark as the agent changes the two selects of the form
around it, before saving. Drawn once per combination and process: nine cells of fixed text.
"""

import functools

from django import template
from django.utils.safestring import SafeString

from core.markup import html_format, html_join
from tickets.priority import Impact, Urgency, priority_for

register = template.Library()


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@functools.cache
def _matrix(impact: int | None, urgency: int | None) -> SafeString:
    chosen_cell = (
        '<td class="console-matrix-chosen" aria-current="true" data-impact="{}" '
        'data-urgency="{}">{}</td>'
    )
    cell = '<td data-impact="{}" data-urgency="{}">{}</td>'
    rows = []
    for row in Urgency:
        cells = html_join(
            html_format(
                chosen_cell if (column.value, row.value) == (impact, urgency) else cell,
                column.value,
                row.value,
                priority_for(column, row).label,
            )
            for column in Impact
        )
        rows.append(html_format('<tr><th scope="row">{}</th>{}</tr>', row.label, cells))
    return html_format(
        '<table class="console-matrix" data-priority-matrix>'
        "<caption>Priority from impact and urgency</caption>"
        '<thead><tr><th scope="col">Urgency \\ Impact</th>{}</tr></thead>'
        "<tbody>{}</tbody></table>",
        html_join(html_format('<th scope="col">{}</th>', column.label) for column in Impact),
        html_join(rows),
    )


def priority_matrix_html(impact=None, urgency=None) -> SafeString:
    """The matrix with the cell of `impact` × `urgency` marked (none if either is unset)."""
    impact, urgency = _number(impact), _number(urgency)
    if impact not in Impact.values or urgency not in Urgency.values:
        impact = urgency = None
    return _matrix(impact, urgency)


@register.simple_tag
def priority_matrix(impact=None, urgency=None) -> SafeString:
    return priority_matrix_html(impact, urgency)
