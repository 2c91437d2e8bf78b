"""The participant case pages' repeated markup, drawn in Python (issue 9).

A template loop spent about as long resolving each row's variables, filters and tags as the
database spent finding the rows; here each row is one format string (`html_format`) with the
markup the loop drew, so a page of 25 cases or a long history costs little more than a short
one. Also the case pages' URLs from templates reversed once, and their blank form fields
drawn once (`core.forms`).
"""

from urllib.parse import urlencode

from django import template
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.utils import timezone
from django.utils.safestring import SafeString

from core import forms as core_forms
from core.markup import html_format
from core.urls import reverse_fixed
from tickets.templatetags.ticket_tags import status_badge_html, time_html

from ..models import TRIAGE_TARGET
from ..selectors import (
    ASCENDING,
    CASE_SORT_WORDS,
    CASE_SORTS,
    DESCENDING,
    URL_PLACEHOLDER,
    case_sort_value,
    case_url_template,
)

register = template.Library()

# `_field.html` and `{{ field }}`; the blank fields of a `drawn_once` form are drawn once.
register.simple_tag(core_forms.field_block, name="field_block")
register.simple_tag(core_forms.field_control, name="field_control")


@register.simple_tag
def case_url(name: str, number: str) -> str:
    """`{% url 'portal:<name>' number %}`, from the URL template (`case_url_template`)."""
    return case_url_template(name).replace(URL_PLACEHOLDER, number)


# My Cases' columns: the heading, and the `CASE_SORTS` key of a sortable one.
CASE_COLUMNS = (
    ("Number", None),
    ("Subject", None),
    ("Status", None),
    ("Priority", "priority"),
    ("Organisation", None),
    ("Category", None),
    ("Opened", "opened"),
    ("Last updated", "updated"),
    ("Raised by", None),
)
ARIA_SORT = {ASCENDING: "ascending", DESCENDING: "descending"}
PLAIN_HEADING = """
          <th scope="col">{label}</th>"""
SORTABLE_HEADING = """
          <th scope="col" class="table__sortable" aria-sort="{aria_sort}"><a class="sort-link" href="{url}">{label}<span class="sort-link__icon" aria-hidden="true">{icon}</span><span class="visually-hidden"> ({hint})</span></a></th>"""
SORT_ICONS = {ASCENDING: "▲", DESCENDING: "▼", None: "↕"}


def _sort_words(key: str, direction: str) -> str:
    return CASE_SORT_WORDS[case_sort_value(key, direction)].lower()


@register.simple_tag
def case_sort_words(sort: str, direction: str) -> str:
    """ "newest first", "highest priority first", …: the order My Cases is in."""
    return _sort_words(sort, direction)


@register.simple_tag
def case_table_head(filters: dict, sort: str, direction: str) -> SafeString:
    """My Cases' column headings. A sortable one is a link (keeping the filter) that sorts by
    it, or reverses the order when the list is sorted by it already; its `aria-sort` says how
    the list is sorted ("none" when by another column), as assistive technology reads it."""
    base = reverse_fixed("portal:case_list")
    cells = []
    for label, key in CASE_COLUMNS:
        if key is None:
            cells.append(html_format(PLAIN_HEADING, label=label))
            continue
        current = key == sort
        first = CASE_SORTS[key][0]
        target = (ASCENDING if direction == DESCENDING else DESCENDING) if current else first
        hint = (
            f"sorted {_sort_words(key, direction)}; select to sort {_sort_words(key, target)}"
            if current
            else f"select to sort {_sort_words(key, target)}"
        )
        cells.append(
            html_format(
                SORTABLE_HEADING,
                label=label,
                aria_sort=ARIA_SORT[direction] if current else "none",
                url=f"{base}?{urlencode({**filters, 'sort': case_sort_value(key, target)})}",
                icon=SORT_ICONS[direction if current else None],
                hint=hint,
            )
        )
    return SafeString("".join(cells))


# The markup the template loop drew, indented as it was.
CASE_ROW = """
          <tr>
            <th scope="row" data-label="Number"><a href="{url}">{number}</a></th>
            <td data-label="Subject">{subject}</td>
            <td data-label="Status">{status}{next_step}</td>
            <td data-label="Priority">{priority}</td>
            <td data-label="Organisation">{organisation}</td>
            <td data-label="Category">{category}</td>
            <td data-label="Opened">{opened}</td>
            <td data-label="Last updated">{updated}</td>
            <td data-label="Raised by">{caller}</td>
          </tr>"""
