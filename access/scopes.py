"""The scopes an access token can carry: read and/or write, and the areas it may use.

An area is an API's tag: one per ticket type with an API (its `api_slug` in the ticket-type
registry: "cases", "incidents", and any type added later) plus the mail gateway's
"inbound-email". Participants may hold only the areas of types they may see (§10.4).
"""

from tickets.registry import ticket_types

from .models import AccessToken

Scope = AccessToken.Scope


def _type_areas() -> list[tuple[str, str]]:
    return [
        (t.api_slug, t.api_scope_label or f"{t.model._meta.verbose_name_plural.capitalize()}")
        for t in ticket_types()
        if t.api_slug
    ]


def scope_choices() -> list[tuple[str, str]]:
    """Every scope with its label, in the order forms offer them."""
    return [
        (Scope.READ.value, Scope.READ.label),
        (Scope.WRITE.value, Scope.WRITE.label),
        *_type_areas(),
        (Scope.INBOUND_EMAIL.value, Scope.INBOUND_EMAIL.label),
    ]


def scope_values() -> list[str]:
    return [value for value, _label in scope_choices()]


def area_scopes() -> list[str]:
    return [value for value in scope_values() if value not in AccessToken.ACCESS_SCOPES]


def participant_scopes() -> list[str]:
    """Read, write and the areas of ticket types participants may see (cases)."""
    areas = [t.api_slug for t in ticket_types() if t.api_slug and t.participants_may_see]
    return [Scope.READ.value, Scope.WRITE.value, *areas]


def default_scopes() -> list[str]:
    """What the token form ticks first: read, on the first type participants see."""
    return participant_scopes()[:1] + participant_scopes()[2:3]
