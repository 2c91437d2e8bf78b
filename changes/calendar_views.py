"""Staff pages of the change schedule (§8.9, §8.10, §8.11): the change calendar by month and
by week with schedule conflicts flagged, the calendar subscription (a per-user secret
iCalendar address), the Monday reports with their CSV downloads and subscribers, and the
monthly metrics. Each page reads through the schedule selectors and writes through one
service; the rules live there."""

import calendar as pycalendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.mfa import has_totp, session_passed_mfa
from core.dates import UK_TIME
from core.errors import DomainError
from core.forms import DomainErrorFormMixin

from .conflicts import conflicts_by_change
from .ical import change_calendar
from .metrics import monthly_change_metrics
from .models import ChangeCalendarFeed, ChangeReport, ChangeReportRun, ChangeReportSubscription
from .reports import (
    FSC_DEFAULT_DAYS,
    FSC_MAX_DAYS,
    columns_for,
    csv_response,
    forward_schedule_period,
    forward_schedule_rows,
    retrospective_period,
    retrospective_rows,
)
from .schedule_selectors import (
    SCHEDULE_LIMIT,
    may_manage_reports,
    may_see_issued_reports,
    may_see_schedule,
    monday_of,
    schedule_for,
    schedule_services,
    uk_day_bounds,
)
from .services import (
    change_calendar_feed_issue,
    change_calendar_feed_open,
    change_calendar_feed_revoke,
    change_report_subscription_add,
    change_report_subscription_remove,
)

NEW_FEED_SESSION_KEY = "change_calendar_new_feed"
SUBSCRIBERS_PER_PAGE = 50
RUNS_PER_PAGE = 20


def uk_today() -> date:
    return timezone.localtime(timezone.now(), UK_TIME).date()


