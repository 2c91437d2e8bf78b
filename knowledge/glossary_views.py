"""Portal pages of the glossary (§11.2.1) and the raise-case form's article suggestions
(§11.2.2 self-help). Views collect input and show results; the rules are in
`knowledge.glossary` and `knowledge.self_help`."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.views import portal_nav_context
from core.pagination import CappedPaginator

from .glossary import (
    MAX_GLOSSARY_QUERY_CHARS,
    glossary_entries_for,
    glossary_letter_choice,
    glossary_letters,
    glossary_request_initial,
)
from .markdown import render_markdown
from .self_help import (
    article_portal_path,
    readable_article_ids,
    suggestion_impressions_record,
    suggestion_opened_record,
    suggestion_rate_allowed,
    suggestions_for,
)

ENTRIES_PER_PAGE = 50


def _raise_case_url(initial: dict[str, str]) -> str:
    """The portal's raise-case form, pre-filled with `initial` (subject and description)."""
    query = urlencode(
        {"subject": initial["short_description"], "description": initial["description"]}
    )
    return f"{reverse('portal:case_create')}?{query}"


@login_required
@require_GET
def glossary_index(request):
    """The glossary A–Z: a letter bar (letters without entries are not links), a search
    within the glossary, and the entries with their definitions, paginated."""
    letter = glossary_letter_choice(request.GET.get("letter"))
    query = " ".join((request.GET.get("q") or "").split())[:MAX_GLOSSARY_QUERY_CHARS]
    entries = glossary_entries_for(request.user, letter=letter, query=query)
    paginator = CappedPaginator(entries, ENTRIES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [
        {
            "entry": entry,
            "definition": render_markdown(entry.definition),
            "article": entry.related_article if entry.related_readable else None,
            "article_url": article_portal_path(entry.related_article.number)
            if entry.related_readable
            else "",
        }
        for entry in page.object_list
    ]
    chosen = {name: value for name, value in (("letter", letter), ("q", query)) if value}
    context = {
        **portal_nav_context(request.user),
        "nav_current": "glossary",
        "letters": glossary_letters(current=letter),
        "letter": letter,
        "query": query,
        "query_max": MAX_GLOSSARY_QUERY_CHARS,
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "rows": rows,
        "filter_query": urlencode(chosen),
        "filtered": bool(chosen),
        "request_url": _raise_case_url(glossary_request_initial(topic=query)),
    }
    return render(request, "knowledge/glossary.html", context)


def _signed_in_json(request):
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Sign in to see suggestions."}, status=401)
    return None


@require_GET
def suggest(request):
    """Articles matching the subject typed so far on the raise-case form, as JSON: up to five,
    each readable by the user; what was shown is recorded once per user, article and day."""
    refused = _signed_in_json(request)
    if refused:
        return refused
    if not suggestion_rate_allowed(request.user):
        return JsonResponse(
            {"error": "Suggestions were asked for too often; wait a moment and type again."},
            status=429,
        )
    hits = suggestions_for(request.user, request.GET.get("q", ""))
    suggestion_impressions_record(user=request.user, articles=[hit.article for hit in hits])
    return JsonResponse(
        {
            "results": [
                {
                    "id": hit.article.pk,
                    "number": hit.article.number,
                    "title": hit.article.title,
                    "snippet": str(hit.snippet),
                    "url": article_portal_path(hit.article.number),
                }
                for hit in hits
            ]
        }
    )


@require_POST
def suggestion_opened(request):
    """The user followed a suggestion (sent by the form's script when a link is opened)."""
    refused = _signed_in_json(request)
    if refused:
        return refused
    ids = readable_article_ids(request.user, [request.POST.get("article", "")])
    if not ids:
        return JsonResponse({"error": "No such article among your suggestions."}, status=400)
    recorded = suggestion_opened_record(user=request.user, article_id=ids[0])
    return JsonResponse({"recorded": recorded})
