"""Distribution lists (§5.19, §5.21): who is on them, how people ask to join or leave, and
sending to them.

A service user asks in the portal; that raises an "MHHS Service Request" (a case), so the
request shows in the desk's triage queue like any other, with a pending `ListMembershipRequest`
beside it. An agent approves or rejects it in the console; approval changes the membership,
and either way the service request is resolved with notes, so the requester hears through it.
The service request is raised and resolved through the `ServiceRequestDesk` the cases app
registers (`comms.service_requests`), so communications never import cases.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django_fsm import can_proceed, has_transition_perm

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed

from .centre import notification_deliver
from .models import (
    DistributionList,
    DistributionListMember,
    ListMembershipRequest,
    is_desk_agent,
)
from .service_requests import service_request_desk
from .services import outbound_message_queue, render_email
from .sms import sms_send

logger = logging.getLogger(__name__)

MAJOR_INCIDENT_COMMS = "Major Incident comms"
CAB_MEMBERS = "CAB members"

# The communication types of §5.19.1, which are what a list message may say it is.
UPDATE_KINDS = {
    "initial": "Initial notification",
    "update": "Regular update",
    "escalation": "Escalation notification",
    "resolution": "Resolution update",
    "pir": "Post-incident review",
    "ad_hoc": "Communication",
}
LIST_UPDATE_EVENT = "distribution_list_update"


# --- selectors -------------------------------------------------------------------------------


def distribution_lists_for(user) -> QuerySet:
    """Lists a user may ask to join or leave, each annotated with `is_member` and
    `pending_action` (the action of their request waiting for the desk, or None): one query."""
    pending = ListMembershipRequest.objects.filter(
        distribution_list=OuterRef("pk"),
        requester=user,
        state=ListMembershipRequest.State.PENDING,
    ).values("action")[:1]
    return (
        DistributionList.objects.filter(active=True, open_to_requests=True)
        .annotate(
            is_member=Exists(
                DistributionListMember.objects.filter(distribution_list=OuterRef("pk"), user=user)
            ),
            pending_action=Subquery(pending),
        )
        .order_by("name")
    )


def _is_member(distribution_list: DistributionList, user) -> bool:
    return distribution_list.members.filter(user=user).exists()


# --- asking ----------------------------------------------------------------------------------


def _service_request_category():
    from tickets.models import Category

    return (
        Category.objects.filter(is_service_request=True, active=True)
        .order_by("sort_order", "name")
        .first()
    )


def distribution_list_request_membership(
    *, actor, distribution_list: DistributionList, action: str
) -> ListMembershipRequest:
    """Ask to be added to or removed from a list (§5.21): raises the service request and a
    pending membership request, in one transaction."""
    Action = ListMembershipRequest.Action
    if actor is None or not actor.is_authenticated:
        raise ActionNotPermitted("Sign in to ask about distribution lists.")
    if action not in Action.values:
        raise ValidationFailed(
            "Choose whether to join or leave the list.",
            field_errors={"action": ["Choose add or remove."]},
        )
    if not (distribution_list.active and distribution_list.open_to_requests):
        raise ActionNotPermitted(
            f"Membership of the {distribution_list.name} list is managed by the service desk; "
            "raise a case to ask about it."
        )
    if actor.organisation_id is None:
        raise ActionNotPermitted(
            "Your account is not yet attached to an organisation. Ask your organisation admin "
            "or the service desk to attach it, then you can ask to join lists."
        )
    member = _is_member(distribution_list, actor)
    if action == Action.ADD and member:
        raise ValidationFailed(f"You are already on the {distribution_list.name} list.")
    if action == Action.REMOVE and not member:
        raise ValidationFailed(f"You are not on the {distribution_list.name} list.")
    category = _service_request_category()
    desk = service_request_desk()
    if category is None or desk is None:
        raise ValidationFailed(
            "Service requests cannot be raised just now; please call the service desk."
        )
    organisation = actor.organisation
    wording = "Add me to" if action == Action.ADD else "Remove me from"
    try:
        with transaction.atomic():
            if ListMembershipRequest.objects.filter(
                distribution_list=distribution_list,
                requester=actor,
                state=ListMembershipRequest.State.PENDING,
            ).exists():
                raise ValidationFailed(
                    f"You already have a request waiting for the {distribution_list.name} list."
                )
            service_request = desk.raise_request(
                actor=actor,
                organisation=organisation,
                category=category,
                short_description=f"{wording} the {distribution_list.name} list",
                description=(
                    f"{wording} the “{distribution_list.name}” distribution list.\n\n"
                    f"Asked in the portal by {actor.email} ({organisation.name}). Approve or "
                    "reject it in the console under List membership requests."
                ),
            )
            return ListMembershipRequest.objects.create(
                distribution_list=distribution_list,
                requester=actor,
                action=action,
                case=service_request,
            )
    except IntegrityError as exc:
        # Two tabs submitting at once: the one-pending constraint lets only one through.
        raise ValidationFailed(
            f"You already have a request waiting for the {distribution_list.name} list."
        ) from exc


# --- deciding --------------------------------------------------------------------------------


def _locked_pending(membership_request: ListMembershipRequest, *, actor, name: str):
    locked = (
        ListMembershipRequest.objects.select_for_update()
        .select_related("distribution_list", "requester")
        .get(pk=membership_request.pk)
    )
    # The desk check comes first, so an outsider learns nothing about the request's state.
    if not is_desk_agent(locked, actor):
        raise ActionNotPermitted("Only the service desk can decide list membership requests.")
    method = getattr(locked, name)
    if not (can_proceed(method) and has_transition_perm(method, actor)):
        raise TransitionNotAllowed(
            f"That request was already {locked.get_state_display().lower()}; reload the page."
        )
    return locked


def _resolve_service_request(
    membership_request: ListMembershipRequest, *, actor, notes: str
) -> None:
    """Close the loop on the service request with the decision, through the registered desk
    (which triages and starts it first if nobody has)."""
    if membership_request.case_id is None:
        return
    desk = service_request_desk()
    if desk is None:
        raise ImproperlyConfigured(
            "No ServiceRequestDesk is registered: the app holding service requests registers "
            "one in its AppConfig.ready (comms.service_requests)."
        )
    desk.resolve_request(ticket=membership_request.case, actor=actor, notes=notes)


def distribution_list_approve(
    *, membership_request: ListMembershipRequest, actor, note: str = ""
) -> ListMembershipRequest:
    """Approve: add or remove the requester, then resolve the service request (§5.21)."""
    with transaction.atomic():
        locked = _locked_pending(membership_request, actor=actor, name="approve")
        locked.approve(by=actor, note=note.strip())
        locked.save()
        distribution_list, requester = locked.distribution_list, locked.requester
        if locked.action == ListMembershipRequest.Action.ADD:
            DistributionListMember.objects.get_or_create(
                distribution_list=distribution_list, user=requester
            )
            outcome = f"{requester.email} has been added to the {distribution_list.name} list."
        else:
            distribution_list.members.filter(user=requester).delete()
            distribution_list.members.filter(email__iexact=requester.email).delete()
            outcome = f"{requester.email} has been removed from the {distribution_list.name} list."
        notes = outcome + (f"\n\n{note.strip()}" if note.strip() else "")
        _resolve_service_request(locked, actor=actor, notes=notes)
    return locked


def distribution_list_reject(
    *, membership_request: ListMembershipRequest, actor, reason: str
) -> ListMembershipRequest:
    """Reject with a reason; the membership is unchanged and the service request is resolved
    with the reason, which the requester reads on the case."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            "Say why the request is not approved.",
            field_errors={"reason": ["A reason is required."]},
        )
    with transaction.atomic():
        locked = _locked_pending(membership_request, actor=actor, name="reject")
        locked.reject(by=actor, note=reason)
        locked.save()
        _resolve_service_request(
            locked,
            actor=actor,
            notes=f"Your request for the {locked.distribution_list.name} list was not approved: "
            f"{reason}",
        )
    return locked


