"""Console views for cases: the first-line triage queue and triage page (§4.1), and the
comment / work-note form (Appendix G). Each action calls one service in `cases.services`;
refusals come back as form errors or messages."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import ResolverGroup, ServiceDesk
from core.admin import add_domain_error, error_fits_form, uk_time
from core.errors import DomainError, ValidationFailed
from core.markup import html_format, html_join
from core.pagination import CappedPaginator
from core.urls import reverse_fixed
from tickets.admin_list import PK_PLACEHOLDER
from tickets.priority import Impact, Urgency
from tickets.selectors import attachments_for, visible_tickets

from . import admin_desk
from .knowledge_links import case_reply_articles_record
from .models import TRIAGE_TARGET, Case
from .services import (
    case_comment_add,
    case_convert_to_request,
    case_raise_change,
    case_raise_incident,
    case_raise_problem,
    case_reroute,
)

QUEUE_PAGE_SIZE = 50


def _new_cases(user):
    return visible_tickets(Case.objects.filter(state=Case.State.NEW), user=user)


def triage_summary(request) -> dict | None:
    """The index panel's numbers: New cases, and how many are past the 15-minute target."""
    user = request.user
    if not user.has_perm("cases.view_case"):
        return None
    counts = _new_cases(user).aggregate(
        new=Count("pk"), overdue=Count("pk", filter=Q(opened_at__lt=timezone.now() - TRIAGE_TARGET))
    )
    return {**counts, "url": reverse("admin:cases_case_triage_queue")}


