"""Article bodies are Markdown (§11): parsed by markdown-it-py with raw HTML switched off, then
cleaned by nh3's allow-list, so a `<script>`, an `onerror=` or a `javascript:` link written
into an article reaches the reader as inert text, never as markup."""

import functools

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h2", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"style"}, "th": {"style"}}


@functools.cache
def _parser() -> MarkdownIt:
    # "commonmark" with html=False: raw HTML in the source is escaped, not passed through.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(source: str) -> Markup:
    """Safe HTML for an article body: headings start at h2 (the page's title is the h1)."""
    html = _parser().render(source or "")
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )
    return Markup(cleaned)  # noqa: S704 — nh3 has just cleaned it against an allow-list
