"""The Monday reports (§8.10): the Forward Schedule of Change (§8.10.1) and the Retrospective
Change Report (§8.10.2), issued at 06:00 UK time on Mondays by beat to their subscribers
through the outbox, once per Monday however often the task runs; viewable by staff."""

from datetime import datetime, timedelta

import pytest
import time_machine
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse

from changes.models import ChangeReport, ChangeReportRun, ChangeReportSubscription
from changes.report_tasks import change_reports_issue_task
from changes.reports import forward_schedule_rows, issue_moment, retrospective_rows
from changes.services import (
    change_cancel,
    change_report_subscription_add,
    change_report_subscription_remove,
)
from comms.models import OutboundMessage
from core.errors import ActionNotPermitted, ValidationFailed
from mhhs_portal.celery import app as celery_app
from tests.changes.conftest import LONDON, london, raise_change
from tests.changes.schedule_support import implemented, scheduled
from tests.conftest import TOTP_SECRET, mfa_client
from tests.factories.accounts import UserFactory

MONDAY = london(2027, 3, 1).date()


def test_beat_issues_the_reports_at_0600_uk_time_on_mondays_s8_10():
    """§8.10: "issued at 6am on a Mondays" — a crontab of 06:00 on Mondays in the app's
    Europe/London timezone, so it stays 06:00 UK time across the clock changes."""
    entry = settings.CELERY_BEAT_SCHEDULE["change-reports-monday"]
    assert entry["task"] == "changes.report_tasks.change_reports_issue_task"
    schedule = entry["schedule"]
    assert (schedule.hour, schedule.minute, schedule.day_of_week) == ({6}, {0}, {1})
    assert str(celery_app.conf.timezone) == "Europe/London"
    assert "changes.report_tasks.change_reports_issue_task" in celery_app.tasks
    # From Sunday noon on the day British Summer Time starts, the next run is Monday 06:00 BST.
    sunday = datetime(2027, 3, 28, 12, 0, tzinfo=LONDON)
    schedule = schedule.__class__(hour=6, minute=0, day_of_week="mon", nowfun=lambda: sunday)
    schedule.app = celery_app
    due, _next = schedule.is_due(sunday)
    assert not due
    assert sunday + schedule.remaining_estimate(sunday) == datetime(
        2027, 3, 29, 6, 0, tzinfo=LONDON
    )


def _seed(owner, manager):
    """Changes around Monday 1 March 2027 (§8.10.1 fields come from these)."""
    due = scheduled(owner, manager, short_description="Patch the DIP broker")
    later = scheduled(
        owner,
        manager,
        planned_start=london(2027, 3, 20, 22, 0),
        short_description="Resize the settlement database",
    )
    late_approval = scheduled(
        owner,
        manager,
        planned_start=london(2027, 3, 4, 22, 0),
        authorised_at=london(2027, 3, 1, 7, 0),
        short_description="Approved after the report went out",
    )
    draft = raise_change(
        owner, planned_start=london(2027, 3, 2, 22, 0), short_description="Still a draft"
    )
    cancelled = raise_change(
        owner, planned_start=london(2027, 3, 3, 22, 0), short_description="Called off"
    )
    change_cancel(change=cancelled, actor=owner, notes="Vendor withdrew the patch.")
    return due, later, late_approval, draft, cancelled


@pytest.mark.django_db
def test_forward_schedule_lists_approved_changes_of_the_next_days_s8_10_1(
    service_owner, change_manager
):
    """§8.10.1: the changes planned in the next 14 days, submitted and approved up to 06:00
    on the Monday, with the manual's fields; not later ones, drafts, cancelled changes or
    changes approved after the report went out."""
    due, *_others = _seed(service_owner, change_manager)
    due.assigned_to = change_manager
    due.save(update_fields=["assigned_to"])
    rows = forward_schedule_rows(at=issue_moment(MONDAY))
    assert rows == [
        {
            "number": due.number,
            "category": "Market Systems",
            "assigned_to": change_manager.get_full_name(),
            "short_description": "Patch the DIP broker",
            "planned_start": "1 Mar 2027, 22:00",
            "planned_end": "2 Mar 2027, 00:00",
        }
    ]


