"""Email subscriptions to the status page (§5.21: "add your email against the systems you
would like notifications for"; Appendix G: "subscribers to the BSC website will receive the
updates").

Asking to subscribe sends a confirmation link; nothing changes until it is followed, so nobody
can subscribe, or change the services of, an address that is not theirs. The link is signed
(`django.core.signing`) and carries the services chosen; it expires after
`STATUS_CONFIRM_MAX_AGE` (7 days). Only confirmed subscriptions get mail, and every email has
a one-click unsubscribe link (RFC 8058 headers too). Answers are the same whether or not the
address is known, so the form tells nobody who subscribes.
"""

import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from comms.services import outbound_message_queue
from core.dates import UK_TIME
from core.errors import ValidationFailed
from major_incidents.models import IndustryCircular, PublicUpdate, ServiceImpact
from tickets.models import Service

from .models import StatusSubscription
from .selectors import PUBLIC_STATUS_LABELS, status_services

logger = logging.getLogger(__name__)

CONFIRM_SALT = "status_page.subscription.confirm"
UNSUBSCRIBE_SALT = "status_page.subscription.unsubscribe"
# Confirmation emails to one address per UK day, and the least time between two of them.
CONFIRMATIONS_PER_DAY = 5
CONFIRMATION_GAP_SECONDS = 60


class LinkInvalid(ValidationFailed):
    """A confirmation or unsubscribe link that was altered, has expired or was replaced."""


def confirm_max_age() -> int:
    return int(getattr(settings, "STATUS_CONFIRM_MAX_AGE", 7 * 24 * 3600))


def _absolute(path: str) -> str:
    return f"{settings.PORTAL_BASE_URL}{path}"


def unsubscribe_url(subscription: StatusSubscription) -> str:
    token = signing.dumps({"s": subscription.pk, "t": subscription.token}, salt=UNSUBSCRIBE_SALT)
    return _absolute(reverse("status_page:unsubscribe", args=[token]))


def confirm_url(subscription: StatusSubscription, service_ids: list[int]) -> str:
    token = signing.dumps(
        {"s": subscription.pk, "t": subscription.token, "v": sorted(service_ids)},
        salt=CONFIRM_SALT,
    )
    return _absolute(reverse("status_page:confirm", args=[token]))


def _clean_request(*, email: str, service_codes) -> tuple[str, list[Service]]:
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter an email address like name@example.com."]
    codes = {str(code) for code in (service_codes or [])}
    services = list(status_services().filter(code__in=codes)) if codes else []
    if not services or len(services) != len(codes):
        errors["services"] = ["Choose at least one of the services listed."]
    if errors:
        raise ValidationFailed(
            "We could not take your subscription; check the highlighted fields.",
            field_errors=errors,
        )
    return email, services


def subscription_request(*, email: str, service_codes) -> None:
    """Ask to follow some services: the address is sent a link that confirms exactly these
    services (replacing any it followed before). Says nothing about whether the address was
    known. An address is sent at most `CONFIRMATIONS_PER_DAY` confirmations a day, a minute
    apart; further requests are answered the same way and send nothing."""
    email, services = _clean_request(email=email, service_codes=service_codes)
    now = timezone.now()
    with transaction.atomic():
        subscription, _ = StatusSubscription.objects.select_for_update().get_or_create(email=email)
        sent = subscription.confirmation_sent_at
        same_day = (
            sent is not None
            and timezone.localtime(sent, UK_TIME).date() == timezone.localtime(now, UK_TIME).date()
        )
        if sent is not None and (now - sent).total_seconds() < CONFIRMATION_GAP_SECONDS:
            logger.info("status subscription: confirmation to %s held back (too soon)", email)
            return
        if same_day and subscription.confirmations_sent >= CONFIRMATIONS_PER_DAY:
            logger.info("status subscription: confirmation to %s held back (daily limit)", email)
            return
        subscription.confirmations_sent = subscription.confirmations_sent + 1 if same_day else 1
        subscription.confirmation_sent_at = now
        subscription.save(update_fields=["confirmations_sent", "confirmation_sent_at"])
        outbound_message_queue(
            template="status_subscription_confirm",
            to_email=email,
            context={
                "link": confirm_url(subscription, [s.pk for s in services]),
                "services": [s.name for s in services],
                "days": confirm_max_age() // (24 * 3600),
                "status_url": _absolute(reverse("status_page:index")),
            },
        )


def _load(token: str, *, salt: str, max_age: int | None) -> tuple[StatusSubscription, dict]:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise LinkInvalid(
            "This link has expired. Subscribe again on the status page for a new one."
        ) from exc
    except signing.BadSignature as exc:
        raise LinkInvalid(
            "This link is not valid. Check that you copied the whole link from the email."
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        raise LinkInvalid("This link is not valid.")
    subscription = StatusSubscription.objects.filter(pk=data["s"]).first()
    if subscription is None or subscription.token != data.get("t"):
        raise LinkInvalid("This link is no longer valid. Subscribe again on the status page.")
    return subscription, data


def subscription_for_confirm_link(token: str) -> tuple[StatusSubscription, list[Service]]:
    """The subscription and services a confirmation link is for; LinkInvalid otherwise."""
    subscription, data = _load(token, salt=CONFIRM_SALT, max_age=confirm_max_age())
    ids = data.get("v")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise LinkInvalid("This link is not valid.")
    services = list(status_services().filter(pk__in=ids))
    if not services:
        raise LinkInvalid(
            "The services in this link are no longer on the status page. Subscribe again."
        )
    return subscription, services


def subscription_confirm(*, token: str) -> StatusSubscription:
    """Follow the confirmation link: the subscription is live for the services it names."""
    subscription, services = subscription_for_confirm_link(token)
    now = timezone.now()
    with transaction.atomic():
        subscription = StatusSubscription.objects.select_for_update().get(pk=subscription.pk)
        subscription.services.set(services)
        subscription.confirmed_at = now
        subscription.unsubscribed_at = None
        subscription.updated_at = now
        subscription.save(update_fields=["confirmed_at", "unsubscribed_at", "updated_at"])
    return subscription


def subscription_for_unsubscribe_link(token: str) -> StatusSubscription:
    subscription, _ = _load(token, salt=UNSUBSCRIBE_SALT, max_age=None)
    return subscription


def subscription_unsubscribe(*, token: str) -> StatusSubscription:
    """One-click unsubscribe (RFC 8058): no more mail to this address; saying it twice is
    harmless. Following it again later needs a new confirmation."""
    subscription = subscription_for_unsubscribe_link(token)
    now = timezone.now()
    StatusSubscription.objects.filter(pk=subscription.pk, unsubscribed_at__isnull=True).update(
        unsubscribed_at=now, updated_at=now
    )
    subscription.refresh_from_db()
    return subscription


def live_subscriptions_for(service_ids):
    """Confirmed, still subscribed rows following any of these services (one query)."""
    return (
        StatusSubscription.objects.filter(
            confirmed_at__isnull=False,
            unsubscribed_at__isnull=True,
            services__in=list(service_ids),
        )
        .distinct()
        .order_by("pk")
    )


def _notify(*, template: str, service_ids, context: dict) -> int:
    sent = 0
    for subscription in live_subscriptions_for(service_ids):
        link = unsubscribe_url(subscription)
        outbound_message_queue(
            template=template,
            to_email=subscription.email,
            context={**context, "unsubscribe_url": link},
            headers={
                "List-Unsubscribe": f"<{link}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        sent += 1
    return sent


def public_update_notify(*, update: PublicUpdate) -> int:
    """Email the subscribers of the services a major incident affects when a public update is
    published (§5.11 steps 13 and 20): the public title, status and words, nothing else."""
    incident = update.major_incident
    service_ids = list(
        ServiceImpact.objects.filter(major_incident=incident).values_list("service_id", flat=True)
    )
    if not service_ids:
        return 0
    return _notify(
        template="status_update",
        service_ids=service_ids,
        context={
            "public_title": incident.public_title,
            "status_label": PUBLIC_STATUS_LABELS.get(update.status, ""),
            "body": update.body,
            "published_at": update.published_at,
            "link": _absolute(reverse("status_page:incident", args=[incident.number])),
        },
    )


def circular_notify(*, circular: IndustryCircular) -> int:
    """Email the subscribers of a published circular's services (§5.20, §5.21)."""
    service_ids = list(circular.services.values_list("pk", flat=True))
    if not service_ids:
        return 0
    return _notify(
        template="status_circular",
        service_ids=service_ids,
        context={
            "number": circular.number,
            "title": circular.title,
            "body": circular.body,
            "published_at": circular.published_at,
            "link": _absolute(reverse("status_page:circular", args=[circular.number])),
        },
    )


def on_public_update_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if created and not raw:
        public_update_notify(update=instance)


def on_circular_published(sender, circular, **kwargs) -> None:
    circular_notify(circular=circular)