# --- managing and sending --------------------------------------------------------------------


def _require_list_manager(actor) -> None:
    if not (actor and actor.is_staff and actor.has_perm("comms.change_distributionlist")):
        raise ActionNotPermitted("You are not allowed to manage distribution lists.")


def distribution_list_member_add(
    *,
    distribution_list: DistributionList,
    actor,
    user=None,
    email: str | None = None,
    phone: str | None = None,
) -> DistributionListMember:
    """Put a portal user or a plain address on a list (list owners, §5.19 "Managing")."""
    _require_list_manager(actor)
    email = (email or "").strip().lower() or None
    if (user is None) == (email is None):
        raise ValidationFailed(
            "Give either a portal user or an email address.",
            field_errors={"email": ["Give a user or an address, not both."]},
        )
    with transaction.atomic():
        member, _ = DistributionListMember.objects.get_or_create(
            distribution_list=distribution_list,
            user=user,
            email=email,
            defaults={"phone": (phone or "").strip() or None},
        )
    return member


@dataclass(frozen=True)
class SendResult:
    emailed: int
    texted: int
    notified: int


def distribution_list_send(
    *,
    distribution_list: DistributionList,
    actor,
    kind: str,
    ticket=None,
    link: str = "",
) -> SendResult:
    """Send one §5.19.1 communication to every member by the list's delivery method.

    The message carries the kind of update, the list, and the ticket's number and status with
    a link; any words that go with the update are published in the portal, never emailed
    (§10.5.5).
    Email goes through the outbox; portal users also get a notification; SMS goes to the
    member's number (else the user's), after commit. A member with no way to be reached by
    the list's method is emailed instead. `actor=None` is the system (e.g. a major incident
    being declared).
    """
    if actor is not None and not (actor.is_staff and actor.has_perm("comms.send_distributionlist")):
        raise ActionNotPermitted("You are not allowed to send to distribution lists.")
    if kind not in UPDATE_KINDS:
        raise ValidationFailed(
            "Choose what kind of update this is.", field_errors={"kind": ["Choose a kind."]}
        )
    if not distribution_list.active:
        raise ValidationFailed(f"The {distribution_list.name} list is not in use.")
    link = link or reverse("comms:notification_list")
    context = {
        "list_name": distribution_list.name,
        "kind": UPDATE_KINDS[kind],
        "link": f"{settings.PORTAL_BASE_URL}{link}",
    }
    if ticket is not None:
        context.update(number=ticket.number, status=ticket.get_state_display())
    method = distribution_list.delivery_method
    Method = DistributionList.DeliveryMethod
    emailed: set[str] = set()
    texted: set[str] = set()
    notified = 0

    def email_to(address: str) -> None:
        if address and address.lower() not in emailed:
            emailed.add(address.lower())
            outbound_message_queue(
                template=LIST_UPDATE_EVENT, to_email=address, context=context, ticket=ticket
            )

    sms_body = ""
    if method == Method.SMS:
        subject, _text, _html = render_email(template=LIST_UPDATE_EVENT, context=context)
        sms_body = f"{subject} {context['link']}"

    with transaction.atomic():
        members = distribution_list.members.select_related("user").order_by("pk")
        for member in members:
            user = member.user
            if user is not None and not user.is_active:
                continue
            address = user.email if user is not None else member.email
            if user is not None:
                # Everyone with a portal account sees it in the notification centre.
                notification_deliver(
                    user=user,
                    event=LIST_UPDATE_EVENT,
                    context=context,
                    link=link,
                    ticket=ticket,
                    email=False,
                )
                notified += 1
            phone = member.phone or (user.phone if user is not None else "")
            if method == Method.SMS and phone:
                if phone not in texted:
                    texted.add(phone)
                    transaction.on_commit(
                        lambda to=phone: sms_send(to=to, body=sms_body), robust=True
                    )
            elif method == Method.PORTAL and user is not None:
                continue
            else:
                email_to(address)
    return SendResult(emailed=len(emailed), texted=len(texted), notified=notified)