@pytest.mark.django_db
def test_retrospective_lists_last_weeks_due_changes_and_their_status_s8_10_2(
    service_owner, change_manager
):
    """§8.10.2: the changes due to be implemented in the previous week (Mon 1 – Sun 7 March
    for the report of Monday 8 March) and their status: closed with its outcome, cancelled,
    or still scheduled; a draft was never due."""
    due, _later, late_approval, _draft, cancelled = _seed(service_owner, change_manager)
    done = implemented(
        service_owner,
        change_manager,
        planned_start=london(2027, 3, 5, 22, 0),
        started=london(2027, 3, 5, 22, 0),
        finished=london(2027, 3, 5, 23, 0),
        code="successful",
        short_description="Rotate the certificate",
    )
    rows = retrospective_rows(week_of=london(2027, 3, 8).date())
    summary = [(row["number"], row["status"], row["outcome"], row["actual_end"]) for row in rows]
    assert summary == [
        (due.number, "Scheduled", "", ""),
        (cancelled.number, "Cancelled", "Cancelled", ""),
        (late_approval.number, "Scheduled", "", ""),
        (done.number, "Closed", "Successful", "5 Mar 2027, 23:00"),
    ]


@pytest.mark.django_db
def test_monday_task_issues_both_reports_once_to_their_subscribers_s8_10(
    service_owner, change_manager, django_capture_on_commit_callbacks, mailoutbox
):
    """§8.10: the 06:00 Monday run keeps each report's rows and emails each subscriber
    through the outbox; running again for the same Monday sends nothing more."""
    due, *_ = _seed(service_owner, change_manager)
    for email in ("ops@npsu.example", "cab@elexon.example"):
        change_report_subscription_add(
            actor=change_manager, report=ChangeReport.FORWARD_SCHEDULE, email=email
        )
    change_report_subscription_add(
        actor=change_manager, report=ChangeReport.RETROSPECTIVE, email="cab@elexon.example"
    )
    with (
        time_machine.travel(issue_moment(MONDAY), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = change_reports_issue_task.delay()
    assert result.get() == {"issued": ["forward_schedule", "retrospective"]}
    runs = {run.report: run for run in ChangeReportRun.objects.all()}
    assert runs["forward_schedule"].week_of == MONDAY
    assert [row["number"] for row in runs["forward_schedule"].rows] == [due.number]
    assert (runs["forward_schedule"].recipients, runs["retrospective"].recipients) == (2, 1)
    messages = OutboundMessage.objects.order_by("template", "to_email")
    assert [(m.template, m.to_email, m.status) for m in messages] == [
        ("change_forward_schedule", "cab@elexon.example", "sent"),
        ("change_forward_schedule", "ops@npsu.example", "sent"),
        ("change_retrospective", "cab@elexon.example", "sent"),
    ]
    fsc = messages[0]
    assert fsc.subject == "Forward Schedule of Change, week of 1 Mar 2027"
    assert due.number in fsc.body_text and "1 Mar 2027, 22:00" in fsc.body_html
    # §10.5.5: no email carries typed text; the subject line of the change stays in the portal.
    assert "Patch the DIP broker" not in fsc.body_text + fsc.body_html
    assert len(mailoutbox) == 3

    with django_capture_on_commit_callbacks(execute=True):
        again = change_reports_issue_task.delay(week_of="2027-03-03")
    assert again.get() == {"issued": []}
    assert OutboundMessage.objects.count() == 3
    assert ChangeReportRun.objects.count() == 2


@pytest.mark.django_db
def test_subscribers_are_kept_by_the_change_manager_only_s8_10(change_manager, cab_member):
    """§8.10: people ask the Change Management team to be added or removed."""
    subscription = change_report_subscription_add(
        actor=change_manager,
        report=ChangeReport.RETROSPECTIVE,
        email=" Ops@NPSU.example ",
        name="NPSU operations",
    )
    assert subscription.email == "ops@npsu.example"
    with pytest.raises(ValidationFailed, match="already receives the Retrospective"):
        change_report_subscription_add(
            actor=change_manager, report=ChangeReport.RETROSPECTIVE, email="ops@npsu.example"
        )
    with pytest.raises(ValidationFailed, match="Choose the Forward Schedule"):
        change_report_subscription_add(actor=change_manager, report="weekly", email="a@b.example")
    with pytest.raises(ActionNotPermitted):
        change_report_subscription_add(
            actor=cab_member, report=ChangeReport.RETROSPECTIVE, email="me@x.example"
        )
    with pytest.raises(ActionNotPermitted):
        change_report_subscription_remove(actor=cab_member, subscription=subscription)
    change_report_subscription_remove(actor=change_manager, subscription=subscription)
    assert not ChangeReportSubscription.objects.exists()


@pytest.mark.django_db
def test_subscribers_page_adds_and_refuses_with_errors_next_to_fields(change_manager, cab_member):
    """The subscribers page: add, a duplicate refused next to the field (400), CAB members
    refused the page (403)."""
    url = reverse("change_schedule:subscribers")
    client = mfa_client(change_manager)
    data = {"report": "forward_schedule", "email": "ops@npsu.example", "name": ""}
    response = client.post(url, data, follow=True)
    assert "ops@npsu.example now receives the Forward Schedule of Change." in (
        response.content.decode()
    )
    response = client.post(url, data)
    assert response.status_code == 400
    assert "already receives the Forward Schedule of Change" in response.content.decode()
    assert mfa_client(cab_member).get(url).status_code == 403


@pytest.mark.django_db
def test_staff_see_the_reports_and_the_issued_runs_s8_10(service_owner, change_manager, cab_member):
    """§8.10: staff read both reports in the portal, and each Monday issue as it was sent."""
    due, *_ = _seed(service_owner, change_manager)
    with time_machine.travel(issue_moment(MONDAY), tick=False):
        change_reports_issue_task.delay().get()
        client = mfa_client(cab_member)
        page = client.get(reverse("change_schedule:forward_schedule")).content.decode()
        assert due.number in page and "Patch the DIP broker" in page
        retro = client.get(reverse("change_schedule:retrospective"), {"week": "2027-03-08"})
        assert due.number in retro.content.decode()
        run = ChangeReportRun.objects.get(report=ChangeReport.FORWARD_SCHEDULE)
        runs_page = client.get(reverse("change_schedule:report_runs")).content.decode()
        assert reverse("change_schedule:report_run", args=[run.pk]) in runs_page
        run_page = client.get(reverse("change_schedule:report_run", args=[run.pk]))
        assert due.number in run_page.content.decode()
        bad = client.get(reverse("change_schedule:forward_schedule"), {"days": "400"})
    assert bad.status_code == 400
    assert "less than or equal to 90" in bad.content.decode()
    assert timedelta(0) < run.period_end - run.period_start


@pytest.mark.django_db
def test_issued_reports_are_for_staff_who_see_every_change_s8_10(service_owner, change_manager):
    """§8.10: an issued report lists every change, so staff who may read only some changes
    (here: `view_change` without `view_all_change`) are refused it (403)."""

    _seed(service_owner, change_manager)
    with time_machine.travel(issue_moment(MONDAY), tick=False):
        change_reports_issue_task.delay().get()
    run = ChangeReportRun.objects.first()
    limited = UserFactory(email="lim.ited@mhhs.example", is_staff=True, roles=[])
    limited.user_permissions.add(Permission.objects.get(codename="view_change"))
    TOTP.activate(limited, TOTP_SECRET)
    client = mfa_client(limited)
    assert client.get(reverse("change_schedule:report_runs")).status_code == 403
    assert client.get(reverse("change_schedule:report_run", args=[run.pk])).status_code == 403
    assert client.get(reverse("change_schedule:month")).status_code == 200
