"""The facts on the console's case page, drawn in Python rather than by the admin's fieldsets.

The page shows some thirty read-only facts (§3.2, §3.8, §4.1, §5.12, §10.3). Through
`AdminReadonlyField` each one cost a label and help-text lookup, `lookup_field`,
`display_for_field` and three nested template includes on every request: the larger part of
the page's time (README "Performance"). Here the layout is worked out once per admin from its `fieldsets`
— still the one declaration, which the History page's version view keeps drawing the admin's
way — and a request only formats the values: times in UK time (docs/conventions.md §4), people
and reference records linked to their console pages, as one safe string of `<dl>` sections.

Impact and urgency stay the admin form's widgets, so saving still goes through
`CaseAdmin.save_model` → `case_classify` with its errors next to the fields; the priority shown
is the one `case_classify` stored.
"""

import functools
from dataclasses import dataclass
from urllib.parse import quote

from django import forms
from django.contrib.admin.utils import help_text_for_field, label_for_field
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.defaultfilters import linebreaksbr
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from core.admin import uk_time

from .admin_views import CommentForm

EMPTY = "-"
# Stands for the key when a URL is reversed once per page (`Links`): digits, so it fits an
# `<int:pk>` as well as the admin's `<path:object_id>`, and too long to occur otherwise.
_PK = 918273645546372819


@dataclass(frozen=True)
class Row:
    """One fact, decided once per admin (`page_layout`): how to read `name` and show it.

    `dt` and `help` are the row's HTML apart from the value, escaped once.
    """

    name: str
    kind: str  # "method", "attribute", "relation", "choice", "flag", "time" or "value"
    dt: str
    help: str
    # For a relation: the console's change-page URL name of the related model ("" if none).
    url_name: str = ""


@dataclass(frozen=True)
class Section:
    heading: str
    description: str
    rows: tuple[Row, ...]


@functools.cache
def page_layout(model_admin) -> tuple[Section, ...]:
    """The admin's `fieldsets` as rows that know how to draw themselves.

    Cached for the life of the process: fieldsets, labels and registered admins are fixed
    once the console is loaded.
    """
    model = model_admin.model
    sections = []
    for heading, options in model_admin.fieldsets:
        rows = tuple(_row(model_admin, model, name) for name in options["fields"])
        sections.append(Section(heading or "", options.get("description", ""), rows))
    return tuple(sections)


def _row(model_admin, model, name: str) -> Row:
    """Looked up in the admin's order (`django.contrib.admin.utils.lookup_field`): a model
    field, else a method of the admin, else an attribute of the object."""
    label = str(capfirst(label_for_field(name, model, model_admin)))
    dt = format_html('<dt class="field-{}">{}</dt><dd class="field-{}">', name, label, name)
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return Row(name, "method" if hasattr(model_admin, name) else "attribute", dt, "")
    help_text = help_text_for_field(name, model)
    help_html = format_html('<div class="help">{}</div>', help_text) if help_text else ""
    if field.many_to_one:
        related = field.related_model
        url_name = ""
        if model_admin.admin_site.is_registered(related):
            url_name = (
                f"{model_admin.admin_site.name}:"
                f"{related._meta.app_label}_{related._meta.model_name}_change"
            )
        return Row(name, "relation", dt, help_html, url_name)
    if field.choices:
        kind = "choice"
    elif isinstance(field, models.BooleanField):
        kind = "flag"
    elif isinstance(field, models.DateTimeField):
        kind = "time"
    else:
        kind = "value"
    return Row(name, kind, dt, help_html)


class Links:
    """URLs of one page that differ only by a key: each URL name is reversed once, with a
    stand-in for the key, then filled in per object."""

    def __init__(self):
        self._patterns: dict[str, str | None] = {}

    def url(self, url_name: str, pk) -> str | None:
        """The URL for `pk`, or None if `url_name` does not reverse."""
        if url_name not in self._patterns:
            try:
                self._patterns[url_name] = reverse(url_name, args=[_PK])
            except NoReverseMatch:
                self._patterns[url_name] = None
        pattern = self._patterns[url_name]
        return None if pattern is None else pattern.replace(str(_PK), quote(str(pk), safe=""))


