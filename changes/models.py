"""Changes (§8, §9): the change record, its approvals, the standard-change catalogue, the
post-implementation review items and the change notifications of external parties.

A change is a ticket type of its own lifecycle (§8.1.1: recorded, assessed, authorised,
scheduled, implemented, reviewed):

    New → Assess → Authorise → Scheduled → Implement → Review → Closed
    any state before Implement → Cancelled; any open state → Closed as Unauthorised

Standard changes are pre-approved (§8.1.2) and go from Assess straight to Scheduled; Normal
and Emergency changes wait in Authorise for the authority `changes.authority` names.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from core.errors import ValidationFailed
from tickets.lifecycle import Action, Argument, Lifecycle
from tickets.models import Service, Ticket, is_desk_member
from tickets.registry import TicketType

from .risk import ChangeType, Rating, needs_cab


def submission_complete(change: "Change", arguments) -> None:
    """§8.3 / §9.2: the mandatory fields of a change are on record before it is submitted."""
    missing = change.missing_for_submission()
    if not missing:
        return
    raise ValidationFailed(
        f"Complete {change.number} before submitting it: "
        f"{'; '.join(message for _, message in missing)}.",
        field_errors={name: [message] for name, message in missing},
    )


def _is_standard(change: "Change") -> bool:
    return change.change_type == ChangeType.STANDARD


def _is_not_standard(change: "Change") -> bool:
    return change.change_type != ChangeType.STANDARD


def _closure_argument(choices: str = "ClosureCode") -> Argument:
    return Argument(
        "code",
        "Change closure code",
        required=True,
        choices=choices,
        max_length=30,
        missing="Choose the change outcome.",
        field_message="Choose a closure code.",
    )


_NOTES = Argument(
    "notes",
    "Closure notes",
    required=True,
    rows=4,
    missing="Write the closure notes: the outcome and any issues encountered.",
    field_message="Closure notes are required.",
)

CHANGE_LIFECYCLE = Lifecycle(
    actions=(
        Action(
            "submit",
            label="submit",
            button="Submit",
            slug="submit",
            arguments=(
                Argument(
                    "justification",
                    "Late change justification",
                    rows=3,
                    help_text="Required when the change is submitted too late for its lead time.",
                ),
            ),
            note=None,
            preconditions=(submission_complete,),
            api_input="changes.api.ChangeSubmitInputSerializer",
            api_summary="Submit for assessment; the §8.7 lead time is checked (late changes "
            "need a justification).",
        ),
        Action(
            "assess",
            label="assess",
            button="Assessed: request authorisation",
            slug="assess",
            api_input="changes.api.ChangeAssessInputSerializer",
            api_summary="Assessment done: the change waits for authorisation (§8.7, §8.9).",
        ),
        Action(
            "schedule",
            label="schedule",
            button="Schedule (pre-approved)",
            slug="schedule",
            api_input="changes.api.ChangeTransitionInputSerializer",
            api_summary="Schedule a pre-approved Standard change (§8.1.2).",
        ),
        Action(
            "authorise",
            label="authorise",
            button="Authorise",
            slug="authorise",
            note=None,
            api_summary="Authorised by the authority the change needs (§8.7, §8.9, §9.4).",
        ),
        Action(
            "reject",
            label="reject",
            button="Reject",
            slug="reject",
            note=None,
            api_summary="Rejected by its approver: the change is cancelled.",
        ),
        Action(
            "return_for_information",
            label="send back for more information",
            button="More information needed",
            slug="return-for-information",
            note=None,
            api_summary="The approver needs more information: back to Assess.",
        ),
        Action(
            "start_implementation",
            label="start implementing",
            button="Start implementation",
            slug="start-implementation",
            api_input="changes.api.ChangeTransitionInputSerializer",
            api_summary="Implementation starts: Scheduled → Implement.",
        ),
        Action(
            "complete",
            label="complete the implementation of",
            button="Implementation complete",
            slug="complete",
            api_input="changes.api.ChangeTransitionInputSerializer",
            api_summary="Implementation finished: the change is reviewed before closure.",
        ),
        Action(
            "close",
            label="close",
            button="Close",
            slug="close",
            api_input="changes.api.ChangeCloseInputSerializer",
            arguments=(_closure_argument("ImplementedClosureCode"), _NOTES),
            note=None,
            api_summary="Close with a §8.8 / §9.3 outcome and closure notes; anything but "
            "Successful opens a post-implementation review item.",
        ),
        Action(
            "cancel",
            label="cancel",
            button="Cancel",
            slug="cancel",
            api_input="changes.api.ChangeCancelInputSerializer",
            arguments=(
                Argument(
                    "notes",
                    "Why it is cancelled",
                    required=True,
                    rows=3,
                    missing="Say why the change is cancelled.",
                    field_message="Say why the change is cancelled.",
                ),
            ),
            note=None,
            api_summary="Cancel a change before implementation starts (§8.8 Cancelled).",
        ),
        Action(
            "mark_unauthorised",
            label="mark as unauthorised",
            button="Mark unauthorised",
            slug="mark-unauthorised",
            api_input="changes.api.ChangeMarkUnauthorisedInputSerializer",
            arguments=(
                Argument(
                    "notes",
                    "What was done without authorisation",
                    required=True,
                    rows=4,
                    missing="Describe what was done without authorisation or outside the plan.",
                    field_message="Describe what was done.",
                ),
            ),
            note=None,
            api_summary="Close as Unauthorised: made without authorisation or egregiously "
            "outside its plan; a post-implementation review item opens.",
        ),
    )
)


def may_manage_changes(instance, user) -> bool:
    """The Change Manager's own actions (§8.7, §8.9): assess, schedule, cancel, mark
    unauthorised."""
    return bool(
        is_desk_member(instance, user)
        and (user.is_superuser or user.has_perm("changes.manage_change"))
    )


def may_decide(instance, user) -> bool:
    """Who may record an authorising decision at all; which authority a given change needs is
    `changes.authority.approval_kinds_for` (checked by the service)."""
    return bool(
        user.is_authenticated
        and user.is_staff
        and (
            user.is_superuser
            or user.has_perm("changes.manage_change")
            or user.has_perm("changes.approve_change")
            or user.has_perm("major_incidents.manage_majorincident")
        )
    )


class StandardChangeTemplate(FSMModelMixin, models.Model):
    """A pre-approved Standard change of the catalogue (§8.1.2): low risk, recurring, following
    a set process. Proposed by anyone who raises changes, accepted at CAB (§8.9.6 "Acceptance
    of new proposed Standard Changes") and kept by the Change Manager."""

    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        RETIRED = "retired", "Retired"

    name = models.CharField(max_length=160, unique=True)
    short_description = models.CharField(max_length=160)
    description = models.TextField()
    category = models.ForeignKey(
        "tickets.Category", on_delete=models.PROTECT, related_name="standard_change_templates"
    )
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    reason = models.TextField("Reason for change")
    probability = models.PositiveSmallIntegerField(choices=Rating.choices, default=Rating.LOW)
    impact = models.PositiveSmallIntegerField(choices=Rating.choices, default=Rating.LOW)
    implementation_plan = models.TextField()
    test_plan = models.TextField()
    backout_plan = models.TextField("Back-out plan")
    state = FSMField(default=State.PROPOSED, choices=State.choices, protected=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @transition(field=state, source=State.PROPOSED, target=State.ACCEPTED)
    def accept(self, *, by) -> None:
        """Accepted at CAB as a pre-approved Standard change (§8.9.6)."""
        self.accepted_by = by
        self.accepted_at = timezone.now()

    @transition(field=state, source=[State.PROPOSED, State.ACCEPTED], target=State.RETIRED)
    def retire(self) -> None:
        """Withdrawn from the catalogue (or a proposal not accepted): no new changes from it."""
        self.retired_at = timezone.now()


class Change(Ticket):
    """The change record of §8.3 and §9.2. Staff only: participants tell the Change Team of
    their own changes through `ExternalChangeNotification` (§8.12)."""

    NUMBER_PREFIX = "CHG"

    TICKET_TYPE = TicketType(
        participants_may_see=False,
        notifications={"created": "", "transitioned": "", "commented": ""},
        lifecycle=CHANGE_LIFECYCLE,
        api_slug="changes",
        api_scope_label="Changes, their approvals and change notifications",
        api="changes.api.CHANGE_API",
        # Authorising, rejecting and asking for more are one decision recorded with its
        # authority: `POST changes/{number}/approvals/` (§8.3 Approval fields).
        api_actions=(
            "submit",
            "assess",
            "schedule",
            "start_implementation",
            "complete",
            "close",
            "cancel",
            "mark_unauthorised",
        ),
    )

    ChangeType = ChangeType
    Rating = Rating

    class State(models.TextChoices):
        NEW = "new", "New"
        ASSESS = "assess", "Assess"
        AUTHORISE = "authorise", "Authorise"
        SCHEDULED = "scheduled", "Scheduled"
        IMPLEMENT = "implement", "Implement"
        REVIEW = "review", "Review"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class ClosureCode(models.TextChoices):
        """The change outcomes of §8.8 and §9.3."""

        SUCCESSFUL = "successful", "Successful"
        SUCCESSFUL_WITH_ISSUES = "successful_with_issues", "Successful with Issues"
        UNSUCCESSFUL = "unsuccessful", "Unsuccessful"
        BACKED_OUT = "backed_out", "Backed Out"
        CANCELLED = "cancelled", "Cancelled"
        UNAUTHORISED = "unauthorised", "Unauthorised"

    class ImplementedClosureCode(models.TextChoices):
        """The outcomes a change closes with after implementation (§8.8): Cancelled and
        Unauthorised have their own actions."""

        SUCCESSFUL = "successful", "Successful"
        SUCCESSFUL_WITH_ISSUES = "successful_with_issues", "Successful with Issues"
        UNSUCCESSFUL = "unsuccessful", "Unsuccessful"
        BACKED_OUT = "backed_out", "Backed Out"

    # §8.8: "Any Change that was closed with any Change outcome other than Successful or
    # Cancelled will follow the Post Implementation Review process."
    NO_REVIEW_CODES = (ClosureCode.SUCCESSFUL, ClosureCode.CANCELLED)

    OPEN_STATES = (
        State.NEW,
        State.ASSESS,
        State.AUTHORISE,
        State.SCHEDULED,
        State.IMPLEMENT,
        State.REVIEW,
    )
    # Cancelled means "closed without implementation being attempted" (§8.8).
    CANCELLABLE_STATES = (State.NEW, State.ASSESS, State.AUTHORISE, State.SCHEDULED)

    state = FSMField(default=State.NEW, choices=State.choices, protected=True, db_index=True)
    change_type = models.CharField("Type", max_length=10, choices=ChangeType.choices)
    reason = models.TextField("Reason for change", blank=True)
    # Risk and impact analysis (§8.3, §8.4): probability × impact → risk. `impact` overrides
    # the kernel's §3.8 field with the §8.6 levels (same 1–3 values, so `priority_for` applies).
    probability = models.PositiveSmallIntegerField(
        "Probability of disruption", choices=Rating.choices, null=True, blank=True
    )
    impact = models.PositiveSmallIntegerField(choices=Rating.choices, null=True, blank=True)
    risk = models.PositiveSmallIntegerField(choices=Rating.choices, null=True, blank=True)
    cab_required = models.BooleanField(
        "Needs CAB",
        default=False,
        help_text="Normal with a High or Medium risk or impact.",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes_requested",
    )
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    # The change window (§8.3): the time frame the change may take place in; when not given,
    # the planned start and end are the window.
    window_start = models.DateTimeField("Change window from", null=True, blank=True)
    window_end = models.DateTimeField("Change window to", null=True, blank=True)
    services = models.ManyToManyField(
        Service, blank=True, related_name="changes", verbose_name="Affected services"
    )
    implementation_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True)
    backout_plan = models.TextField("Back-out plan", blank=True)
    template = models.ForeignKey(
        StandardChangeTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="changes",
        help_text="The catalogue entry a Standard change was raised from.",
    )
    # Lead time (§8.7), set on submission.
    submitted_at = models.DateTimeField(null=True, blank=True)
    is_late = models.BooleanField("Late", default=False)
    late_justification = models.TextField(blank=True)
    cab_date = models.DateField(
        "CAB date", null=True, blank=True, help_text="The Tuesday CAB that reviews it."
    )
    # Authorisation (§8.7, §8.9, §9.4.3): who authorised it and under which authority.
    authorised_at = models.DateTimeField(null=True, blank=True)
    authorised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    authorised_via = models.CharField(max_length=20, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    closure_code = models.CharField(
        "Change closure code", max_length=30, choices=ClosureCode.choices, blank=True
    )
    closure_notes = models.TextField(blank=True)

    class Meta(Ticket.Meta):
        permissions = [
            ("view_all_change", "Can see every change"),
            ("manage_change", "Can assess, authorise and close changes as Change Manager"),
            ("approve_change", "Can record CAB decisions on changes"),
        ]
        indexes = [
            # Serves the change lists and schedules: open changes by state and planned start.
            models.Index(fields=["state", "planned_start"], name="change_state_start"),
            # Serves the CAB agenda: changes awaiting a given Tuesday's CAB.
            models.Index(fields=["cab_date", "state"], name="change_cab_date"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__isnull=True)
                | models.Q(planned_start__isnull=True)
                | models.Q(planned_end__gt=models.F("planned_start")),
                name="change_planned_end_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(window_end__isnull=True)
                | models.Q(window_start__isnull=True)
                | models.Q(window_end__gt=models.F("window_start")),
                name="change_window_end_after_start",
            ),
        ]

    # --- what the row says of itself ---

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def is_standard(self) -> bool:
        return self.change_type == ChangeType.STANDARD

    @property
    def window(self) -> tuple:
        """The change window (§8.3): its own bounds, else the planned start and end."""
        return (self.window_start or self.planned_start, self.window_end or self.planned_end)

    @property
    def outside_window(self) -> bool:
        """Implemented (partly) outside its window: started before it opened, or finished (or
        still running) after it closed (§8.8 Unauthorised)."""
        start, end = self.window
        if self.actual_start is None or start is None or end is None:
            return False
        finished = self.actual_end or timezone.now()
        return self.actual_start < start or finished > end

    @property
    def needs_review(self) -> bool:
        """Closed with an outcome that follows the post-implementation review (§8.8, §9.3)."""
        return bool(self.closure_code) and self.closure_code not in self.NO_REVIEW_CODES

    def rating_refresh(self) -> None:
        """Set risk (§8.4) and whether CAB is needed (§8.9.2) from the row's own ratings."""
        from .risk import risk_for

        if self.probability is not None and self.impact is not None:
            self.risk = risk_for(self.probability, self.impact)
        else:
            self.risk = None
        self.cab_required = needs_cab(self.change_type, self.risk, self.impact)

    def missing_for_submission(self) -> list[tuple[str, str]]:
        """The §8.3 / §9.2 mandatory fields still empty, as (field, message) pairs. Affected
        services are checked by the service (a relation, not the row)."""
        missing = []
        for name, message in (
            ("category", "choose the category"),
            ("reason", "give the reason for change"),
            ("probability", "rate the probability of disruption"),
            ("impact", "rate the impact"),
            ("urgency", "rate the urgency (it sets the priority)"),
            ("requested_by", "name who requested it"),
            ("planned_start", "give the planned start"),
            ("planned_end", "give the planned end"),
            ("implementation_plan", "write the implementation plan"),
            ("test_plan", "write the test plan"),
            ("backout_plan", "write the back-out plan"),
        ):
            value = getattr(self, f"{name}_id" if name in ("category", "requested_by") else name)
            if value is None or (isinstance(value, str) and not value.strip()):
                missing.append((name, message.capitalize() + "."))
        return missing

    # --- the lifecycle (§8.1.1); bodies only set the new state's fields ---

    @transition(field=state, source=State.NEW, target=State.ASSESS, permission=is_desk_member)
    def submit(
        self, *, justification: str = "", submitted_at=None, late: bool = False, cab_date=None
    ) -> None:
        """Submitted for assessment, with the §8.7 lead-time verdict the service worked out:
        a late change carries its justification."""
        self.submitted_at = submitted_at or timezone.now()
        self.rating_refresh()
        self.is_late = late
        self.late_justification = justification.strip() if late else ""
        self.cab_date = cab_date

    @transition(
        field=state,
        source=State.ASSESS,
        target=State.AUTHORISE,
        conditions=[_is_not_standard],
        permission=may_manage_changes,
    )
    def assess(self) -> None:
        """The Change Manager has assessed it: it waits for the authority it needs (§8.7)."""
        self.rating_refresh()

    @transition(
        field=state,
        source=State.ASSESS,
        target=State.SCHEDULED,
        conditions=[_is_standard],
        permission=may_manage_changes,
    )
    def schedule(self) -> None:
        """A Standard change is pre-approved (§8.1.2): it skips Authorise."""

    @transition(
        field=state,
        source=State.AUTHORISE,
        target=State.SCHEDULED,
        conditions=[_is_not_standard],
        permission=may_decide,
    )
    def authorise(self, *, by=None, via: str = "") -> None:
        """Authorised by the Change Manager, CAB, ECAB or, out of hours, the Major Incident
        Manager alone (§8.7, §8.9, §9.4.3); `via` records which."""
        self.authorised_at = timezone.now()
        self.authorised_by = by
        self.authorised_via = via

    @transition(field=state, source=State.AUTHORISE, target=State.CANCELLED, permission=may_decide)
    def reject(self, *, notes: str = "") -> None:
        """Rejected: the change will not happen (§8.8 Cancelled, counted as rejected, §8.11)."""
        self.closure_code = self.ClosureCode.CANCELLED
        self.closure_notes = notes
        self.closed_at = timezone.now()
        self.active = False

    @transition(field=state, source=State.AUTHORISE, target=State.ASSESS, permission=may_decide)
    def return_for_information(self) -> None:
        """The approver needs more information before deciding: back to Assess."""

    @transition(
        field=state, source=State.SCHEDULED, target=State.IMPLEMENT, permission=is_desk_member
    )
    def start_implementation(self, *, at=None) -> None:
        """Implementation has started; its real start is kept against the window (§8.8)."""
        self.actual_start = at or timezone.now()

    @transition(field=state, source=State.IMPLEMENT, target=State.REVIEW, permission=is_desk_member)
    def complete(self, *, at=None) -> None:
        """Implementation has finished; the change is reviewed before it closes."""
        self.actual_end = at or timezone.now()

    @transition(field=state, source=State.REVIEW, target=State.CLOSED, permission=is_desk_member)
    def close(self, *, code: str, notes: str) -> None:
        """Closed by the implementer with a §8.8 / §9.3 outcome and closure notes."""
        self.closure_code = code
        self.closure_notes = notes
        self.closed_at = timezone.now()
        self.active = False

    @transition(
        field=state, source=CANCELLABLE_STATES, target=State.CANCELLED, permission=is_desk_member
    )
    def cancel(self, *, notes: str) -> None:
        """The change did not happen: closed without implementation attempted (§8.8)."""
        self.closure_code = self.ClosureCode.CANCELLED
        self.closure_notes = notes
        self.closed_at = timezone.now()
        self.active = False

    @transition(field=state, source=OPEN_STATES, target=State.CLOSED, permission=may_manage_changes)
    def mark_unauthorised(self, *, notes: str) -> None:
        """Made without authorisation, or egregiously outside its plan or window (§8.8)."""
        self.closure_code = self.ClosureCode.UNAUTHORISED
        self.closure_notes = notes
        self.closed_at = timezone.now()
        self.active = False


class ChangeApproval(models.Model):
    """One decision on a change by an approver (§8.3 Approval fields): who, under which
    authority, what they decided and why."""

    class Kind(models.TextChoices):
        CHANGE_MANAGER = "change_manager", "Change Manager (Low risk, Low impact)"
        CAB = "cab", "CAB"
        ECAB = "ecab", "Emergency CAB"
        MIM_OUT_OF_HOURS = "mim_out_of_hours", "Major Incident Manager out of hours"

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        REJECT = "reject", "Reject"
        MORE_INFO = "more_info", "More information needed"

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_approvals"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["change", "at", "pk"]
        indexes = [
            # Serves a change's approval history: WHERE change_id = ? ORDER BY at.
            models.Index(fields=["change", "at"], name="changeapproval_change_at"),
        ]

    def __str__(self) -> str:
        return f"{self.change_id}: {self.get_decision_display()} ({self.get_kind_display()})"


class ChangeReviewItem(models.Model):
    """A post-implementation review item (§8.8, §8.9.9): a change closed with an outcome other
    than Successful or Cancelled, open until the CAB has reviewed it (§8.9.6 agenda)."""

    change = models.OneToOneField(Change, on_delete=models.CASCADE, related_name="review_item")
    closure_code = models.CharField(max_length=30, choices=Change.ClosureCode.choices)
    opened_at = models.DateTimeField(default=timezone.now)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lessons = models.TextField("Outcome and lessons learned", blank=True)

    class Meta:
        ordering = ["opened_at", "pk"]
        indexes = [
            # Serves the CAB agenda's open review items: WHERE reviewed_at IS NULL.
            models.Index(
                fields=["opened_at"],
                name="changereview_open",
                condition=models.Q(reviewed_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(closure_code__in=["successful", "cancelled"]),
                name="changereview_not_successful_or_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"PIR of change {self.change_id} ({self.get_closure_code_display()})"

    @property
    def is_open(self) -> bool:
        return self.reviewed_at is None


class ExternalChangeNotification(models.Model):
    """A change an external party tells the Change Team about (§8.12), submitted through the
    API by an integration or participant account and seen by the Change Manager."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"

    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="change_notifications",
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    external_reference = models.CharField(
        max_length=60, blank=True, help_text="The party's own reference for the change."
    )
    title = models.CharField(max_length=160)
    description = models.TextField()
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    services = models.ManyToManyField(Service, blank=True, related_name="+")
    impact = models.TextField("Expected impact", blank=True)
    contact = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=15, choices=State.choices, default=State.RECEIVED)
    received_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    change = models.ForeignKey(
        Change,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="external_notifications",
        help_text="A change of ours raised or linked because of it.",
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            # Serves the Change Manager's list: newest first, by state.
            models.Index(fields=["state", "received_at"], name="extchange_state_received"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__gt=models.F("planned_start")),
                name="extchange_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.organisation or 'external party'})"


from .models_cab import *  # noqa: E402,F401,F403
from .models_schedule import *  # noqa: E402,F401,F403
