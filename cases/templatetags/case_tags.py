"""The participant case pages' repeated markup, drawn in Python (issue 9).

A template loop spent about as long resolving each row's variables, filters and tags as the
database spent finding the rows; here each row is one format string (`html_format`) with the
markup the loop drew, so a page of 25 cases or a long history costs little more than a short
one. Also the case pages' URLs from templates reversed once, and their blank form fields
drawn once (`core.forms`).
"""

from django import template
from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.utils import timezone
from django.utils.safestring import SafeString

from core import forms as core_forms
from core.markup import html_format
from core.urls import reverse_fixed
from tickets.templatetags.ticket_tags import status_badge_html, time_html

from ..selectors import URL_PLACEHOLDER, case_url_template

register = template.Library()

# `_field.html` and `{{ field }}`; the blank fields of a `drawn_once` form are drawn once.
register.simple_tag(core_forms.field_block, name="field_block")
register.simple_tag(core_forms.field_control, name="field_control")


@register.simple_tag
def case_url(name: str, number: str) -> str:
    """`{% url 'portal:<name>' number %}`, from the URL template (`case_url_template`)."""
    return case_url_template(name).replace(URL_PLACEHOLDER, number)


# The markup the template loop drew, indented as it was.
CASE_ROW = """
          <tr>
            <th scope="row" data-label="Number"><a href="{url}">{number}</a></th>
            <td data-label="Subject">{subject}</td>
            <td data-label="Status">{status}</td>
            <td data-label="Organisation">{organisation}</td>
            <td data-label="Category">{category}</td>
            <td data-label="Opened">{opened}</td>
            <td data-label="Raised by">{caller}</td>
          </tr>"""


@register.simple_tag
def case_table_rows(cases) -> SafeString:
    """My Cases' table body: a row per `cases.selectors.CaseRow`, the number as a row header."""
    tz = timezone.get_current_timezone()
    return SafeString(
        "".join(
            html_format(
                CASE_ROW,
                url=case.url,
                number=case.number,
                subject=case.short_description,
                status=status_badge_html(case.state, case.get_state_display()),
                organisation=case.organisation or "—",
                category=case.category or "—",
                opened=time_html(case.opened_at, tz=tz),
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
              <li class="attachments__item">
                <a href="{url}" download>{name}</a>
                <span class="attachments__meta">{size}, added {added}{by}</span>
              </li>"""
ATTACHMENT_PLACEHOLDER = 999_999_999


@register.simple_tag
def attachment_items(attachments) -> SafeString:
    """The case's files from `tickets.selectors.attachment_rows_for` rows: a download link,
    the size, when and by whom; the download URL is a template reversed once."""
    url_template = reverse_fixed("portal:attachment_download", pk=ATTACHMENT_PLACEHOLDER)
    placeholder = str(ATTACHMENT_PLACEHOLDER)
    tz = timezone.get_current_timezone()
    return SafeString(
        "".join(
            html_format(
                ATTACHMENT_ITEM,
                url=url_template.replace(placeholder, str(attachment["pk"])),
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
            for attachment in attachments
        )
    )
