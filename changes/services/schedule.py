"""Writes of the change schedule and its reports (§8.9, §8.10): the per-user calendar feed
address, the Monday report subscribers and the Monday issue of both reports."""

import secrets
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from comms.services import outbound_message_queue
from core.errors import ActionNotPermitted, ValidationFailed

from ..models import (
    ChangeCalendarFeed,
    ChangeReport,
    ChangeReportRun,
    ChangeReportSubscription,
)
from ..models_schedule import feed_token_hash
from ..reports import (
    FSC_DEFAULT_DAYS,
    email_columns_for,
    forward_schedule_period,
    forward_schedule_rows,
    issue_moment,
    retrospective_period,
    retrospective_rows,
)
from ..schedule_selectors import may_manage_reports, may_see_schedule, monday_of

FEED_TOKEN_BYTES = 32
# The email template of each report (comms/templates/comms/email/).
REPORT_TEMPLATES = {
    ChangeReport.FORWARD_SCHEDULE: "change_forward_schedule",
    ChangeReport.RETROSPECTIVE: "change_retrospective",
}


def change_calendar_feed_issue(*, actor) -> tuple[ChangeCalendarFeed, str]:
    """Give `actor` a new secret calendar address (§8.9.8), replacing any earlier one, which
    stops working at once. Returns the feed and the secret, shown to its owner once."""
    if not may_see_schedule(actor):
        raise ActionNotPermitted("Only staff who may read changes can subscribe to the schedule.")
    raw = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    with transaction.atomic():
        feed, _created = ChangeCalendarFeed.objects.select_for_update().update_or_create(
            user=actor,
            defaults={
                "token_hash": feed_token_hash(raw),
                "prefix": raw[:8],
                "created_at": timezone.now(),
                "revoked_at": None,
                "last_used_at": None,
            },
        )
    return feed, raw


def change_calendar_feed_revoke(*, actor) -> ChangeCalendarFeed:
    """Stop `actor`'s calendar address: it answers 404 from now on."""
    with transaction.atomic():
        feed = (
            ChangeCalendarFeed.objects.select_for_update()
            .filter(user=actor, revoked_at__isnull=True)
            .first()
        )
        if feed is None:
            raise ValidationFailed("You have no calendar address to revoke.")
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
    return feed


def change_calendar_feed_open(*, token: str, now: datetime | None = None):
    """The user whose live calendar address carries `token`, noting the read; None for an
    unknown or revoked secret, or an owner who may no longer see the schedule."""
    if not token or len(token) > 100:
        return None
    feed = (
        ChangeCalendarFeed.objects.select_related("user")
        .filter(token_hash=feed_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not may_see_schedule(feed.user):
        return None
    ChangeCalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now or timezone.now())
    return feed.user


def change_report_subscription_add(
    *, actor, report: str, email: str, name: str = ""
) -> ChangeReportSubscription:
    """Add an address to a Monday report (§8.10: the Change Management team keeps the
    list)."""
    if not may_manage_reports(actor):
        raise ActionNotPermitted("Only the Change Manager keeps the report subscribers.")
    if report not in ChangeReport.values:
        raise ValidationFailed(
            "Choose the Forward Schedule of Change or the Retrospective Change Report.",
            field_errors={"report": ["Choose a report."]},
        )
    email = (email or "").strip().lower()
    if not email:
        raise ValidationFailed(
            "Give the email address.", field_errors={"email": ["Give the email address."]}
        )
    try:
        with transaction.atomic():
            return ChangeReportSubscription.objects.create(
                report=report, email=email, name=(name or "").strip(), added_by=actor
            )
    except IntegrityError:
        label = ChangeReport(report).label
        raise ValidationFailed(
            f"{email} already receives the {label}.",
            field_errors={"email": [f"{email} already receives the {label}."]},
        ) from None


def change_report_subscription_remove(*, actor, subscription: ChangeReportSubscription) -> None:
    """Take an address off a Monday report (§8.10)."""
    if not may_manage_reports(actor):
        raise ActionNotPermitted("Only the Change Manager keeps the report subscribers.")
    with transaction.atomic():
        ChangeReportSubscription.objects.filter(pk=subscription.pk).delete()


def _rows_for(report: str, week_of: date) -> tuple[list[dict], datetime, datetime]:
    if report == ChangeReport.FORWARD_SCHEDULE:
        at = issue_moment(week_of)
        period = forward_schedule_period(at, FSC_DEFAULT_DAYS)
        return forward_schedule_rows(at=at, days=FSC_DEFAULT_DAYS), period.start, period.end
    period = retrospective_period(week_of)
    return retrospective_rows(week_of=week_of), period.start, period.end


def change_reports_issue(*, week_of: date) -> list[ChangeReportRun]:
    """Issue the Monday reports (§8.10) for the Monday of `week_of`: each report's rows are
    kept as a `ChangeReportRun` and emailed to its subscribers through the outbox. A report
    already issued for that Monday is left alone, so running again sends nothing twice.
    Returns the runs issued by this call."""
    monday = monday_of(week_of)
    issued = []
    for report in ChangeReport.values:
        with transaction.atomic():
            if ChangeReportRun.objects.filter(report=report, week_of=monday).exists():
                continue
            rows, start, end = _rows_for(report, monday)
            try:
                with transaction.atomic():
                    run = ChangeReportRun.objects.create(
                        report=report,
                        week_of=monday,
                        period_start=start,
                        period_end=end,
                        rows=rows,
                    )
            except IntegrityError:
                # Another worker issued it between the check and the insert.
                continue
            recipients = list(
                ChangeReportSubscription.objects.filter(report=report).values_list(
                    "email", flat=True
                )
            )
            context = {
                "title": ChangeReport(report).label,
                "week_of": monday,
                "period_start": start,
                "period_end": end,
                "columns": email_columns_for(report),
                "rows": [
                    [row.get(key, "") for key, _t in email_columns_for(report)] for row in rows
                ],
                "link": settings.PORTAL_BASE_URL
                + reverse("change_schedule:report_run", args=[run.pk]),
            }
            for email in recipients:
                outbound_message_queue(
                    template=REPORT_TEMPLATES[report], to_email=email, context=context
                )
            run.recipients = len(recipients)
            run.save(update_fields=["recipients"])
        issued.append(run)
    return issued
