"""Industry circulars (§5.11 steps 11–12 and 18–19, §5.20, Appendix G "Industry Circular"):
drafted by the Major Incident Manager from the war room, numbered when published
("IC-2026-001", sequentially per UK calendar year) and then never changed — a correction is a
new circular. Publishing is announced (`circular_published`) so the public status page can
tell its subscribers (§5.21) without this app knowing about it."""

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from core.dates import UK_TIME
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tickets.services import ticket_number_allocate

from .models import IndustryCircular, MajorIncident, TimelineEntry
from .records import timeline_add

# Sent inside the publishing transaction with `circular` (published, numbered, services set).
circular_published = Signal()

TITLE_MAX = IndustryCircular._meta.get_field("title").max_length
BODY_MAX = 20_000


def circular_number(*, year: int, value: int) -> str:
    """The public number of the `value`-th circular published in `year`: "IC-2026-001"."""
    return f"IC-{year}-{value:03d}"


def _require(actor, permission: str, doing: str) -> None:
    if not (actor and actor.is_authenticated and actor.is_staff and actor.has_perm(permission)):
        raise ActionNotPermitted(f"Only an Incident manager may {doing} industry circulars.")


def _clean(*, title: str, body: str, services) -> tuple[str, str, list]:
    title = (title or "").strip()
    body = (body or "").strip()
    services = list(services or [])
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["Give the circular a title."]
    elif len(title) > TITLE_MAX:
        errors["title"] = [f"Keep the title to {TITLE_MAX} characters."]
    if not body:
        errors["body"] = ["Write the circular: what happened, who is affected, what to do."]
    elif len(body) > BODY_MAX:
        errors["body"] = [f"Keep the circular to {BODY_MAX:,} characters."]
    if not services:
        errors["services"] = ["Choose the services the circular is about."]
    if errors:
        raise ValidationFailed(
            "The circular could not be saved; check the highlighted fields.", field_errors=errors
        )
    return title, body, services


def _refuse_published(circular: IndustryCircular) -> None:
    if circular.state == IndustryCircular.State.PUBLISHED:
        raise TransitionNotAllowed(
            f"{circular.number} is published and can no longer be changed; publish a new "
            "circular to correct or follow it up (§5.20)."
        )


def circular_draft(
    *, actor, title: str, body: str, services, major_incident: MajorIncident | None = None
) -> IndustryCircular:
    """Draft a circular, optionally for a major incident (§5.11 steps 11 and 18)."""
    _require(actor, "major_incidents.add_industrycircular", "draft")
    title, body, services = _clean(title=title, body=body, services=services)
    with transaction.atomic():
        circular = IndustryCircular.objects.create(
            title=title,
            body=body,
            major_incident=major_incident,
            drafted_by=actor,
            drafted_at=timezone.now(),
        )
        circular.services.set(services)
    return circular


def circular_update(
    *, circular: IndustryCircular, actor, title: str, body: str, services
) -> IndustryCircular:
    """Change a draft; a published circular is refused (it is the public record)."""
    _require(actor, "major_incidents.change_industrycircular", "edit")
    title, body, services = _clean(title=title, body=body, services=services)
    with transaction.atomic():
        locked = IndustryCircular.objects.select_for_update().get(pk=circular.pk)
        _refuse_published(locked)
        locked.title, locked.body = title, body
        locked.save(update_fields=["title", "body"])
        locked.services.set(services)
    return locked


def circular_publish(*, circular: IndustryCircular, actor) -> IndustryCircular:
    """Publish a draft (§5.11 steps 12 and 19): it takes the next number of the UK year, goes
    on the status page and its feed, on the major incident's timeline, and to the status
    page's subscribers of its services."""
    _require(actor, "major_incidents.publish_industrycircular", "publish")
    with transaction.atomic():
        locked = (
            IndustryCircular.objects.select_for_update(of=("self",))
            .select_related("major_incident")
            .get(pk=circular.pk)
        )
        _refuse_published(locked)
        if not locked.services.exists():
            raise ValidationFailed(
                "Choose the services the circular is about before publishing it.",
                field_errors={"services": ["Choose at least one service."]},
            )
        now = timezone.now()
        year = timezone.localtime(now, UK_TIME).year
        # The sequence row stays locked until this transaction ends, so two circulars
        # published together queue on it and never share a number.
        prefix = f"IC{year}"
        value = int(ticket_number_allocate(prefix=prefix)[len(prefix) :])
        locked.number = circular_number(year=year, value=value)
        locked.state = IndustryCircular.State.PUBLISHED
        locked.published_by = actor
        locked.published_at = now
        locked.save(update_fields=["number", "state", "published_by", "published_at"])
        if locked.major_incident is not None:
            timeline_add(
                major_incident=locked.major_incident,
                kind=TimelineEntry.Kind.CIRCULAR,
                body=f"Industry circular {locked.number} published: {locked.title}",
                author=actor,
                at=now,
            )
        circular_published.send(sender=IndustryCircular, circular=locked)
    return locked