def triage_queue(model_admin, request):
    """New cases, oldest first, with the minutes since each was raised (§4.1)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    now = timezone.now()
    # Sorted by the triage clock's deadline (§4.1: 15 minutes from raising), which the SLA
    # engine keeps on the case (`triage_due_at`); cases that have no triage clock (not raised
    # in the portal) follow in the order they were raised. The `case_triage_queue` index
    # serves this order, so the page reads only its own rows (issue 9).
    new_cases = _new_cases(request.user)
    queue = new_cases.order_by(F("triage_due_at").asc(nulls_last=True), "opened_at", "pk").values(
        *QUEUE_ROW_VALUES
    )
    # Counted from the cases alone: the rows' joins would be carried into the count.
    page = CappedPaginator(queue, QUEUE_PAGE_SIZE, counting=new_cases.order_by()).get_page(
        request.GET.get("p")
    )
    rows = [_queue_row(values, now) for values in page.object_list]
    can_triage = request.user.has_perm("cases.triage_case")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Triage queue",
        "opts": model_admin.opts,
        "rows": rows,
        "page": page,
        "target_minutes": int(TRIAGE_TARGET.total_seconds() // 60),
        "can_triage": can_triage,
        "rows_html": _queue_rows_html(rows, can_triage=can_triage),
    }
    return TemplateResponse(request, "admin/cases/case/triage_queue.html", context)


# The queue's columns, read as plain values through the joins: a page of 50 builds no model
# instances (issue 9).
QUEUE_ROW_VALUES = (
    "pk",
    "number",
    "short_description",
    "opened_at",
    "triage_due_at",
    "organisation__name",
    "category__name",
    "caller__email",
)


def _queue_row(values: dict, now) -> dict:
    """One queue row: the case's values, the minutes it has waited and whether that is past
    the 15-minute target (§4.1)."""
    waited = now - values["opened_at"]
    return {
        **values,
        "opened": uk_time(values["opened_at"]),
        "minutes": int(waited.total_seconds() // 60),
        "overdue": waited > TRIAGE_TARGET,
        "triage_deadline": uk_time(values["triage_due_at"]),
    }


def _queue_rows_html(rows: list[dict], *, can_triage: bool) -> str:
    """The queue's table rows drawn in Python, one format string per row: the template engine
    spent more on 50 rows of nine cells than the queries did (issue 9). The two links come
    from URL templates reversed once per process (`core.urls.reverse_fixed`)."""
    change_url = reverse_fixed("admin:cases_case_change", object_id=PK_PLACEHOLDER)
    triage_url = reverse_fixed("admin:cases_case_triage", object_id=PK_PLACEHOLDER)
    # Each cell carries its column's heading, shown beside the value when a phone stacks
    # the rows as cards (console.css, issue 10).
    row_html = (
        '<tr class="triage-row{}" data-case="{}">'
        '<td class="triage-number" data-label="Number"><a href="{}">{}</a></td>'
        '<td class="triage-subject" data-label="Subject">{}</td>'
        '<td class="triage-organisation" data-label="Organisation">{}</td>'
        '<td class="triage-category" data-label="Category">{}</td>'
        '<td class="triage-caller" data-label="Caller">{}</td>'
        '<td class="triage-raised nowrap" data-label="Raised">{}</td>'
        '<td class="triage-due nowrap" data-label="Triage due">{}</td>'
        '<td class="triage-minutes" data-label="Minutes waiting">{}{}</td>'
        '<td class="triage-action">{}</td></tr>\n'
    )
    overdue = html_format(' <span class="console-overdue">overdue</span>')
    button = '<a class="console-button" href="{}">Triage</a>'
    return html_join(
        html_format(
            row_html,
            " triage-overdue" if row["overdue"] else "",
            row["number"],
            change_url.replace(PK_PLACEHOLDER, str(row["pk"])),
            row["number"],
            row["short_description"],
            row["organisation__name"] or "-",
            row["category__name"] or "-",
            row["caller__email"] or "-",
            row["opened"],
            row["triage_deadline"],
            row["minutes"],
            overdue if row["overdue"] else "",
            html_format(button, triage_url.replace(PK_PLACEHOLDER, str(row["pk"])))
            if can_triage
            else "",
        )
        for row in rows
    )


class RerouteForm(forms.Form):
    """§4.1 step 2: not for this desk; tell the raiser which desk to contact (§3.11, §18.4)."""

    desk = forms.ModelChoiceField(
        queryset=ServiceDesk.objects.filter(active=True).order_by("name"),
        required=False,
        label="Desk to re-route to",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Note to the raiser (optional)",
        help_text="Added to the customer-visible comment with the desk's contact details.",
    )


class RequestForm(forms.Form):
    """§4.1 step 5: a service request of one of the §7.2 types (always P4)."""

    request_type = forms.ChoiceField(
        choices=[("", "---------"), *Case.RequestType.choices],
        required=False,
        label="Request type",
    )


class IncidentForm(forms.Form):
    """§4.1 step 4: an incident for a resolver group, prioritised by the §3.8 matrix."""

    assignment_group = forms.ModelChoiceField(
        queryset=ResolverGroup.objects.filter(active=True).order_by("name"),
        required=False,
        label="Resolver group",
    )
    impact = forms.TypedChoiceField(
        choices=[("", "---------"), *Impact.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    urgency = forms.TypedChoiceField(
        choices=[("", "---------"), *Urgency.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )


class ProblemOutcomeForm(IncidentForm):
    """§6.4 steps 1–4: an underlying problem — raise a new one for a resolver group at the
    §3.8 priority, or give the number of an open problem to link the case to."""

    problem = forms.CharField(
        max_length=20,
        required=False,
        label="Existing problem number (optional)",
        help_text="Link the case to this open problem instead of raising a new one.",
    )


class ChangeOutcomeForm(forms.Form):
    """§4.1 step 3: the case is assigned to Change Management; a change is raised from it."""

    change_type = forms.ChoiceField(
        choices=[("normal", "Normal"), ("emergency", "Emergency")],
        label="Type of change",
        help_text="Emergency only to restore service or prevent imminent impact.",
    )
    assignment_group = forms.ModelChoiceField(
        queryset=ResolverGroup.objects.filter(active=True).order_by("name"),
        required=False,
        label="Group implementing it (optional)",
    )


OUTCOME_FORMS = {"reroute": RerouteForm, "request": RequestForm, "incident": IncidentForm}
OUTCOME_FORMS["problem"] = ProblemOutcomeForm
OUTCOME_FORMS["change"] = ChangeOutcomeForm


def _problem_outcome(request, case: Case, data: dict):
    """Raise or link a problem from the case; an unknown number is refused next to the field."""
    from problems.models import Problem

    number = (data.get("problem") or "").strip().upper()
    problem = None
    if number:
        problem = Problem.objects.filter(number=number).first()
        if problem is None:
            raise ValidationFailed(
                f"There is no problem {number}, or you may not see it.",
                field_errors={"problem": [f"There is no problem {number}."]},
            )
    problem = case_raise_problem(
        case=case,
        actor=request.user,
        problem=problem,
        assignment_group=data["assignment_group"],
        impact=data["impact"],
        urgency=data["urgency"],
    )
    verb = "linked to" if number else "raised from"
    return (
        f"Problem {problem.number} {verb} {case.number}; the caller has been told.",
        reverse("admin:problems_problem_change", args=[problem.pk]),
    )


def _run_outcome(request, case: Case, outcome: str, data: dict):
    actor = request.user
    if outcome == "reroute":
        case = case_reroute(case=case, actor=actor, desk=data["desk"], note=data["note"])
        return (
            f"{case.number} re-routed to {case.rerouted_to}: the raiser has been told where to "
            "go and the case is resolved.",
            reverse("admin:cases_case_triage_queue"),
        )
    if outcome == "request":
        case = case_convert_to_request(case=case, actor=actor, request_type=data["request_type"])
        return (
            f"{case.number} is now a {case.get_request_type_display()} service request (P4), "
            f"{case.get_state_display()}.",
            reverse("admin:cases_case_triage_queue"),
        )
    if outcome == "problem":
        return _problem_outcome(request, case, data)
    if outcome == "change":
        change = case_raise_change(
            case=case,
            actor=actor,
            change_type=data["change_type"],
            assignment_group=data["assignment_group"],
        )
        return (
            f"{case.number} assigned to Change Management: change {change.number} raised; the "
            "caller has been told.",
            reverse("admin:changes_change_change", args=[change.pk]),
        )
    incident = case_raise_incident(
        case=case,
        actor=actor,
        assignment_group=data["assignment_group"],
        impact=data["impact"],
        urgency=data["urgency"],
    )
    return (
        f"Incident {incident.number} raised from {case.number} for {incident.assignment_group} "
        f"at {incident.get_priority_display()}.",
        reverse("admin:incidents_incident_change", args=[incident.pk]),
    )


def triage_case(model_admin, request, object_id):
    """One case's triage: re-route, service request or incident (§4.1 steps 2–5)."""
    case = model_admin.get_object(request, unquote(object_id))
    if case is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    outcome = request.POST.get("outcome") if request.method == "POST" else None
    forms_by_outcome = {
        name: form_class(request.POST if name == outcome else None, prefix=name)
        for name, form_class in OUTCOME_FORMS.items()
    }
    if outcome is not None and outcome not in OUTCOME_FORMS:
        model_admin.message_user(
            request,
            "Choose re-route, service request, incident, problem or change.",
            messages.ERROR,
        )
        outcome = None
    if outcome is not None:
        form = forms_by_outcome[outcome]
        if form.is_valid():
            try:
                message, next_url = _run_outcome(request, case, outcome, form.cleaned_data)
            except DomainError as error:
                model_admin.message_user(request, error.message, messages.ERROR)
                if error_fits_form(form, error):
                    add_domain_error(form, error)
                else:
                    return HttpResponseRedirect(request.path)
            else:
                model_admin.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(next_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Triage {case.number}",
        "opts": model_admin.opts,
        "original": case,
        "case": case,
        "opened": uk_time(case.opened_at),
        "attachments": list(attachments_for(case)),
        "reroute_form": forms_by_outcome["reroute"],
        "request_form": forms_by_outcome["request"],
        "incident_form": forms_by_outcome["incident"],
        "problem_form": forms_by_outcome["problem"],
        "change_form": forms_by_outcome["change"],
        "active_outcome": outcome,
        "change_url": reverse("admin:cases_case_change", args=[case.pk]),
        "queue_url": reverse("admin:cases_case_triage_queue"),
        "has_view_permission": True,
        # §5.17: the category can be corrected while triaging; the incident takes it.
        "category_form": admin_desk.category_form_for(case),
        "category_url": reverse("admin:cases_case_category", args=[case.pk]),
    }
    return TemplateResponse(request, "admin/cases/case/triage.html", context)


