"""The organisation admin's members page (§10.1, §10.4), with the registrations waiting for
their approval; the page a registered participant sees until they are approved (§10.1); and
the directory of other service desks every participant can read (§18.4, Appendix H).

The members page is routed as `portal:organisation_members` (and its member and registration
actions) from `cases/urls.py`, so every portal page shares one namespace. The rules of who may
attach, detach, deactivate, appoint, approve or refuse whom live in `accounts.services`; who is
in the admin's tree in `accounts.selectors`.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError

from . import roles
from .directory import service_desk_directory
from .forms import (
    MemberAttachForm,
    RegistrationApproveForm,
    RegistrationRefuseForm,
    ServiceDeskFilterForm,
)
from .mfa import has_totp
from .models import RegistrationRequest, User
from .permission_cache import access_facts
from .selectors import (
    organisation_member_get_for,
    organisation_members_for,
    organisations_for_user,
    pending_registrations_for,
    registration_request_get_for,
    registration_request_of,
    registration_requests_pending_for,
)
from .services import (
    organisation_admin_appoint,
    registration_approve,
    registration_refuse,
    user_attach_to_organisation,
    user_deactivate,
    user_detach_from_organisation,
)

DESK_PHONE = "03700 106950"


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


def _members_page(request, *, form, status=200, action_error=None, refuse_form=None, refusing=None):
    """The page: members of the tree, the registrations waiting for the admin's approval,
    others registered on the tree's domains, and the attach form. A fixed number of queries
    whatever the number of members and registrations (see its test). `refusing` is the
    registration whose refusal came back with `refuse_form`'s errors."""
    actor = request.user
    context = {
        "form": form,
        "members": organisation_members_for(actor),
        "registrations": registration_requests_pending_for(actor),
        "pending": pending_registrations_for(actor),
        "organisations": list(form.fields["organisation"].queryset),
        "action_error": action_error,
        "refuse_form": refuse_form,
        "refusing_pk": refusing.pk if refusing is not None else None,
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


def _registration_or_404(actor, pk: int) -> RegistrationRequest:
    _require_organisation_admin(actor)
    try:
        return registration_request_get_for(actor, pk=pk)
    except RegistrationRequest.DoesNotExist:
        raise Http404("No such registration.") from None


@login_required
@require_POST
def organisation_registration_approve(request, pk: int):
    """Approve a registration naming the admin's organisation (§10.1): the person is attached
    (to the organisation chosen, within the admin's tree) and emailed."""
    actor = request.user
    registration = _registration_or_404(actor, pk)
    form = RegistrationApproveForm(request.POST, organisations=organisations_for_user(actor))
    error = None
    if not form.is_valid():
        error = form.errors["organisation"][0]
    else:
        try:
            registration_approve(
                registration=registration,
                actor=actor,
                organisation=form.cleaned_data["organisation"],
                request=request,
            )
        except DomainError as exc:
            error = exc.message
    if error is not None:
        return _members_page(
            request,
            form=MemberAttachForm(actor=actor),
            status=400,
            action_error={"registration_pk": registration.pk, "message": error},
        )
    messages.success(
        request,
        f"{registration.user.email} is now a member of {form.cleaned_data['organisation']}. "
        "We have emailed them.",
    )
    return redirect("portal:organisation_members")


@login_required
@require_POST
def organisation_registration_refuse(request, pk: int):
    """Refuse a registration naming the admin's organisation, with a reason (§10.1): the
    person reads the reason when they sign in and is emailed that there is an answer."""
    actor = request.user
    registration = _registration_or_404(actor, pk)
    form = RegistrationRefuseForm(request.POST)
    if form.is_valid():
        try:
            registration_refuse(
                registration=registration,
                actor=actor,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except DomainError as exc:
            form.add_domain_error(exc)
        else:
            messages.success(
                request, f"The registration of {registration.user.email} has been refused."
            )
            return redirect("portal:organisation_members")
    return _members_page(
        request,
        form=MemberAttachForm(actor=actor),
        status=400,
        refuse_form=form,
        refusing=registration,
    )


# --- the registered participant's page (§10.1) ------------------------------------------------


@login_required
@require_GET
def registration_status(request):
    """Where a registration stands, for a participant who is not attached to an organisation
    yet (§10.1): every portal page leads here until they are (`RegistrationGateMiddleware`).
    Someone who registered and has not set up an authenticator app is sent to do that first:
    it is part of registering (§10.5.2)."""
    user = request.user
    if user.is_staff or not user.is_participant or user.organisation_id:
        return redirect("portal:home")
    registration = registration_request_of(user)
    if registration is not None and not has_totp(user):
        messages.info(
            request,
            "To finish registering, set up two-factor sign-in: scan the code with Microsoft "
            "Authenticator on your phone and enter the six-digit code it shows.",
        )
        query = urlencode({"next": reverse("account_registration_status")})
        return redirect(f"{reverse('mfa_activate_totp')}?{query}")
    context = {"registration": registration, "desk_phone": DESK_PHONE}
    return render(request, "accounts/registration_status.html", context)
