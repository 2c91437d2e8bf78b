"""The ticket kernel shared by cases, incidents, problems and changes (docs/architecture.md §2)."""

import functools
import uuid
from pathlib import PurePath

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMField, FSMFieldMixin, transition
from simple_history.models import HistoricalRecords

from .priority import Impact, Priority, Urgency


class TicketSequence(models.Model):
    """The last number handed out per prefix; a row-locking UPDATE makes allocation safe."""

    prefix = models.CharField(max_length=8, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.prefix}: {self.last_value}"


class Category(models.Model):
    """A category of §5.16 (plus "MHHS Service Request", §7.1); data, "under constant review"."""

    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    is_service_request = models.BooleanField(
        default=False, help_text="Cases in this category are service requests."
    )
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    # Categories route cases and pick service levels (§5.16, §7.1): every change is kept (§12).
    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Subcategory(models.Model):
    """A finer choice under a §5.16 category ("Settlement Services → Volume allocation"),
    data like the categories, so the desk can keep the drop-down "under constant review"."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="subcategories")
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    history = HistoricalRecords()

    class Meta:
        ordering = ["category__sort_order", "sort_order", "name"]
        verbose_name_plural = "subcategories"
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="subcategory_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.category.name} → {self.name}"


class Service(models.Model):
    """A service the desk supports — a configuration item incidents, problems and changes name
    as affected, and a row on the public status page: the new services of §3.5 and the
    existing ones of §3.6, kept as data."""

    class Kind(models.TextChoices):
        NEW = "new", "New service (§3.5)"
        EXISTING = "existing", "Existing service (§3.6)"

    name = models.CharField(max_length=120, unique=True)
    code = models.SlugField(
        max_length=40, unique=True, help_text="Short name used in URLs and feeds, e.g. “dip”."
    )
    abbreviation = models.CharField(max_length=20, blank=True, help_text="e.g. DIP, CRA.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    description = models.CharField(
        max_length=300, blank=True, help_text="Shown on the public status page."
    )
    on_status_page = models.BooleanField(
        default=True, help_text="Listed on the public status page at /status/."
    )
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.abbreviation})" if self.abbreviation else self.name


def is_desk_member(instance: "Ticket", user) -> bool:
    """Desk transitions are for staff who may change this kind of ticket."""
    meta = instance._meta
    return bool(
        user.is_authenticated
        and user.is_staff
        and user.has_perm(f"{meta.app_label}.change_{meta.model_name}")
    )


def is_desk_member_or_caller_side(instance: "Ticket", user) -> bool:
    """Confirm/reject a resolution: the desk, or a participant who could load the ticket.

    Which participants may load it is the visibility selector's job (§10.4); this check
    only keeps people without an organisation (unattached registrations) out.
    """
    if is_desk_member(instance, user):
        return True
    return bool(user.is_authenticated and user.is_active and user.organisation_id)


@functools.cache
def _state_fields_of(model: type[models.Model]) -> tuple:
    return tuple(field for field in model._meta.fields if isinstance(field, FSMFieldMixin))


class Ticket(ConcurrentTransitionMixin, models.Model):
    """Abstract base of every ticket type: fields, numbering prefix and the shared lifecycle.

    Lifecycle of §5.12, §5.13 and §10.3: New → In Progress ⇄ On Hold; In Progress → Resolved;
    Resolved → Closed (caller confirms, or 5 days pass) or back to In Progress (caller rejects);
    any open state → Cancelled.
    """

    NUMBER_PREFIX = "TKT"

    class State(models.TextChoices):
        NEW = "new", "New"
        IN_PROGRESS = "in_progress", "In Progress"
        ON_HOLD = "on_hold", "On Hold"
        RESOLVED = "resolved", "Resolved"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class HoldReason(models.TextChoices):
        AWAITING_CALLER = "awaiting_caller", "Awaiting Caller"
        AWAITING_CHANGE = "awaiting_change", "Awaiting Change"
        AWAITING_PROBLEM = "awaiting_problem", "Awaiting Problem"
        AWAITING_VENDOR = "awaiting_vendor", "Awaiting Vendor"

    class CancelReason(models.TextChoices):
        DUPLICATE = "duplicate", "Duplicate"
        RAISED_IN_ERROR = "raised_in_error", "Raised in error"
        WITHDRAWN = "withdrawn", "Withdrawn by the caller"

    class ResolutionCode(models.TextChoices):
        """How the ticket was resolved, recorded with the resolution summary (§10.3: what was
        done and any root cause). The problem closure codes of §6.5 ("Resolved", "Known
        Error"), the outcomes of §4.1 (re-routed to the right desk, which "deems it resolved";
        working to design) and of request fulfilment (§7), and a fix through Change Management
        (§5.5 steps 11–13)."""

        SOLVED = "solved", "Solved — fix applied"
        WORKAROUND = "workaround", "Workaround provided"
        KNOWN_ERROR = "known_error", "Known error — permanent fix to follow"
        CHANGE = "change", "Fixed by a change"
        ADVICE = "advice", "Advice or information given"
        REQUEST_FULFILLED = "request_fulfilled", "Request fulfilled"
        NO_FAULT_FOUND = "no_fault_found", "No fault found — working as designed"
        RESOLVED_BY_CALLER = "resolved_by_caller", "Resolved by the caller"
        REROUTED = "rerouted", "Re-routed to another service desk"

    OPEN_STATES = (State.NEW, State.IN_PROGRESS, State.ON_HOLD)

    number = models.CharField(max_length=20, unique=True, editable=False)
    short_description = models.CharField("Subject", max_length=160)
    description = models.TextField()
    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_set",
    )
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_called",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_opened",
    )
    assignment_group = models.ForeignKey(
        "accounts.ResolverGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_set",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_assigned",
    )
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="%(app_label)s_%(class)s_set",
    )
    impact = models.PositiveSmallIntegerField(choices=Impact.choices, null=True, blank=True)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, null=True, blank=True)
    state = FSMField(default=State.NEW, choices=State.choices, protected=True, db_index=True)
    hold_reason = models.CharField(max_length=30, choices=HoldReason.choices, blank=True)
    resolution_code = models.CharField(max_length=40, choices=ResolutionCode.choices, blank=True)
    resolution_notes = models.TextField(blank=True)
    cancel_reason = models.CharField(max_length=30, choices=CancelReason.choices, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.number} {self.short_description}"

    @property
    def state_fields(self):
        """django-fsm's concurrency guard looks for state fields among every field of the model
        each time an instance is built (fifty times for a console list page, issue 9); the
        answer is the class's, so it is worked out once per ticket type."""
        return _state_fields_of(type(self))

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    # --- the shared lifecycle (§5.12, §10.3); bodies only set the new state's fields ---

    @transition(field=state, source=State.NEW, target=State.IN_PROGRESS, permission=is_desk_member)
    def start(self) -> None:
        """The desk picks the ticket up or triage routes it (§4.1)."""

    @transition(
        field=state, source=State.IN_PROGRESS, target=State.ON_HOLD, permission=is_desk_member
    )
    def hold(self, *, reason: str) -> None:
        """Pause work, with a reason of §5.12; SLA clocks pause while On Hold."""
        self.hold_reason = reason

    @transition(
        field=state, source=State.ON_HOLD, target=State.IN_PROGRESS, permission=is_desk_member
    )
    def resume(self) -> None:
        """Back to work after a hold; also done for the caller when they reply (§10.2)."""
        self.hold_reason = ""

    @transition(
        field=state,
        source=[State.NEW, State.IN_PROGRESS],
        target=State.RESOLVED,
        permission=is_desk_member,
    )
    def resolve(self, *, notes: str, code: str = "") -> None:
        """Resolved with notes; the caller is invited to confirm or reject (§10.3)."""
        self.resolution_notes = notes
        self.resolution_code = code
        self.resolved_at = timezone.now()

    @transition(
        field=state,
        source=State.RESOLVED,
        target=State.IN_PROGRESS,
        permission=is_desk_member_or_caller_side,
    )
    def reject_resolution(self) -> None:
        """The caller says the resolution did not work; the ticket reopens (§10.3)."""
        self.reopen_count += 1
        self.resolved_at = None

    @transition(
        field=state,
        source=State.RESOLVED,
        target=State.CLOSED,
        permission=is_desk_member_or_caller_side,
    )
    def close(self) -> None:
        """The caller confirms, or no reply for 5 days (§10.3); Closed is terminal."""
        self.closed_at = timezone.now()
        self.active = False

    @transition(
        field=state,
        source=[State.NEW, State.IN_PROGRESS, State.ON_HOLD],
        target=State.CANCELLED,
        permission=is_desk_member,
    )
    def cancel(self, *, reason: str) -> None:
        """Withdrawn: a duplicate, raised in error, or withdrawn by the caller."""
        self.cancel_reason = reason
        self.hold_reason = ""
        self.closed_at = timezone.now()
        self.active = False


