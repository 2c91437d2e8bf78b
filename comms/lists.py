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

from core.errors import ActionNotPermitted, TicketNotFound, TransitionNotAllowed, ValidationFailed

from .centre import notification_deliver
from .models import (
    DistributionList,
    DistributionListMember,
    DistributionListMessage,
    ListMembershipRequest,
    is_desk_agent,
)
from .mpan import contains_mpan
from .service_requests import service_request_desk
from .services import outbound_message_queue, render_email
from .sms import sms_send

logger = logging.getLogger(__name__)

MAJOR_INCIDENT_COMMS = "Major Incident comms"
CAB_MEMBERS = "CAB members"

# The communication types of §5.19.1, which are what a list message may say it is.
UPDATE_KINDS = dict(DistributionListMessage.Kind.choices)
LIST_UPDATE_EVENT = "distribution_list_update"
# A message written in the console: its own email, the same notification event.
LIST_MESSAGE_TEMPLATE = "distribution_list_message"


# --- selectors -------------------------------------------------------------------------------


def distribution_lists_for(user) -> QuerySet:
    """Lists a user may ask to join or leave, each annotated with `is_member` and
    `pending_action` (the action of their request waiting for the desk, or None): one query."""
    pending = ListMembershipRequest.objects.filter(
        distribution_list=OuterRef("pk"),
        person=user,
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


def list_requests_for_others_of(user) -> QuerySet:
    """The requests a participant made for other people, newest first, with the list, the
    person and the service request: one query."""
    return (
        ListMembershipRequest.objects.filter(requester=user)
        .exclude(person=user)
        .select_related("distribution_list", "person", "case")
        .order_by("-created_at", "-id")
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


def list_request_people_for(actor) -> QuerySet:
    """The people a participant may ask the desk to add to or remove from a list: the active
    participants of their organisation and every organisation below it (§5.21, §10.4)."""
    from accounts.models import User
    from accounts.selectors import organisation_tree

    if actor is None or not actor.is_authenticated or actor.organisation_id is None:
        return User.objects.none()
    return User.objects.filter(
        organisation__in=organisation_tree(actor.organisation_id).values("pk"),
        kind=User.Kind.PARTICIPANT,
        is_active=True,
    ).order_by("full_name", "email")


def distribution_list_request_membership(
    *, actor, distribution_list: DistributionList, action: str, person=None
) -> ListMembershipRequest:
    """Ask for the requester, or `person` of their organisation tree, to be added to or removed
    from a list (§5.21: "there is no limit to the number of people you can have added"):
    raises the service request and a pending membership request, in one transaction."""
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
    person = person or actor
    yourself = person.pk == actor.pk
    if not yourself and not list_request_people_for(actor).filter(pk=person.pk).exists():
        raise ValidationFailed(
            "You can only ask for people of your own organisation.",
            field_errors={"person": ["Choose someone of your organisation."]},
        )
    who = "You are" if yourself else f"{person.email} is"
    member = _is_member(distribution_list, person)
    if action == Action.ADD and member:
        raise ValidationFailed(
            f"{who} already on the {distribution_list.name} list.",
            field_errors={} if yourself else {"person": [f"{who} already on the list."]},
        )
    if action == Action.REMOVE and not member:
        raise ValidationFailed(
            f"{who} not on the {distribution_list.name} list.",
            field_errors={} if yourself else {"person": [f"{who} not on the list."]},
        )
    category = _service_request_category()
    desk = service_request_desk()
    if category is None or desk is None:
        raise ValidationFailed(
            "Service requests cannot be raised just now; please call the service desk."
        )
    organisation = actor.organisation
    if yourself:
        wording = "Add me to" if action == Action.ADD else "Remove me from"
    else:
        wording = f"{'Add' if action == Action.ADD else 'Remove'} {person.email} "
        wording += "to" if action == Action.ADD else "from"
    waiting = (
        f"You already have a request waiting for the {distribution_list.name} list."
        if yourself
        else f"A request for {person.email} is already waiting for the {distribution_list.name} "
        "list."
    )
    try:
        with transaction.atomic():
            if ListMembershipRequest.objects.filter(
                distribution_list=distribution_list,
                person=person,
                state=ListMembershipRequest.State.PENDING,
            ).exists():
                raise ValidationFailed(waiting)
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
                person=person,
                action=action,
                case=service_request,
            )
    except IntegrityError as exc:
        # Two tabs submitting at once: the one-pending constraint lets only one through.
        raise ValidationFailed(waiting) from exc


# --- deciding --------------------------------------------------------------------------------


def _locked_pending(membership_request: ListMembershipRequest, *, actor, name: str):
    locked = (
        ListMembershipRequest.objects.select_for_update()
        .select_related("distribution_list", "requester", "person")
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
    """Approve: add or remove the person asked about, then resolve the service request
    (§5.21)."""
    with transaction.atomic():
        locked = _locked_pending(membership_request, actor=actor, name="approve")
        locked.approve(by=actor, note=note.strip())
        locked.save()
        distribution_list, person = locked.distribution_list, locked.person
        if locked.action == ListMembershipRequest.Action.ADD:
            DistributionListMember.objects.get_or_create(
                distribution_list=distribution_list, user=person
            )
            outcome = f"{person.email} has been added to the {distribution_list.name} list."
        else:
            distribution_list.members.filter(user=person).delete()
            distribution_list.members.filter(email__iexact=person.email).delete()
            outcome = f"{person.email} has been removed from the {distribution_list.name} list."
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


@dataclass(frozen=True)
class _Delivery:
    """Who a list reaches and how: addresses to email, numbers to text, portal users to notify
    (each once), by the list's delivery method (§5.19 "Communication Methods")."""

    emails: tuple[str, ...]
    phones: tuple[str, ...]
    portal_users: tuple

    def counts(self) -> SendResult:
        return SendResult(
            emailed=len(self.emails), texted=len(self.phones), notified=len(self.portal_users)
        )


def _delivery(distribution_list: DistributionList) -> _Delivery:
    """One query: the members with their users. A member with no way to be reached by the
    list's method is emailed instead; inactive users are left out."""
    Method = DistributionList.DeliveryMethod
    method = distribution_list.delivery_method
    emails: dict[str, str] = {}  # lower-cased → as written
    phones: dict[str, None] = {}
    portal_users = []
    for member in distribution_list.members.select_related("user").order_by("pk"):
        user = member.user
        if user is not None and not user.is_active:
            continue
        if user is not None:
            portal_users.append(user)
        phone = member.phone or (user.phone if user is not None else "")
        if method == Method.SMS and phone:
            phones.setdefault(phone)
        elif method == Method.PORTAL and user is not None:
            continue
        else:
            address = user.email if user is not None else member.email
            if address:
                emails.setdefault(address.lower(), address)
    return _Delivery(tuple(emails.values()), tuple(phones), tuple(portal_users))


def distribution_list_reach(distribution_list: DistributionList) -> SendResult:
    """How many a message to the list would reach now, by each way: the console's preview."""
    return _delivery(distribution_list).counts()


def _require_sender(actor) -> None:
    if actor is not None and not (actor.is_staff and actor.has_perm("comms.send_distributionlist")):
        raise ActionNotPermitted("You are not allowed to send to distribution lists.")


def distribution_list_send(
    *,
    distribution_list: DistributionList,
    actor,
    kind: str,
    ticket=None,
    link: str = "",
    message: DistributionListMessage | None = None,
) -> SendResult:
    """Send one §5.19.1 communication to every member by the list's delivery method.

    Without a `message`, the email carries the kind of update, the list, and the ticket's
    number and status with a link; any words that go with the update are published in the
    portal, never emailed (§10.5.5). With a `message` written in the console
    (`distribution_list_message_send`), the email carries its subject and words, and the link
    opens it in the portal.
    Email goes through the outbox; portal users also get a notification; SMS goes to the
    member's number (else the user's), after commit. A member with no way to be reached by
    the list's method is emailed instead. `actor=None` is the system (e.g. a major incident
    being declared).
    """
    _require_sender(actor)
    if kind not in UPDATE_KINDS:
        raise ValidationFailed(
            "Choose what kind of update this is.", field_errors={"kind": ["Choose a kind."]}
        )
    if not distribution_list.active:
        raise ValidationFailed(f"The {distribution_list.name} list is not in use.")
    template = LIST_UPDATE_EVENT
    if message is not None:
        template = LIST_MESSAGE_TEMPLATE
        link = reverse("comms:list_message", args=[message.pk])
    link = link or reverse("comms:notification_list")
    context = {
        "list_name": distribution_list.name,
        "kind": UPDATE_KINDS[kind],
        "link": f"{settings.PORTAL_BASE_URL}{link}",
    }
    if ticket is not None:
        context.update(number=ticket.number, status=ticket.get_state_display())
    if message is not None:
        context.update(subject=message.subject, body=message.body)
    delivery = _delivery(distribution_list)
    sms_body = ""
    if delivery.phones:
        subject, _text, _html = render_email(template=template, context=context)
        sms_body = f"{subject} {context['link']}"

    with transaction.atomic():
        for user in delivery.portal_users:
            # Everyone with a portal account sees it in the notification centre.
            notification_deliver(
                user=user,
                event=LIST_UPDATE_EVENT,
                context=context,
                link=link,
                ticket=ticket,
                email=False,
            )
        for phone in delivery.phones:
            transaction.on_commit(lambda to=phone: sms_send(to=to, body=sms_body), robust=True)
        for address in delivery.emails:
            outbound_message_queue(
                template=template, to_email=address, context=context, ticket=ticket
            )
    return delivery.counts()


SUBJECT_MAX = 150
BODY_MAX = 5000


def distribution_list_message_send(
    *, distribution_list: DistributionList, actor, kind: str, subject: str, body: str
) -> DistributionListMessage:
    """Staff write to a list from the console (§5.19, §5.19.1): the message is recorded with who
    sent it and how many it reached, emailed, texted or notified by the list's method through
    the outbox, and readable by its members in the portal. An MPAN is refused before anything
    is sent (§10.5.5)."""
    if actor is None:
        raise ActionNotPermitted("Sign in to send to distribution lists.")
    _require_sender(actor)
    subject = " ".join((subject or "").split())
    body = (body or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in UPDATE_KINDS:
        errors["kind"] = ["Choose what kind of update this is."]
    if not subject:
        errors["subject"] = ["Give the message a subject."]
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = [f"Keep the subject to {SUBJECT_MAX} characters or fewer."]
    if not body:
        errors["body"] = ["Write the message."]
    elif len(body) > BODY_MAX:
        errors["body"] = [f"Keep the message to {BODY_MAX} characters or fewer."]
    for field, text in (("subject", subject), ("body", body)):
        if field not in errors and contains_mpan(text):
            errors[field] = [
                "Remove the MPAN: an MPAN is never emailed. Share it on a case instead."
            ]
    if errors:
        raise ValidationFailed(
            "The message was not sent; check the highlighted fields.", field_errors=errors
        )
    if not distribution_list.active:
        raise ValidationFailed(f"The {distribution_list.name} list is not in use.")
    reach = distribution_list_reach(distribution_list)
    if not (reach.emailed or reach.texted or reach.notified):
        raise ValidationFailed(
            f"The {distribution_list.name} list has nobody to send to; add members first."
        )
    with transaction.atomic():
        message = DistributionListMessage.objects.create(
            distribution_list=distribution_list,
            kind=kind,
            subject=subject,
            body=body,
            sent_by=actor,
        )
        result = distribution_list_send(
            distribution_list=distribution_list, actor=actor, kind=kind, message=message
        )
        message.emailed, message.texted, message.notified = (
            result.emailed,
            result.texted,
            result.notified,
        )
        message.save(update_fields=["emailed", "texted", "notified"])
    return message


def distribution_list_message_get_for(user, pk: int) -> DistributionListMessage:
    """A sent message, for a member of its list or staff who may view lists; anyone else is
    told it does not exist."""
    message = (
        DistributionListMessage.objects.select_related("distribution_list", "sent_by")
        .filter(pk=pk)
        .first()
    )
    if message is None or not user.is_authenticated:
        raise TicketNotFound("There is no such message.")
    if user.is_staff and user.has_perm("comms.view_distributionlist"):
        return message
    if message.distribution_list.members.filter(user=user).exists():
        return message
    raise TicketNotFound("There is no such message.")