def schedule_staff(view):
    """Signed in, staff with a second factor this session (§10.5.2) and allowed to read
    changes; anyone else is refused."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not may_see_schedule(user):
            raise PermissionDenied("The change schedule is for staff who work on changes.")
        if not (has_totp(user) and session_passed_mfa(request)):
            query = urlencode({"next": request.get_full_path()})
            if has_totp(user):
                return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper


# --- the calendar ------------------------------------------------------------------------------


class ScheduleFilterForm(forms.Form):
    """The period and the filters of a calendar page (shapes only)."""

    month = forms.DateField(
        label="Month", required=False, input_formats=["%Y-%m"], widget=forms.DateInput()
    )
    date = forms.DateField(label="Week of", required=False, input_formats=["%Y-%m-%d"])
    service = forms.ModelChoiceField(
        label="Service", queryset=None, required=False, empty_label="All services"
    )
    q = forms.CharField(
        label="Search", required=False, max_length=160, help_text="A change number or words."
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services
        self.fields["month"].error_messages["invalid"] = "Give the month as YYYY-MM."
        self.fields["date"].error_messages["invalid"] = "Give the date as YYYY-MM-DD."


@dataclass
class Entry:
    change: object
    conflicts: list
    starts_today: bool
    ends_today: bool


@dataclass
class Day:
    day: date
    in_period: bool
    is_today: bool
    entries: list = field(default_factory=list)


def _days_of(change, first: date, last: date):
    start = timezone.localtime(change.planned_start, UK_TIME).date()
    # A window ending at midnight does not take up the next day.
    end = timezone.localtime(change.planned_end - timedelta(microseconds=1), UK_TIME).date()
    day = max(start, first)
    while day <= min(end, last):
        yield day, day == start, day == end
        day += timedelta(days=1)


def _calendar_context(
    request, form, *, first: date, last: date, shown_first: date, shown_last: date
):
    """The changes of [shown_first, shown_last] laid out by UK day, with their conflicts: three
    queries (changes, their services, conflicts) whatever the number of changes."""
    service = search = None
    if form.is_bound and form.is_valid():
        service = form.cleaned_data["service"]
        search = form.cleaned_data["q"]
    start, end = uk_day_bounds(shown_first, shown_last)
    changes = list(
        schedule_for(user=request.user, start=start, end=end, service=service, search=search or "")[
            : SCHEDULE_LIMIT + 1
        ]
    )
    truncated = len(changes) > SCHEDULE_LIMIT
    changes = changes[:SCHEDULE_LIMIT]
    conflicts = conflicts_by_change(changes)
    today = uk_today()
    days = {}
    day = shown_first
    while day <= shown_last:
        days[day] = Day(day=day, in_period=first <= day <= last, is_today=day == today)
        day += timedelta(days=1)
    for change in changes:
        for day, starts, ends in _days_of(change, shown_first, shown_last):
            days[day].entries.append(Entry(change, conflicts[change.pk], starts, ends))
    weeks = [list(days.values())[i : i + 7] for i in range(0, len(days), 7)]
    return {
        "form": form,
        "weeks": weeks,
        "changes": changes,
        "conflicts": conflicts,
        "conflicted": sum(1 for change in changes if conflicts[change.pk]),
        "truncated": truncated,
        "limit": SCHEDULE_LIMIT,
        "filter_query": urlencode(
            {k: v for k, v in (("service", service.pk if service else ""), ("q", search)) if v}
        ),
        "nav_current": "change_schedule",
    }


@require_GET
@schedule_staff
def month(request):
    """The change calendar of a UK month (§8.9.6 scheduled changes), Monday-first weeks."""
    form = ScheduleFilterForm(request.GET or None, services=schedule_services())
    chosen = form.cleaned_data.get("month") if form.is_bound and form.is_valid() else None
    status = 400 if form.is_bound and not form.is_valid() else 200
    first = (chosen or uk_today()).replace(day=1)
    last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    shown_first = monday_of(first)
    shown_last = monday_of(last) + timedelta(days=6)
    context = _calendar_context(
        request, form, first=first, last=last, shown_first=shown_first, shown_last=shown_last
    )
    previous = (first - timedelta(days=1)).replace(day=1)
    following = last + timedelta(days=1)
    context.update(
        view="month",
        first=first,
        previous=previous,
        following=following,
    )
    return render(request, "changes/schedule/month.html", context, status=status)


@require_GET
@schedule_staff
def week(request):
    """The change calendar of a Monday-to-Sunday UK week, each change with its times."""
    form = ScheduleFilterForm(request.GET or None, services=schedule_services())
    chosen = form.cleaned_data.get("date") if form.is_bound and form.is_valid() else None
    status = 400 if form.is_bound and not form.is_valid() else 200
    first = monday_of(chosen or uk_today())
    last = first + timedelta(days=6)
    context = _calendar_context(
        request, form, first=first, last=last, shown_first=first, shown_last=last
    )
    context.update(
        view="week",
        first=first,
        last=last,
        previous=first - timedelta(days=7),
        following=first + timedelta(days=7),
    )
    return render(request, "changes/schedule/week.html", context, status=status)


# --- the calendar subscription -----------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@schedule_staff
def feed(request):
    """Your secret calendar address: create or replace it (the old one stops at once), or
    revoke it. The address is shown once, after it is made."""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "issue":
                feed_row, raw = change_calendar_feed_issue(actor=request.user)
                request.session[NEW_FEED_SESSION_KEY] = raw
                messages.success(request, "Your calendar address is ready: copy it now.")
            elif action == "revoke":
                change_calendar_feed_revoke(actor=request.user)
                messages.success(request, "Your calendar address is revoked and no longer works.")
            else:
                messages.error(request, "Choose to create or revoke your calendar address.")
                return redirect("change_schedule:feed")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("change_schedule:feed")
    raw = request.session.pop(NEW_FEED_SESSION_KEY, None)
    current = ChangeCalendarFeed.objects.filter(user=request.user).first()
    address = (
        request.build_absolute_uri(reverse("change_schedule:feed_ics", args=[raw])) if raw else None
    )
    context = {"feed": current, "address": address, "nav_current": "account"}
    return render(request, "changes/schedule/feed.html", context)


@never_cache
@require_GET
def feed_ics(request, token: str):
    """The iCalendar feed behind a secret address; unknown or revoked: 404."""
    user = change_calendar_feed_open(token=token)
    if user is None:
        raise Http404("No such calendar.")
    response = HttpResponse(change_calendar(user=user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="mhhs-changes.ics"'
    return response


# --- the Monday reports ------------------------------------------------------------------------


class ForwardScheduleForm(forms.Form):
    days = forms.IntegerField(
        label="Days ahead",
        min_value=1,
        max_value=FSC_MAX_DAYS,
        required=False,
        help_text=f"From now; 1 to {FSC_MAX_DAYS}.",
    )


class RetrospectiveForm(forms.Form):
    week = forms.DateField(
        label="Issued on the Monday of",
        required=False,
        input_formats=["%Y-%m-%d"],
        help_text="The report covers the week before that Monday.",
    )


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


@require_GET
@schedule_staff
def forward_schedule(request):
    """The Forward Schedule of Change (§8.10.1) as of now, for the days chosen."""
    form = ForwardScheduleForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    days = (form.cleaned_data.get("days") if form.is_bound and valid else None) or FSC_DEFAULT_DAYS
    now = timezone.now()
    rows = forward_schedule_rows(at=now, days=days, user=request.user) if valid else []
    columns = columns_for(ChangeReport.FORWARD_SCHEDULE)
    if valid and _wants_csv(request):
        return csv_response(
            filename=f"forward-schedule-of-change-{uk_today():%Y-%m-%d}.csv",
            columns=columns,
            rows=rows,
        )
    context = {
        "form": form,
        "title": ChangeReport.FORWARD_SCHEDULE.label,
        "section": "§8.10.1",
        "period": forward_schedule_period(now, days),
        "columns": columns,
        "rows": [[row[key] for key, _t in columns] for row in rows],
        "csv_query": urlencode({"days": days, "format": "csv"}),
        "nav_current": "change_schedule",
    }
    return render(request, "changes/schedule/report.html", context, status=200 if valid else 400)


@require_GET
@schedule_staff
def retrospective(request):
    """The Retrospective Change Report (§8.10.2) for the week before a Monday."""
    form = RetrospectiveForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    chosen = form.cleaned_data.get("week") if form.is_bound and valid else None
    week_of = monday_of(chosen or uk_today())
    rows = retrospective_rows(week_of=week_of, user=request.user) if valid else []
    columns = columns_for(ChangeReport.RETROSPECTIVE)
    if valid and _wants_csv(request):
        return csv_response(
            filename=f"retrospective-change-report-{week_of:%Y-%m-%d}.csv",
            columns=columns,
            rows=rows,
        )
    context = {
        "form": form,
        "title": ChangeReport.RETROSPECTIVE.label,
        "section": "§8.10.2",
        "period": retrospective_period(week_of),
        "columns": columns,
        "rows": [[row[key] for key, _t in columns] for row in rows],
        "csv_query": urlencode({"week": week_of.isoformat(), "format": "csv"}),
        "nav_current": "change_schedule",
    }
    return render(request, "changes/schedule/report.html", context, status=200 if valid else 400)


@require_GET
@schedule_staff
def report_runs(request):
    """The Monday issues of both reports, newest first (§8.10)."""
    if not may_see_issued_reports(request.user):
        raise PermissionDenied("The issued reports are for staff who see every change.")
    page = Paginator(ChangeReportRun.objects.defer("rows"), RUNS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"page_obj": page, "runs": page.object_list, "nav_current": "change_schedule"}
    return render(request, "changes/schedule/runs.html", context)


@require_GET
@schedule_staff
def report_run(request, pk: int):
    """One Monday issue of a report, as issued; `?format=csv` downloads it."""
    if not may_see_issued_reports(request.user):
        raise PermissionDenied("The issued reports are for staff who see every change.")
    run = get_object_or_404(ChangeReportRun, pk=pk)
    columns = columns_for(run.report)
    if _wants_csv(request):
        slug = run.report.replace("_", "-")
        return csv_response(
            filename=f"{slug}-{run.week_of:%Y-%m-%d}.csv", columns=columns, rows=run.rows
        )
    context = {
        "run": run,
        "title": run.get_report_display(),
        "columns": columns,
        "rows": [[row.get(key, "") for key, _t in columns] for row in run.rows],
        "nav_current": "change_schedule",
    }
    return render(request, "changes/schedule/run.html", context)


class SubscriptionForm(DomainErrorFormMixin, forms.Form):
    report = forms.ChoiceField(label="Report", choices=ChangeReport.choices)
    email = forms.EmailField(label="Email address", max_length=254)
    name = forms.CharField(label="Name", max_length=120, required=False)


def _subscribers_page(request, form, status=200):
    queryset = ChangeReportSubscription.objects.select_related("added_by")
    search = (request.GET.get("q") or "").strip()
    if search:
        queryset = queryset.filter(email__icontains=search)
    report = request.GET.get("report")
    if report in ChangeReport.values:
        queryset = queryset.filter(report=report)
    page = Paginator(queryset, SUBSCRIBERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "subscriptions": page.object_list,
        "q": search,
        "report": report or "",
        "reports": ChangeReport.choices,
        "nav_current": "change_schedule",
    }
    return render(request, "changes/schedule/subscribers.html", context, status=status)


@require_http_methods(["GET", "POST"])
@schedule_staff
def subscribers(request):
    """Who receives the Monday reports (§8.10); the Change Manager adds and removes them."""
    if not may_manage_reports(request.user):
        raise PermissionDenied("Only the Change Manager keeps the report subscribers.")
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                subscription = change_report_subscription_add(
                    actor=request.user, **form.cleaned_data
                )
            except DomainError as exc:
                form.add_domain_error(exc)
            else:
                messages.success(
                    request,
                    f"{subscription.email} now receives the {subscription.get_report_display()}.",
                )
                return redirect("change_schedule:subscribers")
        return _subscribers_page(request, form, status=400)
    return _subscribers_page(request, SubscriptionForm())


@require_POST
@schedule_staff
def subscriber_remove(request, pk: int):
    if not may_manage_reports(request.user):
        raise PermissionDenied("Only the Change Manager keeps the report subscribers.")
    subscription = get_object_or_404(ChangeReportSubscription, pk=pk)
    try:
        change_report_subscription_remove(actor=request.user, subscription=subscription)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{subscription.email} no longer receives the {subscription.get_report_display()}.",
        )
    return redirect("change_schedule:subscribers")


# --- the monthly metrics -----------------------------------------------------------------------


class MetricsForm(forms.Form):
    month = forms.DateField(
        label="Month",
        required=False,
        input_formats=["%Y-%m"],
        error_messages={"invalid": "Give the month as YYYY-MM."},
    )


@require_GET
@schedule_staff
def metrics(request):
    """The §8.11 monthly change metrics of a UK month (this month by default)."""
    form = MetricsForm(request.GET or None)
    valid = form.is_valid() if form.is_bound else True
    chosen = form.cleaned_data.get("month") if form.is_bound and valid else None
    month_first = (chosen or uk_today()).replace(day=1)
    context = {
        "form": form,
        "metrics": monthly_change_metrics(month_first) if valid else None,
        "month": month_first,
        "previous": (month_first - timedelta(days=1)).replace(day=1),
        "following": (month_first + timedelta(days=32)).replace(day=1),
        "nav_current": "change_schedule",
    }
    return render(request, "changes/schedule/metrics.html", context, status=200 if valid else 400)
