"""The console's ticket lists drawn in Python (issue 9).

Django's `result_list` tag renders each cell through `items_for_result`: per cell it asks the
admin for its empty value, coerces the column name, reverses the change URL (twice a row when
two columns link), re-reads the preserved filters and escapes through `format_html`. For a
page of 50 tickets of eight columns that was more than half of the console list's time, more
than its queries. `result_table` draws the same table — the same headers (Django's own
`result_headers`, sortable), the same cell classes and values (`lookup_field` and Django's
display rules), the same links with the filters preserved — with everything that is the same
for every row worked out once per page.
"""

import datetime

from django.contrib.admin.templatetags.admin_list import (
    _coerce_field_name,
    result_headers,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    display_for_field,
    display_for_value,
    lookup_field,
    quote,
)
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import reverse
from django.utils.encoding import iri_to_uri

from core.markup import escape, html_format, html_join

PK_PLACEHOLDER = "__pk__"


class ListRow:
    """One row of a ticket list read as plain values (`list_rows`): the fields the list's
    columns read as attributes, as a model instance would have them, and the model's `_meta`
    so that what asks for the row's model (its content type, for the SLA columns) finds it."""

    _meta = None

    def __init__(self, values: dict):
        self.__dict__.update(values)


def _row_class(model) -> type:
    row_class = _ROW_CLASSES.get(model)
    if row_class is None:
        row_class = _ROW_CLASSES[model] = type(
            f"{model.__name__}ListRow", (ListRow,), {"_meta": model._meta}
        )
    return row_class


_ROW_CLASSES: dict[type, type] = {}


def list_rows(page_queryset, fields: tuple[str, ...]) -> list[ListRow]:
    """The page of a ticket list as `ListRow`s from one `values()` read of `fields` (the
    admin's `list_only_fields`): a field of the ticket by its name (and a foreign key's
    `_id`), a joined object ("organisation__name", "assigned_to__full_name",
    "assigned_to__email") by the first of its listed fields that is set — the way those
    models' `__str__` show them — or None. No model instances for 50 rows (issue 9)."""
    model = page_queryset.model
    pk_name = model._meta.pk.attname
    joined: dict[str, list[str]] = {}
    own: list[str] = []
    for field in fields:
        relation, sep, _rest = field.partition("__")
        if sep:
            joined.setdefault(relation, []).append(field)
        else:
            own.append(model._meta.get_field(field).attname)
    names = [pk_name, *own, *(name for group in joined.values() for name in group)]
    row_class = _row_class(model)
    rows = []
    for values in page_queryset.values(*names):
        row = {name: values[name] for name in own}
        row[pk_name] = row["pk"] = values[pk_name]
        for relation, group in joined.items():
            row[relation] = next((values[name] for name in group if values[name]), None)
        rows.append(row_class(row))
    return rows


def may_draw(cl) -> bool:
    """Whether `result_table` can draw this list: not an editable list, no action checkboxes,
    not a popup (those keep Django's own tag)."""
    return not cl.formset and "action_checkbox" not in cl.list_display and not cl.is_popup


def _change_url_template(cl) -> str:
    """The change page's URL with the list's filters preserved and a placeholder for the key:
    one reverse for the page."""
    url = reverse(
        f"{cl.model_admin.admin_site.name}:{cl.opts.app_label}_{cl.opts.model_name}_change",
        args=(PK_PLACEHOLDER,),
    )
    return add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)


def _links(cl) -> set[str]:
    if cl.list_display_links is None:
        return set()
    if not cl.list_display_links:
        return {cl.list_display[0]}
    return set(cl.list_display_links)


def _cell(cl, field_name, result, empty) -> tuple[bool, object]:
    """(whether the cell does not wrap — dates and keys —, the value as text or safe markup),
    by `items_for_result`'s rules."""
    try:
        field, attr, value = lookup_field(field_name, result, cl.model_admin)
    except ObjectDoesNotExist:
        return False, empty
    empty = getattr(attr, "empty_value_display", empty)
    if isinstance(value, str) and value.strip() == "":
        value = ""
    if field is None or field.auto_created:
        boolean = getattr(attr, "boolean", False)
        if isinstance(attr, property) and hasattr(attr, "fget"):
            boolean = getattr(attr.fget, "boolean", False)
        nowrap = isinstance(value, datetime.date | datetime.time)
        return nowrap, display_for_value(value, empty, boolean)
    if isinstance(field.remote_field, models.ManyToOneRel):
        related = getattr(result, field.name)
        shown = empty if related is None else related
    else:
        shown = display_for_field(value, field, empty)
    nowrap = isinstance(field, models.DateField | models.TimeField | models.ForeignKey)
    return nowrap, shown


def _column(cl, name, empty):
    """A function drawing one column's cell for a row, chosen once per page: choice fields
    read their label from a dict, foreign keys their object, the admin's own columns are
    called; anything else goes through `_cell`, Django's rules in full."""
    try:
        field = cl.lookup_opts.get_field(name) if isinstance(name, str) else None
    except FieldDoesNotExist:
        field = None
    if field is not None and not field.auto_created:
        if not field.is_relation and getattr(field, "flatchoices", None):
            labels = dict(field.flatchoices)
            attname = field.attname
            nowrap = isinstance(field, models.DateField | models.TimeField)
            return lambda result: (nowrap, labels.get(getattr(result, attname), empty))
        if isinstance(field, models.ForeignKey):
            field_name = field.name
            return lambda result: (True, _or_empty(getattr(result, field_name), empty))
        if type(field) in (models.CharField, models.TextField):
            attname = field.attname
            return lambda result: (False, _text(getattr(result, attname), empty))
    elif field is None and isinstance(name, str) and name != "__str__":
        attr = getattr(cl.model_admin, name, None)
        if callable(attr) and not getattr(attr, "boolean", False):
            column_empty = getattr(attr, "empty_value_display", empty)
            return lambda result: _admin_column(attr(result), column_empty)
    return lambda result: _cell(cl, name, result, empty)