class CommentForm(forms.Form):
    """A customer-visible comment (emailed to the caller) or a work note (desk only)."""

    KIND_CHOICES = [
        ("comment", "Customer-visible comment — the caller is emailed"),
        ("work_note", "Work note — stays with the desk"),
    ]

    kind = forms.ChoiceField(choices=KIND_CHOICES, widget=forms.RadioSelect, initial="work_note")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Text")


def case_comment(model_admin, request, object_id):
    """Add a comment or work note through `case_comment_add` and go back to the case."""
    case = model_admin.get_object(request, unquote(object_id))
    if case is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    change_url = reverse("admin:cases_case_change", args=[case.pk])
    if request.method != "POST":
        return HttpResponseRedirect(change_url)
    if not model_admin.has_change_permission(request, case):
        model_admin.message_user(
            request, "You can read this case but not add to its journal.", messages.ERROR
        )
        return HttpResponseRedirect(change_url)
    form = CommentForm(request.POST)
    if not form.is_valid():
        model_admin.message_user(
            request, "Choose a customer-visible comment or a work note.", messages.ERROR
        )
        return HttpResponseRedirect(change_url)
    work_note = form.cleaned_data["kind"] == "work_note"
    try:
        case_comment_add(
            case=case, actor=request.user, body=form.cleaned_data["body"], work_note=work_note
        )
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        if not work_note:
            # Articles attached from the Knowledge panel (cases.knowledge_panel).
            case_reply_articles_record(
                case=case, actor=request.user, article_ids=request.POST.getlist("knowledge_article")
            )
        model_admin.message_user(
            request,
            "Work note added; it stays with the desk."
            if work_note
            else "Comment added; the caller is emailed a link to it.",
            messages.SUCCESS,
        )
    return HttpResponseRedirect(f"{change_url}#journal")
