"""Navigation drawn cheaply (issue 9): the header's links (`templates/base.html`), reversed
once per URLconf and script prefix rather than on every page (`core.urls.reverse_fixed`), and
the pagination of lists (`templates/_pagination.html`), drawn in Python rather than a loop.
"""

from html import escape

from django import template
from django.utils.safestring import SafeString

from core.markup import html_format
from core.urls import reverse_fixed

register = template.Library()


@register.simple_tag
def nav_url(viewname: str) -> str:
    """`{% url viewname %}` for a link without arguments."""
    return reverse_fixed(viewname)


PAGINATION = """
  <nav class="pagination" aria-label="Pages of results">
    <ul class="pagination__list">{links}
    </ul>
  </nav>
"""
PREVIOUS = """
        <li><a class="pagination__link" href="?{query}page={number}" rel="prev">Previous<span class="visually-hidden"> page</span></a></li>"""
ELLIPSIS = """
          <li class="pagination__ellipsis" aria-hidden="true">…</li>"""
CURRENT = """
          <li><a class="pagination__link" href="?{query}page={number}" aria-current="page"><span class="visually-hidden">Page </span>{number}</a></li>"""
OTHER = """
          <li><a class="pagination__link" href="?{query}page={number}"><span class="visually-hidden">Page </span>{number}</a></li>"""
NEXT = """
        <li><a class="pagination__link" href="?{query}page={number}" rel="next">Next<span class="visually-hidden"> page</span></a></li>"""


@register.simple_tag
def pagination_links(page, page_range, filter_query: str = "") -> SafeString:
    """Accessible pagination (`_pagination.html`) for a Page and its elided `page_range`:
    previous, the pages (the current one marked, gaps as an ellipsis hidden from screen
    readers), next; every link keeps the filter in `filter_query`. Nothing for one page."""
    if not page.has_other_pages():
        return SafeString("")
    query = SafeString(f"{escape(filter_query)}&amp;" if filter_query else "")
    links = []
    if page.has_previous():
        links.append(html_format(PREVIOUS, query=query, number=page.previous_page_number()))
    for number in page_range:
        if number == page.paginator.ELLIPSIS:
            links.append(ELLIPSIS)
        else:
            links.append(
                html_format(CURRENT if number == page.number else OTHER, query=query, number=number)
            )
    if page.has_next():
        links.append(html_format(NEXT, query=query, number=page.next_page_number()))
    return html_format(PAGINATION, links=SafeString("".join(links)))
