"""The ticket-type registry: each type declares itself once, on its model, and the kernel,
SLA, communications, the console and the API read the declaration (docs/architecture.md §2).

A ticket type is a concrete subclass of `tickets.models.Ticket` with a `TICKET_TYPE`
class attribute::

    class Case(Ticket):
        NUMBER_PREFIX = "CS"
        TICKET_TYPE = TicketType(participants_may_see=True, api_slug="cases", ...)

Everything that names code in another module is a dotted path, resolved when first used, so a
declaration never imports upwards and never creates an import cycle. Nothing below the ticket
apps imports a concrete type: they ask this registry (`ticket_types`, `ticket_type_for`,
`ticket_type_for_number`).
"""

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

from django.apps import apps
from django.utils.module_loading import import_string

from .lifecycle import DEFAULT_LIFECYCLE, Lifecycle

# Notification events the kernel announces (`tickets.signals`); a type maps each to the
# dotted path of a function in `notifications`, or to "" to send nothing for it.
NOTIFICATION_EVENTS = ("created", "transitioned", "commented")


@dataclass(frozen=True)
class LinkRule:
    """What happens to linked tickets when one changes, run by the kernel after a transition.

    When a ticket of type `source` enters one of `on_states`, every ticket of type `target`
    linked to it by a link of `kind` (and in one of `target_states`, if given) is handed to
    `run`, the dotted path of `run(target, *, source, result, arguments)`. `source_is` says
    which end of the link the source is: "to" (a case → incident link, seen from the incident)
    or "from". The rule runs inside the transition's transaction, so a refusal rolls the
    whole transition back.

    With `on_comment`, the rule runs instead when the source gets a customer-visible comment
    through the kernel (`ticket_comment_add`): `result` is then None and `arguments` holds the
    comment's journal `entry` and its `actor`.
    """

    kind: str
    source: str
    target: str
    on_states: tuple[str, ...]
    run: str
    source_is: str = "to"
    target_states: tuple[str, ...] = ()
    on_comment: bool = False

    def __post_init__(self) -> None:
        if self.source_is not in ("to", "from"):
            raise ValueError("source_is is 'to' or 'from'.")
        if bool(self.on_states) == self.on_comment:
            raise ValueError("A link rule runs on states or on comments, not both or neither.")

    @functools.cached_property
    def handler(self) -> Callable:
        return import_string(self.run)


