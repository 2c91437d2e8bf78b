"""Communications (§8): the outbox, inbound email, distribution lists and the notification
centre."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition
from simple_history.models import HistoricalRecords


class OutboundMessage(models.Model):
    """One email to one recipient, written in the same transaction as the event that caused it.

    A worker claims the row with a conditional UPDATE before sending, so two workers never
    send it together; `message_id` is fixed at creation, so a re-send after a crash carries
    the same Message-ID and the receiving system sees one message.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        REFUSED = "refused", "Refused"
        DEAD = "dead", "Dead letter"

    template = models.CharField(max_length=60)
    to_email = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=200, unique=True)
    ticket_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    ticket = GenericForeignKey("ticket_type", "ticket_id")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Extra mail headers sent with it, e.g. RFC 8058 List-Unsubscribe for the status page's
    # subscribers; Message-ID is always the row's own.
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Serves the resend sweep: WHERE status IN (pending, sending) AND next_attempt_at <= now.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # Serves a ticket's message list in the admin.
            models.Index(fields=["ticket_type", "ticket_id"], name="outbox_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.to_email} ({self.get_status_display()})"


class InboundEmail(models.Model):
    """One inbound email (reply by email, §10.2/§10.3) and what became of it.

    Unique on `message_id`, so the same message delivered twice (mail server retry, IMAP
    re-poll, API re-post) is recorded and acted on once. Only headers, the outcome and the
    reason are kept: the body of a refused message is never stored; the body of an accepted
    one lives in the journal entry it produced. A message that could not be processed at all
    (`failed`: a header or body nothing could read, a database error) keeps its raw bytes in
    `raw_message` until a retry from the console succeeds, so one bad message never blocks
    the mailbox and is never lost (issue 7).
    """

    class Status(models.TextChoices):
        ATTACHED = "attached", "Attached to ticket"
        NEW_CASE = "new_case", "Opened a new case"
        REFUSED = "refused", "Refused"
        DUPLICATE = "duplicate", "Duplicate"
        ERROR = "error", "Error"
        FAILED = "failed", "Failed (kept for retry)"

    class Source(models.TextChoices):
        PIPE = "pipe", "Mail server pipe"
        IMAP = "imap", "IMAP poll"
        API = "api", "API"

    message_id = models.CharField(max_length=255, unique=True)
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.TextField(blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PIPE)
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.TextField(blank=True)
    ticket_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ticket_id = models.PositiveBigIntegerField(null=True, blank=True)
    ticket = GenericForeignKey("ticket_type", "ticket_id")
    journal_entry_id = models.PositiveBigIntegerField(null=True, blank=True)
    # The follow-up ticket a reply to a closed ticket opened (a case, for cases): any type,
    # through content type + id like `ticket`. The column keeps its first name.
    created_ticket_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_case_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_ticket = GenericForeignKey("created_ticket_type", "created_case_id")
    raw_size = models.PositiveIntegerField(default=0)
    raw_message = models.BinaryField(
        blank=True, default=b"", help_text="The message as received; kept only while failed."
    )
    attempts = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="inbound_status"),
            models.Index(fields=["ticket_type", "ticket_id"], name="inbound_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} from {self.from_address} ({self.get_status_display()})"


def is_desk_agent(instance, user) -> bool:
    """Membership requests are decided by the service desk, which also resolves their case."""
    return bool(
        user
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm("cases.change_case")
    )


class DistributionList(models.Model):
    """A list the desk sends to: the Major Incident comms list, CAB members… (§5.19, §5.21).

    Each list has one delivery method for its recipient group (§5.19 "Communication
    Methods"): email, SMS through the pluggable backend, or a portal notification.
    """

    class DeliveryMethod(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        PORTAL = "portal", "Portal notification"

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    recipient_group = models.CharField(
        max_length=120, help_text="Who the list is for, e.g. “Service users and stakeholders”."
    )
    delivery_method = models.CharField(
        max_length=10, choices=DeliveryMethod.choices, default=DeliveryMethod.EMAIL
    )
    open_to_requests = models.BooleanField(
        default=True,
        help_text="Service users may ask in the portal to join or leave this list.",
    )
    active = models.BooleanField(default=True)

    # Who receives incident and CAB communications (§5.19, §5.21): every change is kept (§12).
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        permissions = [("send_distributionlist", "Can send to distribution lists")]

    def __str__(self) -> str:
        return self.name


class DistributionListMember(models.Model):
    """A portal user or a plain address on a list; a phone number carries its SMS (§5.19)."""

    distribution_list = models.ForeignKey(
        DistributionList, on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="distribution_list_memberships",
    )
    email = models.EmailField(null=True, blank=True)
    phone = models.CharField(max_length=40, null=True, blank=True, help_text="For SMS lists.")
    added_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(
        verbose_name="distribution list membership change",
        verbose_name_plural="distribution list membership history",
    )

    class Meta:
        ordering = ["distribution_list", "added_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(user__isnull=False, email__isnull=True)
                    | models.Q(user__isnull=True, email__isnull=False)
                ),
                name="dlmember_user_xor_email",
                violation_error_message="A member is either a portal user or a plain address.",
            ),
            models.UniqueConstraint(
                fields=["distribution_list", "user"],
                condition=models.Q(user__isnull=False),
                name="dlmember_unique_user",
            ),
            models.UniqueConstraint(
                fields=["distribution_list", "email"],
                condition=models.Q(email__isnull=False),
                name="dlmember_unique_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user or self.email} on {self.distribution_list_id}"


class ListMembershipRequest(FSMModelMixin, models.Model):
    """A service user's request that they, or someone of their organisation, join or leave a
    list, carried by a service request (§5.21: "there is no limit to the number of people you
    can have added")."""

    class Action(models.TextChoices):
        ADD = "add", "Add"
        REMOVE = "remove", "Remove"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    distribution_list = models.ForeignKey(
        DistributionList, on_delete=models.PROTECT, related_name="membership_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="list_requests"
    )
    # Who is to be added or removed: the requester, or a person of their organisation tree.
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="list_requests_about"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    state = FSMField(default=State.PENDING, choices=State.choices, protected=True)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["distribution_list", "person"],
                condition=models.Q(state="pending"),
                name="listrequest_one_pending_per_person",
                violation_error_message="A request for this person is already waiting.",
            ),
        ]
        indexes = [
            # Serves the console's queue of pending requests, oldest first.
            models.Index(fields=["state", "created_at"], name="listrequest_state"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_action_display()}: {self.distribution_list_id} ({self.get_state_display()})"
        )

    @transition(field=state, source=State.PENDING, target=State.APPROVED, permission=is_desk_agent)
    def approve(self, *, by, note: str = "") -> None:
        """The desk approves; the service changes the membership (§5.21)."""
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note

    @transition(field=state, source=State.PENDING, target=State.REJECTED, permission=is_desk_agent)
    def reject(self, *, by, note: str) -> None:
        """The desk declines, with the reason the requester reads on the case."""
        self.decided_by = by
        self.decided_at = timezone.now()
        self.decision_note = note


