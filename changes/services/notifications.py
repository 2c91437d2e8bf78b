"""Change notifications from external parties (§8.12): other parties tell the Change Team of
their changes through the API, and the Change Manager acknowledges them."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.limits import DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS

from ..models import Change, ExternalChangeNotification


def external_change_notification_submit(
    *,
    actor,
    title: str,
    description: str,
    planned_start: datetime,
    planned_end: datetime,
    external_reference: str = "",
    impact: str = "",
    contact: str = "",
    services: Iterable = (),
) -> ExternalChangeNotification:
    """An external party notifies the Change Team of a change of theirs (§8.12). The
    notification carries the submitter's organisation."""
    if not (actor and actor.is_active and actor.has_perm("changes.add_externalchangenotification")):
        raise ActionNotPermitted("You are not allowed to send change notifications.")
    fields = {
        "title": (title or "").strip(),
        "description": (description or "").strip(),
        "external_reference": (external_reference or "").strip(),
        "impact": (impact or "").strip(),
        "contact": (contact or "").strip(),
    }
    errors: dict[str, list[str]] = {}
    if not fields["title"]:
        errors["title"] = ["Give the change a title."]
    elif len(fields["title"]) > SUBJECT_MAX_CHARS:
        errors["title"] = [f"Keep it to {SUBJECT_MAX_CHARS} characters."]
    if not fields["description"]:
        errors["description"] = ["Describe the change and what it affects."]
    elif len(fields["description"]) > DESCRIPTION_MAX_CHARS:
        errors["description"] = [f"Keep it to {DESCRIPTION_MAX_CHARS:,} characters."]
    if len(fields["impact"]) > DESCRIPTION_MAX_CHARS:
        errors["impact"] = [f"Keep it to {DESCRIPTION_MAX_CHARS:,} characters."]
    if len(fields["external_reference"]) > 60:
        errors["external_reference"] = ["Keep it to 60 characters."]
    if len(fields["contact"]) > 200:
        errors["contact"] = ["Keep it to 200 characters."]
    if planned_start is None:
        errors["planned_start"] = ["Give the planned start."]
    if planned_end is None:
        errors["planned_end"] = ["Give the planned end."]
    if planned_start is not None and planned_end is not None and planned_end <= planned_start:
        errors["planned_end"] = ["The planned end must be after the planned start."]
    if errors:
        raise ValidationFailed(
            "The change notification could not be sent; check the highlighted fields.",
            field_errors=errors,
        )
    with transaction.atomic():
        notification = ExternalChangeNotification.objects.create(
            organisation_id=actor.organisation_id,
            submitted_by=actor,
            planned_start=planned_start,
            planned_end=planned_end,
            **fields,
        )
        notification.services.set(list(services))
    return notification


def external_change_notification_acknowledge(
    *, notification: ExternalChangeNotification, actor, change: Change | None = None
) -> ExternalChangeNotification:
    """The Change Manager has read the notification, optionally linking a change of ours
    raised or affected because of it."""
    if not (
        actor
        and actor.is_active
        and actor.is_staff
        and (actor.is_superuser or actor.has_perm("changes.manage_change"))
    ):
        raise ActionNotPermitted("Only the Change Manager acknowledges change notifications.")
    with transaction.atomic():
        locked = ExternalChangeNotification.objects.select_for_update().get(pk=notification.pk)
        if locked.state == ExternalChangeNotification.State.ACKNOWLEDGED:
            raise TransitionNotAllowed("This change notification was already acknowledged.")
        locked.state = ExternalChangeNotification.State.ACKNOWLEDGED
        locked.acknowledged_by = actor
        locked.acknowledged_at = timezone.now()
        locked.change = change
        locked.save(update_fields=["state", "acknowledged_by", "acknowledged_at", "change"])
    return locked
