"""Problem: the record of an underlying cause behind one or more incidents (§6).

Raised by the desk, from an incident (§5.5 steps 16–18) or from a post-incident review
(§5.23); worked by a resolver group towards a root cause, a workaround and a permanent fix,
and closed as Resolved or as a Known Error (§6.5).
"""

from dataclasses import replace

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
        ),
        preconditions=(root_cause_recorded, known_error_has_workaround),
        api_input="problems.api.ProblemResolveInputSerializer",
        api_summary="Resolve with the resolution, a §6.5 closure code (Resolved or Known "
        "Error) and the root cause; a Known Error needs a workaround.",
    ),
    replace(
        _close,
        slug="close",
        preconditions=(root_cause_recorded,),
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
    def resolve(self, *, notes: str, code: str = "", root_cause: str = "", workaround: str = ""):
        """Resolved with the resolution and closure code of §6.5, recording the root cause and
        workaround given with it."""
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
