"""Problem: the record of an underlying cause behind one or more incidents (§6).

Raised by the desk, from an incident (§5.5 steps 16–18) or from a post-incident review
(§5.23); worked by a resolver group towards a root cause, a workaround and a permanent fix,
and closed as Resolved or as a Known Error (§6.5).
"""

from dataclasses import replace

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_fsm import transition

from core.errors import ValidationFailed
from tickets.lifecycle import DEFAULT_LIFECYCLE, Argument
from tickets.limits import RESOLUTION_CODE_MAX_CHARS
from tickets.models import Service, Ticket, is_desk_member
from tickets.registry import TicketType


def root_cause_recorded(problem, arguments) -> None:
    """§6.5: the root cause is mandatory when the problem is resolved or closed — given with
    the action or already on the record."""
    if (arguments.get("root_cause") or "").strip() or problem.root_cause.strip():
        return
    raise ValidationFailed(
        f"Record the root cause of {problem.number} before you resolve or close it (§6.5).",
        field_errors={"root_cause": ["The root cause is required to resolve or close a problem."]},
    )


def known_error_has_workaround(problem, arguments) -> None:
    """§6.5: a problem closed as a Known Error has no permanent fix yet, so the workaround
    people are to use must be on record."""
    if arguments.get("code") != Problem.ResolutionCode.KNOWN_ERROR:
        return
    if (arguments.get("workaround") or "").strip() or problem.workaround.strip():
        return
    raise ValidationFailed(
        f"A Known Error needs a workaround: record how to work around {problem.number} first.",
        field_errors={"workaround": ["Describe the workaround for a Known Error."]},
    )


def responsible_and_ci_recorded(problem, arguments) -> None:
    """§6.5 lists Assigned To (the person responsible) and the Configuration Item among a
    problem's mandatory fields. A problem may be raised before either is known — the desk
    raises it for a resolver group — but it is resolved only with both on record."""
    errors: dict[str, list[str]] = {}
    if problem.assigned_to_id is None:
        errors["assigned_to"] = ["Assign the problem to the person responsible."]
    if problem.service_id is None:
        errors["service"] = ["Record the affected service (configuration item)."]
    if not errors:
        return
    missing = " and ".join(
        what
        for name, what in (
            ("assigned_to", "the person responsible"),
            ("service", "the configuration item"),
        )
        if name in errors
    )
    raise ValidationFailed(
        f"Record {missing} of {problem.number} in its investigation before you resolve it.",
        field_errors=errors,
    )


def post_resolution_review_complete(problem, arguments) -> None:
    """§6.4 step 10: a problem is closed only after its post-resolution review — every item of
    the checklist (`ProblemReviewCheck.Item`) ticked by the problem manager."""
    done = set(problem.review_checks.values_list("item", flat=True))
    missing = [label for value, label in ProblemReviewCheck.Item.choices if value not in done]
    if not missing:
        return
    raise ValidationFailed(
        f"Finish the post-resolution review of {problem.number} before closing it; still to "
        f"tick: {'; '.join(missing)}.",
        field_errors={"review": [f"Still to tick: {'; '.join(missing)}."]},
    )


_resolve = DEFAULT_LIFECYCLE.action("resolve")
_close = DEFAULT_LIFECYCLE.action("close")
_reopen = DEFAULT_LIFECYCLE.action("reject_resolution")

# The shared lifecycle (§5.12, §5.13), with §6.5's rules: resolving takes the resolution and a
# closure code, and the root cause (and, for a Known Error, the workaround) if not yet
# recorded; closing is the problem manager's, after the post-resolution review (§6.4 step 10).
PROBLEM_LIFECYCLE = DEFAULT_LIFECYCLE.with_actions(
    replace(
        _resolve,
        arguments=(
            Argument(
                "notes",
                "Resolution",
                required=True,
                rows=5,
                missing="Describe how the problem was resolved or permanently fixed.",
                field_message="The resolution is required.",
            ),
            Argument(
                "code",
                "Closure code",
                required=True,
                choices="ResolutionCode",
                max_length=RESOLUTION_CODE_MAX_CHARS,
                missing="Choose the closure code: Resolved or Known Error (§6.5).",
                field_message="Choose Resolved or Known Error.",
            ),
            Argument(
                "root_cause",
                "Root cause",
                rows=4,
                help_text="Required unless already recorded on the problem (§6.5).",
            ),
            Argument(
                "workaround",
                "Workaround",
                rows=3,
                help_text="Required for a Known Error unless already recorded.",
            ),
            Argument(
                "linked_incidents",
                "Linked incidents",
                choices="LinkedIncidents",
                max_length=20,
                field_message="Choose whether to resolve the open linked incidents.",
                help_text="Resolve its open linked incidents with this resolution in the same "
                "step; the desk then updates their callers through the cases.",
            ),
        ),
        preconditions=(
            root_cause_recorded,
            known_error_has_workaround,
            responsible_and_ci_recorded,
        ),
        api_input="problems.api.ProblemResolveInputSerializer",
        api_summary="Resolve with the resolution, a §6.5 closure code (Resolved or Known "
        "Error) and the root cause; a Known Error needs a workaround.",
    ),
    replace(
        _close,
        slug="close",
        preconditions=(root_cause_recorded, post_resolution_review_complete),
        api_summary="Close a resolved problem after its post-resolution review (§6.4 step 10).",
    ),
    replace(
        _reopen,
        label="reopen",
        button="Reopen",
        slug="reopen",
        api_summary="Reopen a resolved problem: the fix did not hold.",
        note=replace(_reopen.note, label="Why it is reopened", missing="Say why it is reopened."),
    ),
)