@dataclass(frozen=True)
class TicketType:
    """The declaration of one ticket type. `model` is filled in by the registry.

    - `participants_may_see`: participants of the organisation see it (§10.4) and may reply to
      its emails; otherwise it is staff-only (incidents, Appendix G).
    - `lifecycle`: the actions it offers (`tickets.lifecycle`); the shared one by default.
    - `sla_fields`: the type's own fields SLA definitions may match on (Case: channel, triage
      outcome, request type), read from its history like the kernel's state and priority;
      `sla_choices` gives the values a definition may pick for each.
    - `sla_deadline_fields`: {clock target type: a DateTimeField of the type} that the SLA
      engine keeps equal to the deadline of the ticket's running clock of that target (None
      once none runs), so a queue sorts by an indexed column of its own rows rather than a
      subquery per row (the case's `triage_due_at` orders the §4.1 triage queue; issue 9).
    - `notifications`: event → dotted path of the function that tells people; None leaves
      every event to the communications defaults.
    - `api_slug`: its URL segment under /api/v1/ and the area an access token needs
      (`api_scope_label` says what that area covers, on the token form);
      `api` is the dotted path of its `tickets.api_common.TicketTypeApi` (None: the kernel's
      generic one); `api_actions`: the lifecycle actions the API offers (None: all).
    - `portal_url`: the URL name (taking `number`) where a participant reads it.
    - `link_rules`: cascades to linked tickets (`LinkRule`).
    - `comment`: dotted path of the service adding a participant's comment, `comment(ticket=,
      actor=, body=)` (a reply by email); None: the kernel's `ticket_comment_add`.
    - `reopen_request`: dotted path of `reopen_request(ticket=, actor=, body=)` recording a
      participant's words on a Closed ticket as a request to reopen it (§10.3), returning the
      journal entry of their words; None: `follow_up` (or a refusal) answers them instead.
    - `follow_up`: dotted path of `follow_up(ticket=, actor=, body=)` opening a new ticket for
      a participant who writes after it is closed (or, with `reopen_request`, cancelled);
      None: such replies are refused.
    """

    participants_may_see: bool
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE
    sla_fields: tuple[str, ...] = ()
    sla_choices: Mapping[str, tuple[tuple[str, str], ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    sla_deadline_fields: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    notifications: Mapping[str, str] | None = None
    api_slug: str = ""
    api_scope_label: str = ""
    api: str | None = None
    api_actions: tuple[str, ...] | None = None
    portal_url: str = ""
    link_rules: tuple[LinkRule, ...] = ()
    comment: str | None = None
    reopen_request: str | None = None
    follow_up: str | None = None
    model: type | None = None

    # --- what the rest of the portal reads ---

    @property
    def prefix(self) -> str:
        return self.model.NUMBER_PREFIX

    @property
    def label(self) -> str:
        """ "cases.case": the model's label, how link rules and definitions name the type."""
        return self.model._meta.label_lower

    @property
    def kind(self) -> str:
        """The SLA definitions' `ticket_kind`: the model's name ("case", "incident")."""
        return self.model._meta.model_name

    @property
    def verbose_name(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def takes_email_replies(self) -> bool:
        """Reply-by-email works for every type whose participants may see it (§10.2)."""
        return self.participants_may_see

    def api_action_names(self) -> tuple[str, ...]:
        names = self.lifecycle.names()
        if self.api_actions is None:
            return names
        return tuple(name for name in names if name in self.api_actions)

    def notification(self, event: str) -> Callable | None:
        """The type's own handler for an event, None when it sends nothing for it.

        Only meaningful when `notifications` is declared; see `uses_default_notifications`.
        """
        path = (self.notifications or {}).get(event, "")
        return import_string(path) if path else None

    @property
    def uses_default_notifications(self) -> bool:
        return self.notifications is None

    def resolve(self, attribute: str) -> Callable | None:
        path = getattr(self, attribute)
        return import_string(path) if path else None


class UnknownTicketType(LookupError):
    """A model or number that no registered ticket type owns."""


def _declared_models() -> list[type]:
    from .models import Ticket

    return [
        model
        for model in apps.get_models()
        if issubclass(model, Ticket) and isinstance(model.__dict__.get("TICKET_TYPE"), TicketType)
    ]


@functools.cache
def _registry() -> tuple[TicketType, ...]:
    apps.check_models_ready()
    types = tuple(replace(model.TICKET_TYPE, model=model) for model in _declared_models())
    prefixes = [t.prefix for t in types]
    if len(set(prefixes)) != len(prefixes):
        raise ValueError(f"Two ticket types share a number prefix: {sorted(prefixes)}.")
    slugs = [t.api_slug for t in types if t.api_slug]
    if len(set(slugs)) != len(slugs):
        raise ValueError(f"Two ticket types share an API slug: {sorted(slugs)}.")
    return types


def ticket_types() -> tuple[TicketType, ...]:
    """Every registered ticket type, in INSTALLED_APPS order."""
    return _registry()


def ticket_type_for(model_or_ticket) -> TicketType:
    model = model_or_ticket if isinstance(model_or_ticket, type) else type(model_or_ticket)
    model = model._meta.concrete_model if hasattr(model, "_meta") else model
    for ticket_type in _registry():
        if ticket_type.model is model:
            return ticket_type
    raise UnknownTicketType(f"{model.__name__} is not a registered ticket type.")


def ticket_type_by_label(label: str) -> TicketType:
    for ticket_type in _registry():
        if ticket_type.label == label or ticket_type.kind == label:
            return ticket_type
    raise UnknownTicketType(f"No ticket type is called {label!r}.")


def ticket_type_for_number(number: str) -> TicketType | None:
    """The type whose prefix starts `number` ("CS0001234" → cases), None for no type."""
    match = re.fullmatch(r"([A-Za-z]+)\d+", number or "")
    if match is None:
        return None
    prefix = match.group(1).upper()
    return next((t for t in _registry() if t.prefix == prefix), None)


def number_pattern() -> re.Pattern:
    """A ticket number of any registered type, as a word in free text ("… about CS0001234")."""
    prefixes = "|".join(sorted((re.escape(t.prefix) for t in _registry()), key=len, reverse=True))
    return re.compile(rf"\b({prefixes})(\d{{7,}})\b", re.IGNORECASE)


def links_rules_for(ticket_type: TicketType) -> list[LinkRule]:
    """Every declared rule whose source is this type, whichever type declared it."""
    return [
        rule
        for declaring in _registry()
        for rule in declaring.link_rules
        if rule.source == ticket_type.label
    ]
