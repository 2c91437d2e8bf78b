"""The organisation admin's members page (§10.1, §10.4), and the directory of other service
desks every participant can read (§18.4, Appendix H).

Routed as `portal:organisation_members` (and its member actions) from `cases/urls.py`, so every
portal page shares one namespace. The rules of who may attach, detach, deactivate or appoint
whom live in `accounts.services`; who is in the admin's tree in `accounts.selectors`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError

from . import roles
from .directory import service_desk_directory
from .forms import MemberAttachForm, ServiceDeskFilterForm
from .models import User
from .permission_cache import access_facts
from .selectors import (
    organisation_member_get_for,
    organisation_members_for,
    pending_registrations_for,
)
from .services import (
    organisation_admin_appoint,
    user_attach_to_organisation,
    user_deactivate,
    user_detach_from_organisation,
)


def is_organisation_admin(user) -> bool:
    """True for a signed-in participant in the Organisation admin role (§9 roles)."""
    return bool(user.is_authenticated and roles.ORGANISATION_ADMIN in access_facts(user).groups)


def portal_nav_context(user) -> dict:
    """What the header needs to draw the navigation."""
    return {"nav_members": is_organisation_admin(user)}


def portal_nav(request) -> dict:
    """Context processor form of `portal_nav_context`, for pages the portal does not render
    itself (allauth's). Lazy, so a page that never draws the nav pays no query."""
    return {"nav_members": SimpleLazyObject(lambda: is_organisation_admin(request.user))}


def _require_organisation_admin(user) -> None:
    if not is_organisation_admin(user):
        raise PermissionDenied("Only organisation admins can manage members.")


def _members_page(request, *, form, status=200, action_error=None):
    """The page: members of the tree, pending registrations on the tree's domains, and the
    attach form. A fixed number of queries whatever the number of members (see its test)."""
    actor = request.user
    context = {
        "form": form,
        "members": organisation_members_for(actor),
        "pending": pending_registrations_for(actor),
        "organisations": list(form.fields["organisation"].queryset),
        "action_error": action_error,
        "nav_members": True,
        "nav_current": "members",
    }
    return render(request, "accounts/organisation_members.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_members(request):
    """List the members of the admin's organisation tree and attach a registered user."""
    actor = request.user
    _require_organisation_admin(actor)
    if request.method != "POST":
        return _members_page(request, form=MemberAttachForm(actor=actor))
    form = MemberAttachForm(request.POST, actor=actor)
    if form.is_valid():
        organisation = form.cleaned_data["organisation"]
        try:
            user_attach_to_organisation(
                user=form.user, organisation=organisation, actor=actor, request=request
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(request, f"{form.user.email} is now a member of {organisation}.")
            return redirect("portal:organisation_members")
    return _members_page(request, form=form, status=400)


def _member_action(request, pk: int, *, service, done: str):
    """Run one action on a member of the admin's tree (§10.4): 403 for anyone but an
    organisation admin, 404 for anyone outside their tree, the service's refusal on the page."""
    actor = request.user
    _require_organisation_admin(actor)
    try:
        member = organisation_member_get_for(actor, pk=pk)
    except User.DoesNotExist:
        raise Http404("No such member.") from None
    try:
        service(user=member, actor=actor, request=request)
    except DomainError as exc:
        error = {"member_pk": member.pk, "message": exc.message}
        return _members_page(
            request, form=MemberAttachForm(actor=actor), status=exc.status, action_error=error
        )
    messages.success(request, done.format(email=member.email))
    return redirect("portal:organisation_members")


@login_required
@require_POST
def organisation_member_detach(request, pk: int):
    """Detach a member: they keep their account but leave the organisation and its roles."""
    return _member_action(
        request,
        pk,
        service=user_detach_from_organisation,
        done="{email} has been detached and can no longer see your organisation's cases.",
    )


@login_required
@require_POST
def organisation_member_deactivate(request, pk: int):
    """Deactivate a member's account: they can no longer sign in."""
    return _member_action(
        request,
        pk,
        service=user_deactivate,
        done="{email} has been deactivated and can no longer sign in.",
    )


@login_required
@require_POST
def organisation_member_appoint_admin(request, pk: int):
    """Make a member an organisation admin."""
    return _member_action(
        request,
        pk,
        service=organisation_admin_appoint,
        done="{email} is now an organisation admin.",
    )


@login_required
@require_GET
def service_desk_directory_page(request):
    """ "Other service desks": every desk of the directory with its contacts and hours, and
    whether it is open now in UK time; searchable and filterable (§18.4, Appendix H)."""
    form = ServiceDeskFilterForm(request.GET or None)
    search = status = ""
    if form.is_bound and form.is_valid():
        search, status = form.cleaned_data["q"], form.cleaned_data["status"]
    now = timezone.now()
    entries = service_desk_directory(search=search, status=status, at=now)
    context = {
        **portal_nav_context(request.user),
        "nav_current": "service_desks",
        "form": form,
        "entries": entries,
        "filtered": bool(search or status),
        "now": now,
    }
    return render(
        request,
        "accounts/service_desks.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )
