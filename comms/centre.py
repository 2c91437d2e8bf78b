"""The notification centre: the bell, the list of a user's notifications and their email
preferences (§5.17, §7.3 "real time automated notifications", §10.2).

Every message to a person goes through `notification_deliver`: it writes the portal
notification and, unless the person has switched that optional event off, queues the email
through the outbox. Mandatory events (acknowledgement, every status change, request for
information, resolution, closure, security, assignments and SLA alerts) are always emailed,
whatever a stored preference says: §10.2 promises participants an email at every status
update of their ticket.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from core.errors import TicketNotFound, ValidationFailed
from tickets.registry import ticket_types

from .models import Notification, NotificationPreference
from .mpan import contains_mpan
from .services import outbound_message_queue

# Shown instead of a title that would carry an MPAN; the link still leads to the detail.
SAFE_TITLE = "There is an update for you in the portal"


@dataclass(frozen=True)
class Event:
    """One kind of notification. `default_types`: sent only for ticket types that declare no
    `notifications` of their own (`comms.notifications.ticket_*`), so it is offered on the
    preferences page only while such a type is registered. `why`: for a mandatory event, why
    it is always emailed, in the words the preferences page shows."""

    key: str
    label: str
    mandatory: bool
    staff_only: bool = False
    default_types: bool = False
    why: str = ""


# Why mandatory emails cannot be switched off, as the preferences page says it.
_WHY_STATUS = (
    "So you always know where your case stands: the service desk emails you every time its "
    "status changes."
)
_WHY_STAFF = "You need it to act on time."


# Event keys are the email template names, so a preference, a notification and an outbox row
# about the same event share one name.
EVENTS: dict[str, Event] = {
    event.key: event
    for event in (
        # To the raiser (§3.1, §10.2, §10.3).
        Event(
            "case_acknowledged",
            "We have received your case",
            mandatory=True,
            why="It confirms we have your case and gives you its number.",
        ),
        # §10.2: status updates are emailed to participants, always.
        Event("case_status_changed", "A case's status changes", mandatory=True, why=_WHY_STATUS),
        Event("case_comment_added", "The service desk comments on a case", mandatory=False),
        Event(
            "case_information_requested",
            "We need more information",
            mandatory=True,
            why="The service desk cannot carry on with your case until you reply.",
        ),
        Event(
            "case_resolved",
            "A case is resolved (confirm or reject)",
            mandatory=True,
            why="You need to confirm the fix or tell us it did not work.",
        ),
        Event(
            "case_rerouted",
            "A case is re-routed to another desk",
            mandatory=True,
            why="It tells you which desk to contact instead.",
        ),
        Event("case_resolution_reminder", "Reminder: a resolved case closes soon", mandatory=False),
        Event(
            "case_closed",
            "A case is closed",
            mandatory=True,
            why="It confirms the case is finished.",
        ),
        Event(
            "case_reopened",
            "A closed case is reopened at your request",
            mandatory=True,
            why="It answers your request to reopen a case.",
        ),
        Event(
            "case_reopen_new_case",
            "A new case is raised for your request to reopen one",
            mandatory=True,
            why="It answers your request to reopen a case and gives the new case's number.",
        ),
        # To the raiser of any other ticket type (the defaults in `comms.notifications`).
        Event(
            "ticket_acknowledged",
            "We have received a ticket you raised",
            mandatory=True,
            default_types=True,
            why="It confirms we have it and gives you its number.",
        ),
        Event(
            "ticket_status_changed",
            "A ticket's status changes",
            mandatory=True,
            default_types=True,
            why="So you always know where it stands.",
        ),
        Event(
            "ticket_comment_added",
            "The service desk comments on a ticket",
            mandatory=False,
            default_types=True,
        ),
        Event(
            "account_security",
            "Security of your account",
            mandatory=True,
            why="It warns you when the way you sign in changes, so you can act if it was not you.",
        ),
        # The answer to a registration (§10.1).
        Event(
            "registration_approved",
            "Your registration is approved",
            mandatory=True,
            why="It tells you that you can now use the portal.",
        ),
        Event(
            "registration_refused",
            "Your registration is not approved",
            mandatory=True,
            why="It tells you there is an answer to your registration.",
        ),
        Event(
            "distribution_list_update",
            "Messages to a list you are on",
            mandatory=True,
            why="You asked to be on the list; leave the list to stop them.",
        ),
        # To desk staff (§5.17, Appendix G).
        Event(
            "case_caller_replied", "A caller replies on your case", mandatory=False, staff_only=True
        ),
        Event(
            "case_resolution_rejected",
            "A caller rejects a resolution",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "case_update_proposed",
            "An incident's update for a caller awaits review",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "case_reopen_requested",
            "A caller asks to reopen a closed case",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "ticket_assigned_to_person",
            "A ticket is assigned to you",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "incident_assigned",
            "An incident is assigned to your group",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "incident_reassigned",
            "An incident moves to your group",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "incident_priority_set",
            "An incident's priority is set or changes",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "incident_engaged",
            "You are engaged on an incident",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "problem_assigned",
            "A problem is assigned to your group",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "problem_updated",
            "A problem you raised has news",
            mandatory=False,
            staff_only=True,
        ),
        Event(
            "ticket_assigned_to_group",
            "A ticket is assigned to your group",
            mandatory=True,
            staff_only=True,
            default_types=True,
            why=_WHY_STAFF,
        ),
        Event(
            "ticket_status_changed_staff",
            "A ticket you work on changes status",
            mandatory=False,
            staff_only=True,
            default_types=True,
        ),
        Event(
            "ticket_caller_replied",
            "A caller replies on your ticket",
            mandatory=False,
            staff_only=True,
            default_types=True,
        ),
        Event(
            "report_update_due",
            "A status update on a report request is due",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "major_incident_comms_due",
            "A major incident's communication is due",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "major_incident_comms_late",
            "A major incident's communication is late",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "sla_at_risk",
            "An SLA target is at risk",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "sla_breached",
            "An SLA target is breached",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        # Major-incident promotion (§5.11 steps 3–7, §5.17).
        Event(
            "major_incident_candidate_proposed",
            "An incident is proposed as a major incident",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "major_incident_promoted",
            "An incident you proposed or lead is promoted to a major incident",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "major_incident_candidate_rejected",
            "An incident you proposed is not promoted to a major incident",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        # Post major incident reviews (§5.23, Appendix E).
        Event(
            "review_milestone_due",
            "A post-incident review step is due or overdue",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "review_action_assigned",
            "A post-incident review action is assigned to you",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        # Knowledge articles (§11, §12).
        Event(
            "knowledge_review_due",
            "A knowledge article you own is due for review",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "knowledge_review_overdue",
            "A knowledge article's review is overdue (knowledge managers)",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "knowledge_approval_requested",
            "A knowledge article version waits for your approval",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "knowledge_version_returned",
            "A knowledge article version you wrote is returned to you",
            mandatory=True,
            staff_only=True,
            why=_WHY_STAFF,
        ),
        Event(
            "knowledge_controlled_document_published",
            "A new version of a controlled document you own or approve is published",
            mandatory=False,
            staff_only=True,
        ),
    )
}


def _event(key: str) -> Event:
    try:
        return EVENTS[key]
    except KeyError:
        raise ValueError(f"unknown notification event {key!r}") from None


def notification_email_wanted(*, user, event: str) -> bool:
    """True if `user` gets `event` by email: always for mandatory events, else their choice."""
    if _event(event).mandatory:
        return True
    preference = (
        NotificationPreference.objects.filter(user=user, event=event)
        .values_list("email_enabled", flat=True)
        .first()
    )
    return True if preference is None else preference


def notification_deliver(
    *,
    user,
    event: str,
    context: dict,
    link: str,
    ticket=None,
    email: bool = True,
) -> Notification | None:
    """Tell one person about one event: a portal notification and, if wanted, the email.

    `link` is the path the notification opens (the email carries the absolute form in its
    context). `email=False` writes only the portal entry (e.g. a group member whose group is
    emailed at its shared mailbox). Inactive users are told nothing.
    """
    if user is None or not user.is_active:
        return None
    subject = " ".join(render_to_string(f"comms/email/{event}.subject.txt", context).split())
    title = SAFE_TITLE if contains_mpan(subject) else subject[:200]
    notification = Notification.objects.create(
        user=user,
        event=event,
        title=title,
        link=link,
        ticket_ref=getattr(ticket, "number", "") or "",
    )
    if email and user.email and notification_email_wanted(user=user, event=event):
        outbound_message_queue(template=event, to_email=user.email, context=context, ticket=ticket)
    return notification


# --- selectors -------------------------------------------------------------------------------


def notification_list_for(user) -> QuerySet:
    """The user's notifications, newest first; one query per page (plus the count)."""
    if not (user and user.is_authenticated):
        return Notification.objects.none()
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


# The bell's count is on every page, portal and console (issue 9): kept in the cache per user
# and dropped whenever the user's notifications change — created, opened, all marked read, or
# saved or deleted by any other path (signals connected in `comms.apps`) — now and again when the transaction
# commits, so a page that read the old rows meanwhile cannot keep a stale count.
UNREAD_KEY = "comms:unread:v1:{pk}"
UNREAD_SECONDS = 600


def notification_unread_count_for(user) -> int:
    """How many of the user's notifications are unread: from the cache, else one indexed
    COUNT (and kept)."""
    if not (user and user.is_authenticated):
        return 0
    key = UNREAD_KEY.format(pk=user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_SECONDS)
    return count


def notification_unread_changed(user_id) -> None:
    """Forget the user's kept unread count, now and when the transaction commits."""
    key = UNREAD_KEY.format(pk=user_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


@dataclass(frozen=True)
class PreferenceRow:
    event: Event
    email_enabled: bool


def _default_types_in_use(*, staff: bool) -> bool:
    """Whether a registered ticket type uses the default notifications and could send this
    user one: any such type for staff, one that participants may see for anyone else."""
    return any(
        ticket_type.uses_default_notifications and (staff or ticket_type.participants_may_see)
        for ticket_type in ticket_types()
    )


def notification_preferences_for(user) -> list[PreferenceRow]:
    """Every event the user can receive, with whether it is emailed; staff see desk events,
    and the default ticket notifications are listed only while a type uses them."""
    chosen = dict(
        NotificationPreference.objects.filter(user=user).values_list("event", "email_enabled")
    )
    defaults_in_use = _default_types_in_use(staff=user.is_staff)
    return [
        PreferenceRow(
            event=event, email_enabled=True if event.mandatory else chosen.get(event.key, True)
        )
        for event in EVENTS.values()
        if (user.is_staff or not event.staff_only) and (defaults_in_use or not event.default_types)
    ]


# --- services --------------------------------------------------------------------------------


def notification_open(*, user, notification_id: int) -> Notification:
    """Mark one of the user's notifications read and return it; another's is not found."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise TicketNotFound("There is no such notification for you.")
    if notification.read_at is None:
        # Conditional, so a double click records the first opening only.
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
        notification_unread_changed(user.pk)
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    changed = Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    notification_unread_changed(user.pk)
    return changed


def notification_preference_set(*, user, event: str, email_enabled: bool) -> NotificationPreference:
    """Switch the email for an optional event on or off; mandatory events cannot be."""
    definition = EVENTS.get(event)
    if definition is None or (definition.staff_only and not user.is_staff):
        raise ValidationFailed(
            "That is not a notification you receive.", field_errors={"event": ["Unknown event."]}
        )
    if definition.mandatory and not email_enabled:
        raise ValidationFailed(
            f"“{definition.label}” is always emailed; it cannot be switched off.",
            field_errors={event: ["This notification is mandatory."]},
        )
    with transaction.atomic():
        preference, _ = NotificationPreference.objects.update_or_create(
            user=user, event=event, defaults={"email_enabled": email_enabled}
        )
    return preference


def notification_preferences_update(*, user, email_enabled: dict[str, bool]) -> list[str]:
    """Save the preferences page in one transaction; returns the events that changed."""
    current = {row.event.key: row.email_enabled for row in notification_preferences_for(user)}
    changed = []
    with transaction.atomic():
        for key, wanted in email_enabled.items():
            if current.get(key) is None or current[key] == wanted:
                continue
            notification_preference_set(user=user, event=key, email_enabled=wanted)
            changed.append(key)
    return changed
