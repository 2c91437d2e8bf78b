"""The console case page's Knowledge panel (§11.1: agents search the knowledge base while
working a case; issue 12 point 8): a search among the articles the agent may read, and
"Attach to reply", which puts an article's title and portal link into the reply to the caller.

With the panel's script the button fills the reply box on the page; without it, the button
asks for the page again with `kb_attach`, and the panel offers its own reply form, pre-filled.
Either way the reply carries the article's id (`knowledge_article`), recorded with the reply
by `cases.knowledge_links.case_reply_articles_record`. With no search asked for, the panel
costs the page no query.
"""

from django.http import HttpRequest

from knowledge.search import article_search
from knowledge.selectors import articles_readable_by
from knowledge.self_help import article_portal_path, readable_article_ids

from .models import Case

PANEL_RESULTS = 8
PANEL_QUERY_MAX_CHARS = 200
QUERY_PARAM = "kb_q"
ATTACH_PARAM = "kb_attach"


def article_reply_text(request: HttpRequest, article) -> str:
    """What an attached article adds to a reply: its number, title and portal address."""
    url = request.build_absolute_uri(article_portal_path(article.number))
    return f"{article.number} {article.title}: {url}"


def knowledge_panel_context(request: HttpRequest, case: Case, *, comment_url: str) -> dict:
    """The panel's context: the search asked for (`kb_q`), its results, and the article to
    attach without the script (`kb_attach`) with the reply text it makes."""
    query = " ".join((request.GET.get(QUERY_PARAM) or "").split())[:PANEL_QUERY_MAX_CHARS]
    context = {
        "kb_query": query,
        "kb_query_max": PANEL_QUERY_MAX_CHARS,
        "kb_results": [],
        "kb_attach": None,
        "kb_comment_url": comment_url,
        "kb_case": case,
    }
    if query:
        context["kb_results"] = [
            {
                "article": hit.article,
                "url": article_portal_path(hit.article.number),
                "snippet": hit.snippet,
                "reply_text": article_reply_text(request, hit.article),
            }
            for hit in article_search(request.user, query, limit=PANEL_RESULTS)
        ]
    attach = readable_article_ids(request.user, [request.GET.get(ATTACH_PARAM) or ""])
    if attach and comment_url:
        article = articles_readable_by(request.user).filter(pk=attach[0]).first()
        if article is not None:
            context["kb_attach"] = {
                "article": article,
                "reply_text": article_reply_text(request, article),
            }
    return context