def _or_empty(value, empty):
    return empty if value is None else value


def _text(value, empty):
    if value is None:
        return empty
    return value if value.strip() else ""


def _admin_column(value, empty) -> tuple[bool, object]:
    if isinstance(value, str):
        return False, value if value.strip() else ""
    return isinstance(value, datetime.date | datetime.time), display_for_value(value, empty)


def _row_template(columns, labels) -> str:
    """One row's markup with a slot for each cell's classes, link and value: the row is one
    `html_format` (the first linked column heads the row, as in Django's list). Each cell
    carries its column's heading (`data-label`), which a phone shows beside the value when
    rows stack as cards (console.css)."""
    cells = []
    first_link = True
    for (_draw, _css_class, linked), label in zip(columns, labels, strict=True):
        # Escaped once for the page, braces doubled: the row is a format string.
        label = escape(label).replace("{", "{{").replace("}", "}}")
        if linked:
            tag = "th" if first_link else "td"
            first_link = False
            cells.append(
                f'<{tag} class="{{}}" data-label="{label}"><a href="{{}}">{{}}</a></{tag}>'
            )
        else:
            cells.append(f'<td class="{{}}" data-label="{label}">{{}}</td>')
    return "<tr>" + "".join(cells) + "</tr>\n"


def _rows(cl, labels) -> list:
    empty = cl.model_admin.get_empty_value_display()
    links = _links(cl)
    url_template = _change_url_template(cl)
    pk_attname = cl.pk_attname
    columns = [
        (_column(cl, name, empty), f"field-{_coerce_field_name(name, index)}", name in links)
        for index, name in enumerate(cl.list_display)
    ]
    row_template = _row_template(columns, labels)
    rows = []
    for result in cl.result_list:
        url = url_template.replace(PK_PLACEHOLDER, str(quote(getattr(result, pk_attname))), 1)
        values = []
        for draw, css_class, linked in columns:
            nowrap, shown = draw(result)
            values.append(f"{css_class} nowrap" if nowrap else css_class)
            if linked:
                values.append(url)
            values.append(shown)
        rows.append(html_format(row_template, *values))
    return rows


def _heading_text(header: dict) -> str:
    text = str(header["text"])
    return text[:1].upper() + text[1:]


def _header(header: dict, num_sorted: int) -> str:
    """One column header, as admin/change_list_results.html draws it."""
    sort_options = ""
    if header["sortable"] and header["sort_priority"] > 0:
        priority = ""
        if num_sorted > 1:
            priority = html_format(
                '<span class="sortpriority" title="Sorting priority: {}">{}</span>',
                header["sort_priority"],
                header["sort_priority"],
            )
        sort_options = html_format(
            '<div class="sortoptions"><a class="sortremove" href="{}" '
            'title="Remove from sorting"></a>{}<a href="{}" class="toggle {}" '
            'title="Toggle sorting"></a></div>',
            header["url_remove"],
            priority,
            header["url_toggle"],
            "ascending" if header["ascending"] else "descending",
        )
    text = _heading_text(header)
    if header["sortable"]:
        label = html_format('<a href="{}">{}</a>', header["url_primary"], text)
    else:
        label = html_format("<span>{}</span>", text)
    return html_format(
        '<th scope="col"{}>{}<div class="text">{}</div><div class="clear"></div></th>',
        header["class_attrib"],
        sort_options,
        label,
    )


def filter_html(cl, spec) -> str:
    """One filter of the list's sidebar, as admin/filter.html draws it (each filter's choices
    from Django's own `spec.choices`, with their query strings)."""
    items = html_join(
        html_format(
            '<li{}><a href="{}">{}</a></li>',
            html_format(' class="selected"') if choice["selected"] else "",
            iri_to_uri(choice["query_string"]),
            choice["display"],
        )
        for choice in spec.choices(cl)
    )
    return html_format(
        '<details data-filter-title="{}" open><summary>By {}</summary><ul>{}</ul></details>',
        spec.title,
        spec.title,
        items,
    )


def result_table(cl) -> str:
    """The list's table (`<div class="results console-results">`), or nothing for an empty
    page. It fits the window rather than scrolling sideways: console.css wraps long values,
    drops secondary columns on narrow screens and stacks the rows as cards on a phone."""
    if not cl.result_list:
        return ""
    headers = list(result_headers(cl))
    num_sorted = sum(1 for header in headers if header.get("sorted"))
    labels = [_heading_text(header) for header in headers]
    return html_format(
        '<div class="results console-results"><table id="result_list"><thead><tr>{}</tr></thead>'
        "<tbody>\n{}</tbody></table></div>",
        html_join(_header(header, num_sorted) for header in headers),
        html_join(_rows(cl, labels)),
    )