class DistributionListMessage(models.Model):
    """A message staff sent to a list from the console (§5.19.1), kept as the record of what
    was said, by whom, and how many people it reached. Its members read it in the portal."""

    class Kind(models.TextChoices):
        """The communication types of §5.19.1."""

        INITIAL = "initial", "Initial notification"
        UPDATE = "update", "Regular update"
        ESCALATION = "escalation", "Escalation notification"
        RESOLUTION = "resolution", "Resolution update"
        PIR = "pir", "Post-incident review"
        AD_HOC = "ad_hoc", "Communication"

    distribution_list = models.ForeignKey(
        DistributionList, on_delete=models.PROTECT, related_name="messages"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=150)
    body = models.TextField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    emailed = models.PositiveIntegerField(default=0)
    texted = models.PositiveIntegerField(default=0)
    notified = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            # Serves a list's sent messages, newest first (console).
            models.Index(fields=["distribution_list", "-sent_at"], name="listmessage_list_time"),
        ]

    def __str__(self) -> str:
        return self.subject


class Notification(models.Model):
    """An entry in a user's notification centre: the bell in the portal and the console.

    The title follows the email rule (§10.5.5): number, status and fixed words only, never
    anything a user typed.
    """

    # A user's own inbox has no value without them; it is not an audit record.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    link = models.CharField(max_length=300, blank=True)
    ticket_ref = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Serves the notification list: WHERE user_id=? ORDER BY created_at DESC.
            models.Index(fields=["user", "-created_at"], name="notification_user_time"),
            # Serves the bell: COUNT(*) WHERE user_id=? AND read_at IS NULL.
            models.Index(fields=["user", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """Whether a user receives an optional notification by email; the portal entry always
    exists, and mandatory events ignore this (see `comms.centre.EVENTS`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    event = models.CharField(max_length=60)
    email_enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["user", "event"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notificationpref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.event}: {'email' if self.email_enabled else 'portal only'}"
