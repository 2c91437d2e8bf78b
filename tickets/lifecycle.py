"""Lifecycles: the actions a ticket type offers, and how each is named, asked for and checked.

The model holds the state machine itself (django-fsm transitions: which state may go where,
who may run it). The lifecycle is what the rest of the portal needs to offer those transitions
to people: the words in messages, the console button, the API action slug, the arguments the
person must give and the preconditions the type adds (a problem needs a root cause before it
resolves). One declaration per type; the kernel, the console and the API read it.

`DEFAULT_LIFECYCLE` is the shared lifecycle of §5.12, §5.13 and §10.3 (New → In Progress ⇄
On Hold → Resolved → Closed; any open state → Cancelled) that `Ticket` implements.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from core.errors import ValidationFailed

from .limits import COMMENT_MAX_CHARS, RESOLUTION_CODE_MAX_CHARS


@dataclass(frozen=True)
class Argument:
    """One thing an action needs from the person running it.

    `choices` names the model's TextChoices attribute ("HoldReason") whose values are the only
    ones accepted; `missing` and `field_message` are the refusal when a required argument is
    empty or a choice is not one of those values.
    """

    name: str
    label: str
    required: bool = False
    choices: str = ""
    rows: int = 0
    max_length: int | None = COMMENT_MAX_CHARS
    missing: str = ""
    field_message: str = "This field is required."
    help_text: str = ""

    def choices_for(self, model) -> list[tuple[str, str]]:
        return list(getattr(model, self.choices).choices) if self.choices else []

    def check(self, model, value) -> None:
        if self.choices:
            allowed = getattr(model, self.choices).values
            if value in allowed or (not self.required and not value):
                return
        elif not self.required or (value or "").strip():
            return
        raise ValidationFailed(
            self.missing or f"{self.label} is required.",
            field_errors={self.name: [self.field_message]},
        )


# A precondition gets the locked ticket and the action's arguments and raises a DomainError
# (ValidationFailed, TransitionNotAllowed) to refuse.
Precondition = Callable[[object, Mapping], None]


@dataclass(frozen=True)
class Action:
    """One transition as people meet it.

    `name` is the model's transition method; `label` completes "You can't … CS0000001";
    `button` is the console's button; `slug` the API's `POST …/{number}/<slug>/`. `note` is the
    comment that may (or must) come with it and is added to the journal as a customer-visible
    comment; None when the action takes none. `api_input` is the dotted path of a serializer
    when the API's request body is not simply the arguments (kept for the shared lifecycle's
    published schema); otherwise one is built from the arguments.
    """

    name: str
    label: str
    button: str
    slug: str
    arguments: tuple[Argument, ...] = ()
    note: Argument | None = field(
        default_factory=lambda: Argument("note", "Comment (optional)", rows=3)
    )
    preconditions: tuple[Precondition, ...] = ()
    api_input: str = ""
    api_summary: str = ""

    def check_arguments(self, model, *, note: str, arguments: Mapping) -> None:
        """What the action needs before it can run, in the declared order (the first missing
        one is the refusal)."""
        for argument in self.arguments:
            argument.check(model, arguments.get(argument.name))
        if self.note is not None and self.note.required:
            self.note.check(model, note)

    def check_preconditions(self, ticket, arguments: Mapping) -> None:
        for precondition in self.preconditions:
            precondition(ticket, arguments)


@dataclass(frozen=True)
class Lifecycle:
    """The actions of one ticket type, in the order buttons and API routes are offered."""

    actions: tuple[Action, ...]

    def __post_init__(self) -> None:
        names = [action.name for action in self.actions]
        slugs = [action.slug for action in self.actions]
        if len(set(names)) != len(names) or len(set(slugs)) != len(slugs):
            raise ValueError("A lifecycle names each action and each API slug once.")

    def action(self, name: str) -> Action | None:
        return next((action for action in self.actions if action.name == name), None)

    def names(self) -> tuple[str, ...]:
        return tuple(action.name for action in self.actions)

    def with_actions(self, *actions: Action) -> "Lifecycle":
        """This lifecycle with some actions replaced (same name) or added at the end."""
        replaced = {action.name: action for action in actions}
        kept = tuple(replaced.pop(a.name, a) for a in self.actions)
        return Lifecycle(actions=kept + tuple(replaced.values()))

    def with_precondition(self, name: str, precondition: Precondition) -> "Lifecycle":
        """This lifecycle with one more precondition on an action ("resolve needs a root cause")."""
        action = self.action(name)
        if action is None:
            raise ValueError(f"The lifecycle has no action {name!r}.")
        return self.with_actions(
            replace(action, preconditions=(*action.preconditions, precondition))
        )


DEFAULT_LIFECYCLE = Lifecycle(
    actions=(
        Action(
            "start",
            label="start work on",
            button="Start work",
            slug="start",
            api_input="tickets.api_common.TransitionInputSerializer",
            api_summary="Start work: New → In Progress (§4.1).",
        ),
        Action(
            "hold",
            label="put on hold",
            button="Put on hold",
            slug="hold",
            arguments=(
                Argument(
                    "reason",
                    "Hold reason",
                    required=True,
                    choices="HoldReason",
                    missing="Choose why it is on hold.",
                    field_message="Choose a hold reason.",
                    help_text="SLA clocks pause while the ticket is On Hold.",
                ),
            ),
            api_input="tickets.api_common.HoldInputSerializer",
            api_summary="Put on hold with a §5.12 reason; SLA clocks pause.",
        ),
        Action(
            "resume",
            label="resume",
            button="Resume",
            slug="resume",
            api_input="tickets.api_common.TransitionInputSerializer",
            api_summary="Resume work: On Hold → In Progress.",
        ),
        Action(
            "resolve",
            label="resolve",
            button="Resolve",
            slug="resolve",
            arguments=(
                Argument(
                    "notes",
                    "Resolution notes",
                    required=True,
                    rows=5,
                    missing="Write resolution notes before resolving.",
                    field_message="Resolution notes are required.",
                ),
                # One of the ticket's resolution codes, or none recorded.
                Argument(
                    "code",
                    "Resolution code",
                    choices="ResolutionCode",
                    max_length=RESOLUTION_CODE_MAX_CHARS,
                    missing="Choose a resolution code from the list.",
                    field_message="Choose a resolution code from the list.",
                    help_text="How it was resolved.",
                ),
            ),
            note=None,
            api_input="tickets.api_common.ResolveInputSerializer",
            api_summary="Resolve with notes; the caller is asked to confirm (§10.3).",
        ),
        Action(
            "reject_resolution",
            label="reject the resolution of",
            button="Reopen (reject resolution)",
            slug="reject-resolution",
            note=Argument(
                "note",
                "Why the resolution did not work",
                required=True,
                rows=4,
                missing="Tell us what is still wrong.",
                field_message="Say why the resolution did not work.",
            ),
            api_input="tickets.api_common.RejectResolutionInputSerializer",
            api_summary="The resolution did not work: the ticket reopens (§10.3).",
        ),
        Action(
            "close",
            label="close",
            button="Close",
            slug="confirm-resolution",
            api_input="tickets.api_common.TransitionInputSerializer",
            api_summary="Confirm the resolution: the ticket closes (§10.3).",
        ),
        Action(
            "cancel",
            label="cancel",
            button="Cancel",
            slug="cancel",
            arguments=(
                Argument(
                    "reason",
                    "Cancel reason",
                    required=True,
                    choices="CancelReason",
                    missing="Choose why it is cancelled.",
                    field_message="Choose a cancel reason.",
                ),
            ),
            api_input="tickets.api_common.CancelInputSerializer",
            api_summary="Cancel an open ticket: duplicate, raised in error or withdrawn (§5.13).",
        ),
    )
)
