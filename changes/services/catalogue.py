"""The standard-change catalogue (§8.1.2, §8.9.6): templates are proposed by those who raise
changes, accepted at CAB ("Acceptance of new proposed Standard Changes") and kept — retired
when no longer pre-approved — by the Change Manager."""

from collections.abc import Iterable

from django.db import transaction
from django_fsm import can_proceed

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.limits import DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS

from ..models import StandardChangeTemplate
from ..risk import Rating
from .records import require_raiser


def _require_manager(actor, action: str) -> None:
    if not (
        actor
        and actor.is_active
        and actor.is_staff
        and (actor.is_superuser or actor.has_perm("changes.manage_change"))
    ):
        raise ActionNotPermitted(f"Only the Change Manager can {action} standard changes.")


def standard_change_template_propose(
    *,
    actor,
    name: str,
    short_description: str,
    description: str,
    category,
    reason: str,
    implementation_plan: str,
    test_plan: str,
    backout_plan: str,
    probability: int = Rating.LOW,
    impact: int = Rating.LOW,
    services: Iterable = (),
) -> StandardChangeTemplate:
    """Propose a pre-approved Standard change for the catalogue; it is usable once accepted
    at CAB (§8.9.6). Standard changes are low risk (§8.1.2), so a template rated above Low
    risk is refused."""
    require_raiser(actor)
    fields = {
        "name": (name or "").strip(),
        "short_description": (short_description or "").strip(),
        "description": (description or "").strip(),
        "reason": (reason or "").strip(),
        "implementation_plan": (implementation_plan or "").strip(),
        "test_plan": (test_plan or "").strip(),
        "backout_plan": (backout_plan or "").strip(),
    }
    errors: dict[str, list[str]] = {
        key: ["This field is required."] for key, value in fields.items() if not value
    }
    for key in ("name", "short_description"):
        if len(fields[key]) > SUBJECT_MAX_CHARS:
            errors[key] = [f"Keep it to {SUBJECT_MAX_CHARS} characters."]
    for key in ("description", "reason", "implementation_plan", "test_plan", "backout_plan"):
        if len(fields[key]) > DESCRIPTION_MAX_CHARS:
            errors[key] = [f"Keep it to {DESCRIPTION_MAX_CHARS:,} characters."]
    if category is None:
        errors["category"] = ["Choose the category."]
    if probability not in Rating.values or impact not in Rating.values:
        errors["probability"] = ["Choose 1 (High), 2 (Medium) or 3 (Low)."]
    else:
        from ..risk import risk_for

        if risk_for(probability, impact) != Rating.LOW:
            errors["probability"] = [
                "A standard change is low risk; raise this as a Normal change."
            ]
    if fields["name"] and StandardChangeTemplate.objects.filter(name=fields["name"]).exists():
        errors["name"] = ["A standard change of this name is already in the catalogue."]
    if errors:
        raise ValidationFailed(
            "The standard change could not be proposed; check the highlighted fields.",
            field_errors=errors,
        )
    with transaction.atomic():
        template = StandardChangeTemplate.objects.create(
            category=category,
            probability=probability,
            impact=impact,
            proposed_by=actor,
            **fields,
        )
        template.services.set(list(services))
    return template


def _transition(template: StandardChangeTemplate, name: str, label: str, **arguments):
    with transaction.atomic():
        locked = StandardChangeTemplate.objects.select_for_update().get(pk=template.pk)
        method = getattr(locked, name)
        if not can_proceed(method):
            raise TransitionNotAllowed(
                f"You can't {label} “{locked.name}” while it is "
                f"{locked.get_state_display().lower()}."
            )
        method(**arguments)
        locked.save()
    return locked


def standard_change_template_accept(
    *, template: StandardChangeTemplate, actor
) -> StandardChangeTemplate:
    """Accepted at CAB (§8.9.6), recorded by the Change Manager: changes may now be raised
    from it as pre-approved Standard changes."""
    _require_manager(actor, "accept")
    return _transition(template, "accept", "accept", by=actor)


def standard_change_template_retire(
    *, template: StandardChangeTemplate, actor
) -> StandardChangeTemplate:
    """Withdrawn from the catalogue (or a proposal turned down): no new changes from it."""
    _require_manager(actor, "retire")
    return _transition(template, "retire", "retire")
