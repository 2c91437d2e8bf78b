"""Demo changes for `seed_demo` (§8, §9): a standard-change catalogue entry and a change of
each type at a different point of its lifecycle, raised and moved through the services so the
journal, approvals and review items exist as in production. Idempotent."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tickets.models import Category, Service

from .models import Change, ChangeApproval, StandardChangeTemplate
from .risk import ChangeType, Rating
from .services import (
    cab_meeting_for_day,
    cab_meeting_schedule_next,
    change_assess,
    change_close,
    change_complete,
    change_create,
    change_record_approval,
    change_schedule,
    change_start_implementation,
    change_submit,
    external_change_notification_submit,
    standard_change_from_template,
    standard_change_template_accept,
    standard_change_template_propose,
)

TEMPLATE_NAME = "Rotate the DIP TLS certificate"
MARKER = "Patch the DIP message broker"


def _plans() -> dict:
    return {
        "implementation_plan": "Drain consumers, patch each broker node in turn, restart.",
        "test_plan": "Send test messages through each channel; check delivery and latency.",
        "backout_plan": "Reinstall the previous broker version from the saved image.",
    }


def demo_changes_seed(*, owner, change_manager, mim, group, notifier) -> int:
    """Seed the demo changes; returns how many were created (0 when already there).

    `owner` raises them (a service owner, §8.2), `change_manager` assesses and authorises,
    `mim` sits on the Emergency CAB, `notifier` is a participant organisation's admin who
    sends a change notification."""
    if Change.objects.filter(short_description=MARKER).exists():
        return 0
    now = timezone.now()
    market = Category.objects.get(name="Market Systems")
    dip = Service.objects.filter(code="dip")
    with transaction.atomic():
        template = StandardChangeTemplate.objects.filter(name=TEMPLATE_NAME).first()
        if template is None:
            template = standard_change_template_propose(
                actor=owner,
                name=TEMPLATE_NAME,
                short_description="Rotate the DIP TLS certificate",
                description="Replace the DIP's TLS certificate before it expires.",
                category=market,
                reason="Certificates expire every year.",
                implementation_plan="Install the new certificate and reload the gateway.",
                test_plan="Check the certificate chain from outside.",
                backout_plan="Reinstall the previous certificate.",
                services=dip,
            )
            template = standard_change_template_accept(template=template, actor=change_manager)
        start = now + timedelta(days=7)
        standard = standard_change_from_template(
            template=template,
            actor=owner,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
            assignment_group=group,
        )
        standard = change_submit(change=standard, actor=owner)
        change_schedule(change=standard, actor=change_manager)

        # A Low risk, Low impact Normal change authorised by the Change Manager (§8.7).
        start = now + timedelta(days=14)
        normal = change_create(
            actor=owner,
            change_type=ChangeType.NORMAL,
            short_description=MARKER,
            description="Apply the vendor's security patch to the DIP message broker.",
            category=market,
            reason="The vendor reports a vulnerability fixed by this patch.",
            probability=Rating.LOW,
            impact=Rating.LOW,
            urgency=Rating.MEDIUM,
            planned_start=start,
            planned_end=start + timedelta(hours=2),
            services=dip,
            assignment_group=group,
            **_plans(),
        )
        normal = change_submit(change=normal, actor=owner)
        normal = change_assess(change=normal, actor=change_manager)
        change_record_approval(
            change=normal,
            actor=change_manager,
            kind=ChangeApproval.Kind.CHANGE_MANAGER,
            decision=ChangeApproval.Decision.APPROVE,
            comment="Low risk, low impact: approved without CAB.",
        )

        # A High risk Normal change waiting for its CAB (§8.9.2).
        start = now + timedelta(days=21)
        cab = change_create(
            actor=owner,
            change_type=ChangeType.NORMAL,
            short_description="Migrate the settlement database to the new cluster",
            description="Move the settlement database to the new high-availability cluster.",
            category=market,
            reason="The current cluster is out of vendor support next quarter.",
            probability=Rating.MEDIUM,
            impact=Rating.HIGH,
            urgency=Rating.MEDIUM,
            planned_start=start,
            planned_end=start + timedelta(hours=6),
            services=dip,
            assignment_group=group,
            **_plans(),
        )
        cab = change_submit(change=cab, actor=owner)
        cab = change_assess(change=cab, actor=change_manager)
        # The next Tuesday's CAB (as the beat makes it, §8.9.8) and the one this change goes
        # to (§8.7), so the CAB pages have agendas drawn from these changes (§8.9.6).
        cab_meeting_schedule_next(now=now)
        cab_meeting_for_day(day=cab.cab_date)

        # An Emergency change authorised by the ECAB, implemented, closed with issues: its
        # post-implementation review item waits for the next CAB (§8.8, §9.3).
        emergency = change_create(
            actor=owner,
            change_type=ChangeType.EMERGENCY,
            short_description="Restart the DIP adapter to clear a stuck queue",
            description="Restart the adapter nodes one by one to clear the stuck queue.",
            category=market,
            reason="Messages are not being delivered (major incident).",
            probability=Rating.MEDIUM,
            impact=Rating.HIGH,
            urgency=Rating.HIGH,
            planned_start=now + timedelta(minutes=30),
            planned_end=now + timedelta(hours=2),
            services=dip,
            assignment_group=group,
            **_plans(),
        )
        emergency = change_submit(change=emergency, actor=owner)
        emergency = change_assess(change=emergency, actor=change_manager)
        change_record_approval(
            change=emergency,
            actor=mim,
            kind=ChangeApproval.Kind.ECAB,
            decision=ChangeApproval.Decision.APPROVE,
            comment="Agreed on the MIM bridge call.",
        )
        emergency.refresh_from_db()
        emergency = change_start_implementation(change=emergency, actor=owner)
        emergency = change_complete(change=emergency, actor=owner)
        change_close(
            change=emergency,
            actor=owner,
            code=Change.ClosureCode.SUCCESSFUL_WITH_ISSUES,
            notes="Queue cleared; one node needed a second restart.",
        )

        # A draft still being written.
        change_create(
            actor=owner,
            change_type=ChangeType.NORMAL,
            short_description="Add a second DIP gateway region",
            description="Stand up a second region for the DIP gateway.",
            category=market,
        )
        external_change_notification_submit(
            actor=notifier,
            title="Upgrade of our DCC adapter",
            description="We will upgrade our DCC adapter; messages may be delayed.",
            planned_start=now + timedelta(days=10),
            planned_end=now + timedelta(days=10, hours=4),
            external_reference="NPG-CR-0042",
            impact="Messages from Northern Power queued for up to 4 hours.",
        )
    return 5