# What happens next to a New case (§4.1: triage within 15 minutes of raising).
NEW_CASE_NEXT = SafeString(
    '<span class="table__note">The service desk will assess it within '
    f"{int(TRIAGE_TARGET.total_seconds() // 60)} minutes.</span>"
)


@register.simple_tag
def case_table_rows(cases) -> SafeString:
    """My Cases' table body: a row per `cases.selectors.CaseRow`, the number as a row header;
    a New case says what happens next."""
    tz = timezone.get_current_timezone()
    return SafeString(
        "".join(
            html_format(
                CASE_ROW,
                url=case.url,
                number=case.number,
                subject=case.short_description,
                status=status_badge_html(case.state, case.get_state_display()),
                next_step=NEW_CASE_NEXT if case.state == "new" else "",
                priority=case.get_priority_display() or "—",
                organisation=case.organisation or "—",
                category=case.category or "—",
                opened=time_html(case.opened_at, tz=tz),
                updated=time_html(case.updated_at, tz=tz),
                caller=case.caller or "—",
            )
            for case in cases
        )
    )


TIMELINE_ITEM = """
              <li class="timeline__item timeline__item--{kind}" id="entry-{pk}">
                <p class="timeline__meta">
                  <span class="timeline__kind">{label}</span>
                  by
                  <span class="timeline__author">{author}</span>,
                  {created}
                </p>
                <div class="timeline__body">{body}</div>
              </li>"""


# What each kind of history entry is called; system entries are "Update".
TIMELINE_LABELS = {"comment": "Comment", "resolution": "Resolution summary"}


def _person(full_name: str, email: str) -> str:
    """`User.get_full_name`: the full name, else the address."""
    return full_name or email


@register.simple_tag
def journal_items(entries) -> SafeString:
    """The case history from `tickets.selectors.journal_rows_for` rows (with the resolution
    summaries, `cases.selectors.case_timeline_with_resolutions`): comment or update, by
    whom (the desk's people marked, the desk itself for an entry without an author), when,
    and the text with its line breaks."""
    tz = timezone.get_current_timezone()
    return SafeString(
        "".join(
            html_format(
                TIMELINE_ITEM,
                kind=entry["kind"],
                pk=entry["pk"],
                label=TIMELINE_LABELS.get(entry["kind"], "Update"),
                author=(
                    _person(entry["author__full_name"], entry["author__email"])
                    + (" (Service Desk)" if entry["author__is_staff"] else "")
                )
                if entry["author_id"]
                else "MHHS Service Desk",
                created=time_html(entry["created_at"], tz=tz),
                body=linebreaksbr(entry["body"], autoescape=True),
            )
            for entry in entries
        )
    )


ATTACHMENT_ITEM = """
              <li class="attachments__item">{preview}
                <a href="{url}" download>{name}</a>
                <span class="attachments__meta">{size}, added {added}{by}</span>
              </li>"""
# An image's thumbnail, read through the same permission-checked download view as the link:
# never a public address. Only the image types an upload may be (`tickets.attachments`,
# checked by content), so nothing that could carry script is drawn.
ATTACHMENT_PREVIEW = """
                <img class="attachments__preview" src="{url}" alt="Preview of {name}" loading="lazy">"""
PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})
ATTACHMENT_PLACEHOLDER = 999_999_999


@register.simple_tag
def attachment_items(attachments) -> SafeString:
    """The case's files from `tickets.selectors.attachment_rows_for` rows: a download link,
    the size, when and by whom, and a thumbnail for an image; the download URL is a template
    reversed once."""
    url_template = reverse_fixed("portal:attachment_download", pk=ATTACHMENT_PLACEHOLDER)
    placeholder = str(ATTACHMENT_PLACEHOLDER)
    tz = timezone.get_current_timezone()
    items = []
    for attachment in attachments:
        url = url_template.replace(placeholder, str(attachment["pk"]))
        preview = ""
        if attachment["mime_type"] in PREVIEW_TYPES:
            preview = html_format(ATTACHMENT_PREVIEW, url=url, name=attachment["original_name"])
        items.append(
            html_format(
                ATTACHMENT_ITEM,
                preview=preview,
                url=url,
                name=attachment["original_name"],
                size=filesizeformat(attachment["size"]),
                added=time_html(attachment["created_at"], tz=tz),
                by=html_format(
                    " by {}",
                    _person(attachment["uploaded_by__full_name"], attachment["uploaded_by__email"]),
                )
                if attachment["uploaded_by_id"]
                else "",
            )
        )
    return SafeString("".join(items))