class TicketRef(models.Model):
    """Abstract: a record that points at any ticket through content type + object id."""

    ticket_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    ticket_id = models.PositiveBigIntegerField()
    ticket = GenericForeignKey("ticket_type", "ticket_id")

    class Meta:
        abstract = True


class JournalEntry(TicketRef):
    """A comment the caller sees, a work note that never leaves the desk, or a system event."""

    class Kind(models.TextChoices):
        COMMENT = "comment", "Customer-visible comment"
        WORK_NOTE = "work_note", "Work note"
        SYSTEM = "system", "System entry"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "journal entries"
        indexes = [
            # Serves a ticket's timeline: WHERE ticket_type=? AND ticket_id=? ORDER BY created_at.
            models.Index(
                fields=["ticket_type", "ticket_id", "created_at"], name="journal_ticket_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.author or 'system'} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_customer_visible(self) -> bool:
        return self.kind in (self.Kind.COMMENT, self.Kind.SYSTEM)


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    """Stored under a random name: the uploader's name is kept only as data."""
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class Attachment(TicketRef):
    """A file on a ticket, validated by content and served only through a permission check."""

    file = models.FileField(upload_to=attachment_upload_to, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Serves a ticket's attachment list.
            models.Index(fields=["ticket_type", "ticket_id"], name="attachment_ticket"),
        ]

    def __str__(self) -> str:
        return self.original_name


def pending_upload_to(instance: "PendingUpload", filename: str) -> str:
    """Stored under a random name, as an attachment is; the file keeps its place when it
    becomes one."""
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class PendingUpload(models.Model):
    """A file chosen on a form that came back with errors (raising a case), kept for the person
    who chose it so they need not choose it again; it becomes the ticket's attachment when the
    form goes through (`attachment_add_from_pending`). Checked like an attachment when kept,
    never served to anyone, and removed with its file after a day (`pending_upload_purge`)."""

    # The uploader's own scratch space, of no value without them: not an audit record.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=pending_upload_to, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Serves the purge: WHERE created_at < ….
            models.Index(fields=["created_at"], name="pendingupload_created"),
        ]

    def __str__(self) -> str:
        return self.original_name


class TicketLink(models.Model):
    """A typed link between two tickets (case→incident, incident→problem, …)."""

    class Kind(models.TextChoices):
        CASE_INCIDENT = "case_incident", "Case raised incident"
        INCIDENT_PROBLEM = "incident_problem", "Incident linked to problem"
        PROBLEM_CHANGE = "problem_change", "Problem fixed by change"
        INCIDENT_CHANGE = "incident_change", "Incident fixed by change"
        CAUSED_BY_CHANGE = "caused_by_change", "Caused by change"
        FOLLOW_UP = "follow_up", "Follow-up of a closed ticket"
        CASE_PROBLEM = "case_problem", "Case linked to problem"
        CASE_CHANGE = "case_change", "Case assigned to change"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    from_id = models.PositiveBigIntegerField()
    from_ticket = GenericForeignKey("from_type", "from_id")
    to_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    to_id = models.PositiveBigIntegerField()
    to_ticket = GenericForeignKey("to_type", "to_id")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "from_type", "from_id", "to_type", "to_id"],
                name="ticketlink_unique",
            )
        ]
        indexes = [
            # Serves "links from this ticket" and "links to this ticket".
            models.Index(fields=["from_type", "from_id"], name="ticketlink_from"),
            models.Index(fields=["to_type", "to_id"], name="ticketlink_to"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.from_type_id}/{self.from_id} → {self.to_type_id}/{self.to_id}"
