"""Service requests on the console case page (`admin/cases/case/_service_request.html`): the
form agreeing a Custom request's target (§7.2 Custom) — on the case page and, when the agent's
input needs correcting, on a page of its own with each error next to its field — and when the
next status update to a report request's requester is due (§14.4). The rules live in
`cases.request_targets` and `cases.report_updates`."""

from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from core.admin import add_domain_error
from core.dates import uk_datetime
from core.errors import DomainError
from sla.calendar import LONDON
from sla.selectors import agreed_target_clock_for

from .report_updates import (
    MINOR_CADENCE,
    is_report_request,
    report_requests_owing_updates,
    report_update_cadence,
    report_update_due_at,
)
from .request_targets import REASON_MAX, case_custom_target_agree, case_custom_target_open


class CustomTargetForm(forms.Form):
    """The agreed date and time (UK time) and the reason, for the desk."""

    due_date = forms.DateField(
        label="Agreed date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Enter the agreed date.", "invalid": "Enter a real date."},
    )
    due_time = forms.TimeField(
        label="Agreed time (UK time)",
        initial="17:00",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={
            "required": "Enter the agreed time.",
            "invalid": "Enter a time like 17:00.",
        },
    )
    reason = forms.CharField(
        label="Reason",
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this date, e.g. what was agreed with the requester. Stays with the desk.",
        error_messages={"required": "Say why this date was agreed."},
    )

    def due_at(self) -> datetime:
        return datetime.combine(
            self.cleaned_data["due_date"], self.cleaned_data["due_time"], tzinfo=LONDON
        )

    def add_service_error(self, error: DomainError) -> None:
        """The service names the instant `due_at`; the form shows it on the date."""
        if "due_at" in error.field_errors:
            error.field_errors = {
                ("due_date" if field == "due_at" else field): messages_
                for field, messages_ in error.field_errors.items()
            }
        add_domain_error(self, error)


def service_request_context(model_admin, request, case) -> dict:
    """What the case page shows of a service request: the next report update due (one query,
    for report requests only) and the Custom target form (one query, for open Custom requests
    the agent may change)."""
    context = {}
    if is_report_request(case):
        owing = report_requests_owing_updates().filter(pk=case.pk).first()
        if owing is not None:
            cadence = report_update_cadence(owing)
            context["report_update"] = {
                "due_at": report_update_due_at(owing),
                "hours": int(cadence.total_seconds() // 3600),
                "minor": cadence == MINOR_CADENCE,
            }
    return {**context, **_custom_target_context(model_admin, request, case)}


def _custom_target_context(model_admin, request, case) -> dict:
    if not (case_custom_target_open(case) and model_admin.has_change_permission(request, case)):
        return {}
    clock = agreed_target_clock_for(case)
    if clock is None:
        return {}
    return {
        "custom_target": {
            "form": CustomTargetForm(),
            "url": reverse("admin:cases_case_custom_target", args=[case.pk]),
            "deadline": clock.deadline,
        }
    }


def custom_target_view(model_admin, request, object_id):
    """POST: agree the target and go back to the case; a refusal about the input comes back
    on this page with the errors next to their fields."""
    case = model_admin.get_object(request, unquote(object_id))
    if case is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if not model_admin.has_change_permission(request, case):
        raise PermissionDenied
    change_url = reverse("admin:cases_case_change", args=[case.pk])
    if request.method != "POST":
        form = CustomTargetForm()
    else:
        form = CustomTargetForm(request.POST)
        if form.is_valid():
            try:
                clock = case_custom_target_agree(
                    case=case,
                    actor=request.user,
                    due_at=form.due_at(),
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as error:
                if not error.field_errors:
                    model_admin.message_user(request, error.message, messages.ERROR)
                    return HttpResponseRedirect(change_url)
                form.add_service_error(error)
            else:
                shown = uk_datetime(clock.deadline)
                model_admin.message_user(
                    request,
                    f"Target agreed for {case.number}: fulfilled by {shown} (UK time).",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(f"{change_url}#sla-panel")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Agree the target of {case.number}",
        "opts": model_admin.opts,
        "original": case,
        "case": case,
        "custom_target": {"form": form, "url": request.path, "deadline": None},
        "change_url": change_url,
        "has_view_permission": True,
    }
    status = 400 if form.is_bound else 200
    return TemplateResponse(request, "admin/cases/case/custom_target.html", context, status=status)
