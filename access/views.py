"""The account page's API tokens: create, see once, list and revoke your own (§10.5.2)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.mfa import has_totp, session_passed_mfa
from core.errors import DomainError

from .forms import AccessTokenForm
from .selectors import access_token_list_for
from .services import access_token_create, access_token_revoke, scopes_offered_to

# The new token's secret waits in the (server-side) session for the page after the POST,
# and is removed the first time it is shown.
NEW_TOKEN_SESSION_KEY = "access_new_token"
TOKENS_PER_PAGE = 25


def _staff_second_factor_redirect(request):
    """Staff reach this page only from a session signed in with TOTP (§10.5.2)."""
    user = request.user
    if not user.is_staff or (has_totp(user) and session_passed_mfa(request)):
        return None
    next_query = urlencode({"next": request.path})
    if has_totp(user):
        messages.info(request, "Enter your authenticator code to manage API tokens.")
        return redirect(f"{reverse('mfa_reauthenticate')}?{next_query}")
    return redirect(f"{reverse('mfa_activate_totp')}?{next_query}")


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """List your tokens and create one; a new token's secret is shown once."""
    if request.user.is_integration:
        raise PermissionDenied("Integration accounts are given tokens in the console.")
    if (response := _staff_second_factor_redirect(request)) is not None:
        return response
    status = 200
    if request.method == "POST":
        form = AccessTokenForm(request.POST, scopes=scopes_offered_to(request.user))
        if form.is_valid():
            try:
                token, raw = access_token_create(
                    actor=request.user,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                    mfa_verified=session_passed_mfa(request),
                    request=request,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "raw": raw}
                return redirect("access:token_list")
        status = 400
    else:
        form = AccessTokenForm(scopes=scopes_offered_to(request.user))
    new_token = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    page = Paginator(access_token_list_for(user=request.user), TOKENS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {
        "form": form,
        "page_obj": page,
        "tokens": page.object_list,
        "new_token": new_token,
        "api_base": request.build_absolute_uri("/api/v1/"),
        "nav_current": "account",
    }
    response = render(request, "access/token_list.html", context, status=status)
    if new_token:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, pk: int):
    """Revoke one of your own tokens; anyone else's is not found."""
    if (response := _staff_second_factor_redirect(request)) is not None:
        return response
    token = get_object_or_404(access_token_list_for(user=request.user), pk=pk)
    try:
        access_token_revoke(actor=request.user, token=token, request=request)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The token “{token.name}” is revoked and no longer works.")
    return redirect("access:token_list")
