"""The public status page (§5.22, "the BSC website"): no sign-in. Every page reads through
`status_page.selectors`, which loads public text only."""

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.authentication import client_ip
from core.errors import DomainError

from . import selectors, subscriptions
from .forms import SubscribeForm

CIRCULARS_PER_PAGE = 20
# Subscription requests one address may make in an hour before being asked to wait.
SUBSCRIBE_PER_HOUR = 10


def _index(request, *, form=None, status=200):
    board = selectors.status_board()
    context = {
        "board": board,
        "form": form or SubscribeForm(services=board.services),
        "nav_current": "status",
    }
    return render(request, "status_page/index.html", context, status=status)


@require_GET
def index(request):
    return _index(request)


def _throttled(request) -> bool:
    key = f"status_page:subscribe:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > SUBSCRIBE_PER_HOUR


@require_POST
def subscribe(request):
    """Ask to subscribe: the answer is the same whether or not the address is known."""
    if _throttled(request):
        return render(
            request,
            "status_page/message.html",
            {
                "title": "Too many requests",
                "message": "You have asked to subscribe many times in the last hour. "
                "Please wait an hour and try again.",
            },
            status=429,
        )
    services = list(selectors.status_services().only("code", "name"))
    form = SubscribeForm(request.POST, services=services)
    if form.is_valid():
        try:
            subscriptions.subscription_request(
                email=form.cleaned_data["email"], service_codes=form.cleaned_data["services"]
            )
        except DomainError as error:
            for name, messages in error.field_errors.items():
                for message in messages:
                    form.add_error(name if name in form.fields else None, message)
            if not error.field_errors:
                form.add_error(None, error.message)
        else:
            return redirect("status_page:subscribe_sent")
    return _index(request, form=form, status=400)


@require_GET
def subscribe_sent(request):
    return render(
        request,
        "status_page/message.html",
        {
            "title": "Check your email",
            "message": "If the address can receive email, we have sent it a link to confirm "
            "the subscription. Nothing is sent until it is confirmed. The link works for 7 days.",
        },
    )


def _link_refused(request, error: DomainError):
    return render(
        request,
        "status_page/message.html",
        {"title": "This link cannot be used", "message": error.message},
        status=400,
    )


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    """GET shows what the link confirms with a button (so a mail scanner opening the link
    confirms nothing); POST confirms."""
    try:
        if request.method == "POST":
            subscription = subscriptions.subscription_confirm(token=token)
            return render(
                request,
                "status_page/confirmed.html",
                {"subscription": subscription, "services": subscription.services.all()},
            )
        subscription, services = subscriptions.subscription_for_confirm_link(token)
    except DomainError as error:
        return _link_refused(request, error)
    return render(
        request,
        "status_page/confirm.html",
        {"subscription": subscription, "services": services},
    )


# RFC 8058: a mail client's one-click unsubscribe is a POST without our CSRF token; the signed
# link is what authorises it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET shows a button; POST (the button, or a mail client's one-click) unsubscribes."""
    try:
        if request.method == "POST":
            subscription = subscriptions.subscription_unsubscribe(token=token)
            return render(request, "status_page/unsubscribed.html", {"subscription": subscription})
        subscription = subscriptions.subscription_for_unsubscribe_link(token)
    except DomainError as error:
        return _link_refused(request, error)
    return render(request, "status_page/unsubscribe.html", {"subscription": subscription})


@require_GET
def circular_list(request):
    paginator = Paginator(
        selectors.published_circulars().only("id", "number", "title", "published_at"),
        CIRCULARS_PER_PAGE,
    )
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "status_page/circular_list.html",
        {
            "page": page,
            "page_range": paginator.get_elided_page_range(page.number),
            "filter_query": "",
        },
    )


@require_GET
def circular_detail(request, number: str):
    circular = selectors.circular_get_public(number=number)
    if circular is None:
        raise Http404("No published circular has that number.")
    return render(request, "status_page/circular_detail.html", {"circular": circular})


@require_GET
def incident_detail(request, number: str):
    incident = selectors.incident_get_public(number=number)
    if incident is None:
        raise Http404("No major incident has that number.")
    return render(request, "status_page/incident_detail.html", {"incident": incident})
