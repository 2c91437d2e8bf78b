"""`core.markup`: rows drawn in Python escape what they are given, exactly as `format_html`."""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core.markup import escape, html_format, html_join

HOSTILE = "<script>alert('x')</script> & \"quoted\""


def test_arguments_are_escaped_as_format_html_escapes_them():
    template = '<td title="{}">{}</td>'
    assert html_format(template, HOSTILE, HOSTILE) == format_html(template, HOSTILE, HOSTILE)
    assert "<script>" not in html_format(template, HOSTILE, HOSTILE)


def test_safe_markup_is_kept_and_the_result_is_safe():
    link = html_format('<a href="{}">{}</a>', "/x?a=1&b=2", "CS1")
    cell = html_format("<td>{}</td>", link)
    assert isinstance(cell, SafeString)
    assert cell == '<td><a href="/x?a=1&amp;b=2">CS1</a></td>'


def test_anything_else_is_its_text_as_format_html_writes_it():
    assert escape(None) == format_html("{}", None)
    assert html_format("<td>{}</td>", 12) == "<td>12</td>"
    assert html_format('<a href="?{query}">{n}</a>', query="q=a&b", n=2) == format_html(
        '<a href="?{query}">{n}</a>', query="q=a&b", n=2
    )


def test_joining_escapes_any_piece_that_is_not_safe():
    joined = html_join([mark_safe("<tr></tr>"), "<b>plain</b>"])
    assert joined == "<tr></tr>&lt;b&gt;plain&lt;/b&gt;"
    assert isinstance(joined, SafeString)
