"""Portal pages of the knowledge base (§11.1, §11.2; namespace `knowledge`): search and
browse, read an article, say whether it helped, and ask for what is missing.

Public articles are for everyone, signed in or not; signed-in and staff-only articles need the
reader to be signed in (and staff, for staff-only). An article the reader may not read is a
404, whether or not it exists, so a staff-only article's title is never revealed. Views only
collect input and show results: reads go through `selectors` and `search`, writes through
`services`.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.views import portal_nav_context
from core.errors import DomainError
from core.pagination import CappedPaginator

from . import services
from .forms import ArticleFeedbackForm, ArticleSearchForm
from .markdown import render_markdown
from .models import Article
from .search import article_hits, article_search_queryset, normalise_query
from .selectors import article_readable_get, articles_readable_by

ARTICLES_PER_PAGE = 20


def _page(request, template: str, context: dict, *, status: int = 200):
    nav = portal_nav_context(request.user) if request.user.is_authenticated else {}
    return render(request, template, {**nav, "nav_current": "knowledge", **context}, status=status)


def _case_create_url(request, prefill: dict[str, str]) -> str:
    """The raise-case form pre-filled; a signed-out reader signs in first and then lands on it."""
    url = f"{reverse('portal:case_create')}?{urlencode(prefill)}"
    if request.user.is_authenticated:
        return url
    return f"{reverse('account_login')}?{urlencode({'next': url})}"


@require_GET
def search(request):
    """Search (or, with no words, browse the newest) articles the reader may read, filtered by
    category and service, paginated; a search that finds nothing offers to request an article."""
    form = ArticleSearchForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    cleaned = form.cleaned_data if form.is_bound and valid else {}
    query = normalise_query(cleaned.get("q", ""))
    category, service = cleaned.get("category"), cleaned.get("service")
    fuzzy = False
    if query:
        found, fuzzy = article_search_queryset(
            request.user, query, category=category, service=service
        )
    elif valid:
        found = (
            articles_readable_by(request.user)
            .select_related("category")
            .order_by("-published_at", "-id")
        )
        if category is not None:
            found = found.filter(category=category)
        if service is not None:
            found = found.filter(services=service)
    else:
        found = Article.objects.none()
    # A search's results read each page with its category (`search.SearchResults`).
    paginator = CappedPaginator(found, ARTICLES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    hits = article_hits(page.object_list, query, fuzzy=fuzzy) if query else []
    chosen = {
        name: value
        for name, value in (
            ("q", query),
            ("category", category.pk if category else ""),
            ("service", service.code if service else ""),
        )
        if value
    }
    search_url = request.build_absolute_uri(f"{reverse('knowledge:search')}?{urlencode(chosen)}")
    context = {
        "form": form,
        "query": query,
        "filtered": bool(chosen),
        "fuzzy": fuzzy,
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "hits": hits,
        "articles": [] if query else list(page.object_list),
        "filter_query": urlencode(chosen),
        "request_article_url": _case_create_url(
            request, services.new_article_request(topic=query, search_url=search_url)
        ),
    }
    return _page(request, "knowledge/search.html", context, status=200 if valid else 400)


def _article_or_404(user, number: str) -> Article:
    try:
        return article_readable_get(user, number)
    except Article.DoesNotExist as exc:
        raise Http404("No article with that number is available to you.") from exc


def _render_article(request, article: Article, *, form=None, status: int = 200):
    article_url = request.build_absolute_uri(
        reverse("knowledge:article", kwargs={"number": article.number})
    )
    answered = services.feedback_given(article=article, session=request.session)
    context = {
        "article": article,
        "body_html": render_markdown(article.body),
        "services": list(article.services.all()),
        "form": form or ArticleFeedbackForm(),
        "answered": answered,
        "missing_url": _case_create_url(
            request, services.missing_content_request(article=article, article_url=article_url)
        ),
        "request_article_url": _case_create_url(request, services.new_article_request(topic="")),
    }
    return _page(request, "knowledge/article.html", context, status=status)


@require_GET
def article(request, number: str):
    """An article: its rendered body, version and last update, services and category, and
    "Was this helpful?". A page load counts one read per session; a HEAD counts nothing."""
    found = _article_or_404(request.user, number)
    if request.method == "GET":
        services.article_view_record(article=found, session=request.session)
    return _render_article(request, found)


@require_POST
def article_feedback(request, number: str):
    found = _article_or_404(request.user, number)
    form = ArticleFeedbackForm(request.POST)
    if form.is_valid():
        try:
            services.article_feedback_record(
                article=found,
                user=request.user,
                helpful=form.cleaned_data["helpful"],
                comment=form.cleaned_data["comment"],
                session=request.session,
            )
        except DomainError as exc:
            for name, errors in exc.field_errors.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
            if not exc.field_errors:
                form.add_error(None, exc.message)
        else:
            messages.success(request, "Thank you for your feedback.")
            return redirect(
                f"{reverse('knowledge:article', kwargs={'number': found.number})}#feedback"
            )
    return _render_article(request, found, form=form, status=400)