def _value(row: Row, obj, model_admin, links: Links) -> str:
    """The row's value as HTML."""
    kind = row.kind
    if kind in ("method", "attribute"):
        if kind == "method":
            value = getattr(model_admin, row.name)(obj)
        else:
            value = getattr(obj, row.name)
            value = value() if callable(value) else value
        return value if hasattr(value, "__html__") else linebreaksbr(value)
    if kind == "relation":
        related = getattr(obj, row.name)
        if related is None:
            return EMPTY
        url = links.url(row.url_name, related.pk) if row.url_name else None
        text = escape(str(related))
        return f'<a href="{escape(url)}">{text}</a>' if url else text
    value = getattr(obj, row.name)
    if kind == "flag":
        return "Yes" if value else "No"
    if value is None or value == "":
        return EMPTY
    if kind == "time":
        return f'<time datetime="{value.isoformat()}">{uk_time(value)}</time>'
    if kind == "choice":
        return escape(str(getattr(obj, f"get_{row.name}_display")()))
    return linebreaksbr(value)


def select_html(bound_field) -> str:
    """A plain `<select>` exactly as Django's `Select` widget draws it (same attributes, the
    same option selected), without the widget's templates: one for the select, one per option
    and one per option's attributes, which cost more than the rest of the classification."""
    widget = bound_field.field.widget
    extra = bound_field.build_widget_attrs({})
    if bound_field.auto_id and "id" not in widget.attrs:
        extra.setdefault("id", bound_field.auto_id)
    attrs = {**widget.attrs, **extra}
    value = bound_field.value()
    chosen = "" if value is None else str(value)
    options = "".join(
        f'<option value="{escape(option)}"{" selected" if str(option) == chosen else ""}>'
        f"{escape(label)}</option>"
        for option, label in bound_field.field.choices
    )
    # In the widget's order, as django/forms/widgets/attrs.html writes them (flatatt sorts).
    flat = "".join(
        f" {name}" if value is True else f' {name}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )
    return f'<select name="{escape(bound_field.html_name)}"{flat}>{options}</select>'


def _editable(bound_field) -> str:
    """An editable field: its widget, with the form's errors (the service's words) above."""
    help_text = bound_field.help_text
    widget = bound_field.field.widget
    plain_select = type(widget) is forms.Select and not any(
        isinstance(label, (list, tuple)) for _value, label in bound_field.field.choices
    )
    return format_html(
        '<dt class="field-{}"><label for="{}">{}</label></dt><dd class="field-{}">{}{}{}</dd>',
        bound_field.name,
        bound_field.id_for_label,
        bound_field.label,
        bound_field.name,
        bound_field.errors or "",
        mark_safe(select_html(bound_field)) if plain_select else bound_field,  # noqa: S308 - escaped
        format_html('<div class="help" id="{}_helptext">{}</div>', bound_field.auto_id, help_text)
        if help_text
        else "",
    )


def case_facts_html(model_admin, obj, *, form, editable: frozenset[str]) -> SafeString:
    """Every section of the admin's fieldsets for `obj`: read-only facts as `<dt>`/`<dd>`
    pairs, and the fields in `editable` as `form`'s widgets.

    Built with f-strings from parts escaped here or in `page_layout`: `format_html` for each of
    some forty values was a visible share of the page.
    """
    links = Links()
    parts = []
    for index, section in enumerate(page_layout(model_admin)):
        rows = []
        has_fields = False
        for row in section.rows:
            if row.name in editable:
                has_fields = True
                rows.append(_editable(form[row.name]))
            else:
                rows.append(f"{row.dt}{_value(row, obj, model_admin, links)}{row.help}</dd>")
        tag = "fieldset" if has_fields else "section"
        if section.heading:
            heading_id = f"case-facts-{index}-heading"
            opening = (
                f'<{tag} class="module console-case-summary console-case-facts" '
                f'aria-labelledby="{heading_id}"><h2 id="{heading_id}">{escape(section.heading)}</h2>'
            )
        else:
            opening = f'<{tag} class="module console-case-summary console-case-facts">'
        if section.description:
            opening += f'<p class="help">{escape(section.description)}</p>'
        parts.append(f'{opening}<dl class="console-facts">{"".join(rows)}</dl></{tag}>')
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above


@functools.cache
def blank_comment_fields_html() -> SafeString:
    """The comment / work-note form's fields (Appendix G), drawn once per process: on the case
    page the form is always blank (a refused comment comes back as a message), and drawing its
    radio buttons and text box through the widget templates cost about as much as all the
    facts."""
    form = CommentForm()
    return format_html(
        '<div class="console-comment-kind">{}</div><div class="console-comment-body">{} {}</div>',
        form["kind"],
        form["body"].label_tag(),
        form["body"],
    )