class Problem(Ticket):
    """The §6.5 problem record: staff only, never seen by participants (§6.1)."""

    NUMBER_PREFIX = "PRB"

    # Staff only; its resolver group hears of a new problem (§5.17, as for an incident);
    # nobody is emailed on its transitions or work notes.
    TICKET_TYPE = TicketType(
        participants_may_see=False,
        notifications={"created": "comms.notifications.problem_assigned"},
        lifecycle=PROBLEM_LIFECYCLE,
        api_slug="problems",
        api_scope_label="Problems, their linked incidents and SLA clocks",
        api="problems.api.PROBLEM_API",
    )

    class ResolutionCode(models.TextChoices):
        """The closure codes of §6.5."""

        RESOLVED = "resolved", "Resolved"
        KNOWN_ERROR = "known_error", "Known Error"

    class LinkedIncidents(models.TextChoices):
        """What resolving the problem does to its open linked incidents (§6.2, §6.4 step 9)."""

        LEAVE = "leave", "Leave them open"
        RESOLVE = "resolve", "Resolve them with this resolution"

    resolution_code = models.CharField(
        "Closure code", max_length=40, choices=ResolutionCode.choices, blank=True
    )
    resolution_notes = models.TextField("Resolution", blank=True)
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="problems",
        verbose_name="Configuration item",
        help_text="The affected service (§6.5 Configuration Item).",
    )
    root_cause = models.TextField(
        blank=True, help_text="The underlying cause; mandatory to resolve or close (§6.5)."
    )
    workaround = models.TextField(
        blank=True, help_text="A temporary way round the problem while it is worked (§6.5)."
    )
    # §6.4: the knowledge article publishing this known error's symptoms and workaround.
    known_error_article = models.ForeignKey(
        "knowledge.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="known_error_problems",
    )

    class Meta(Ticket.Meta):
        permissions = [
            ("view_all_problem", "Can see every problem"),
            ("work_group_problem", "Can see and work problems assigned to own resolver groups"),
        ]
        indexes = [
            # Serves resolver queues: open problems of a group by priority.
            models.Index(
                fields=["assignment_group", "state", "priority"], name="problem_group_state"
            ),
        ]

    @transition(
        field="state",
        source=[Ticket.State.NEW, Ticket.State.IN_PROGRESS],
        target=Ticket.State.RESOLVED,
        permission=is_desk_member,
    )
    def resolve(
        self,
        *,
        notes: str,
        code: str = "",
        root_cause: str = "",
        workaround: str = "",
        linked_incidents: str = "",
    ):
        """Resolved with the resolution and closure code of §6.5, recording the root cause and
        workaround given with it. `linked_incidents` is carried out by
        `problems.services.problem_transition` after the transition."""
        if root_cause.strip():
            self.root_cause = root_cause.strip()
        if workaround.strip():
            self.workaround = workaround.strip()
        self.resolution_notes = notes
        self.resolution_code = code
        self.resolved_at = timezone.now()

    @property
    def is_known_error(self) -> bool:
        return self.resolution_code == self.ResolutionCode.KNOWN_ERROR


class ProblemReviewCheck(models.Model):
    """One ticked item of a problem's post-resolution review (§6.4 step 10): the root cause is
    addressed, documentation updated and recurrence prevented. Closing needs every item."""

    class Item(models.TextChoices):
        ROOT_CAUSE_CONFIRMED = "root_cause_confirmed", "Root cause confirmed as addressed"
        FIX_VERIFIED = "fix_verified", "Fix verified in production"
        KNOWN_ERROR_UPDATED = (
            "known_error_updated",
            "Known error article updated, retired or not needed",
        )
        INCIDENTS_CLOSED = "incidents_closed", "Linked incidents resolved or closed"
        LESSONS_RECORDED = "lessons_recorded", "Lessons and preventive measures recorded"

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="review_checks")
    item = models.CharField(max_length=30, choices=Item.choices)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["problem", "item"], name="problem_review_item_once")
        ]
        ordering = ["problem", "item"]

    def __str__(self) -> str:
        return f"{self.problem_id}: {self.get_item_display()}"
