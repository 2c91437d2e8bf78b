"""The organisation admin's members page (§10.1, §10.4).

Routed as `portal:organisation_members` from `cases/urls.py`, so every portal page shares one
namespace. The rules of who may attach whom live in `accounts.services`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods

from tickets.errors import DomainError

from . import roles
from .forms import MemberAttachForm
from .models import User
from .selectors import organisations_for_user
from .services import user_attach_to_organisation


def is_organisation_admin(user) -> bool:
    """True for a signed-in participant in the Organisation admin role (§9 roles)."""
    return bool(
        user.is_authenticated and user.groups.filter(name=roles.ORGANISATION_ADMIN).exists()
    )


def portal_nav_context(user) -> dict:
    """What the header needs to draw the navigation."""
    return {"nav_members": is_organisation_admin(user)}


def portal_nav(request) -> dict:
    """Context processor form of `portal_nav_context`, for pages the portal does not render
    itself (allauth's). Lazy, so a page that never draws the nav pays no query."""
    return {"nav_members": SimpleLazyObject(lambda: is_organisation_admin(request.user))}


def _members_of(actor):
    """Everyone attached to the admin's organisation or one below it, with their role."""
    admin_groups = User.groups.through.objects.filter(
        user_id=OuterRef("pk"), group__name=roles.ORGANISATION_ADMIN
    )
    return (
        User.objects.filter(organisation__in=organisations_for_user(actor))
        .select_related("organisation")
        .annotate(is_org_admin=Exists(admin_groups))
        .order_by("organisation__name", "email")
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_members(request):
    """List the members of the admin's organisation tree and attach a registered user."""
    actor = request.user
    if not is_organisation_admin(actor):
        raise PermissionDenied("Only organisation admins can manage members.")
    status = 200
    if request.method == "POST":
        form = MemberAttachForm(request.POST, actor=actor)
        if form.is_valid():
            organisation = form.cleaned_data["organisation"]
            try:
                user_attach_to_organisation(user=form.user, organisation=organisation, actor=actor)
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(request, f"{form.user.email} is now a member of {organisation}.")
                return redirect("portal:organisation_members")
        status = 400
    else:
        form = MemberAttachForm(actor=actor)
    context = {
        "form": form,
        "members": _members_of(actor),
        "organisations": form.fields["organisation"].queryset,
        "nav_members": True,
        "nav_current": "members",
    }
    return render(request, "accounts/organisation_members.html", context, status=status)
