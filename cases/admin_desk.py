"""Console views for the desk's own hold on a case: the reopen queue and its decisions
(§10.3), assignment (with "assigned to me" on the case list) and the category while the case is
assessed (§5.17). Each action calls one service (`cases.reopening`, `cases.assessment`);
refusals come back as messages or next to the field, never as a 500.

`CaseAdmin` adds `urls(model_admin)` to its own and `case_page_context` to its case page;
the console home gets the queue's count from `reopen_summary`.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe

from core.admin import add_domain_error, error_fits_form, uk_time
from core.errors import DomainError
from core.pagination import CappedPaginator
from tickets.models import Category
from tickets.reference_cache import category_choices

from . import console_page
from .assessment import (
    ASSIGNABLE_STATES,
    RECATEGORISABLE_STATES,
    case_assign,
    case_assignees,
    case_category_change,
)
from .models import Case, ReopenRequest
from .reopening import reopen_request_queue_for, reopen_request_raise_case, reopen_request_reopen

QUEUE_PAGE_SIZE = 50


def _may_work(model_admin, request, obj=None) -> bool:
    return model_admin.has_change_permission(request, obj)


def _back(request, fallback: str) -> str:
    """Where a small action returns to: the page it was posted from, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- the reopen queue (§10.3) ----------------------------------------------------------------


def reopen_summary(request) -> dict | None:
    """The console home's line about the reopen queue: how many requests wait."""
    user = request.user
    if not user.has_perm("cases.change_case"):
        return None
    return {
        "pending": reopen_request_queue_for(user).order_by().count(),
        "url": reverse("admin:cases_case_reopen_queue"),
    }


def reopen_queue(model_admin, request):
    """Requests to reopen Closed cases, oldest first: reopen the case, or raise a new case
    linked to it (§10.3)."""
    if not _may_work(model_admin, request):
        raise PermissionDenied
    queue = reopen_request_queue_for(request.user)
    page = CappedPaginator(queue, QUEUE_PAGE_SIZE, counting=queue.order_by()).get_page(
        request.GET.get("p")
    )
    rows = [
        {
            "request": item,
            "received": uk_time(item.created_at),
            "change_url": reverse("admin:cases_case_change", args=[item.case_id]),
            "decide_url": reverse("admin:cases_case_reopen_decide", args=[item.pk]),
        }
        for item in page.object_list
    ]
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Requests to reopen closed cases",
        "opts": model_admin.opts,
        "rows": rows,
        "page": page,
        "queue_url": request.path,
    }
    return TemplateResponse(request, "admin/cases/case/reopen_queue.html", context)


def reopen_decide(model_admin, request, request_id):
    """Answer one request: `decision=reopen` reopens the case, `decision=new_case` raises a
    new case linked to it. POST only; back to the queue (or the page it came from)."""
    queue_url = reverse("admin:cases_case_reopen_queue")
    if request.method != "POST":
        return HttpResponseRedirect(queue_url)
    if not _may_work(model_admin, request):
        raise PermissionDenied
    back = _back(request, queue_url)
    item = ReopenRequest.objects.filter(pk=request_id).first()
    decision = request.POST.get("decision")
    if item is None or decision not in ("reopen", "new_case"):
        model_admin.message_user(
            request, "Choose to reopen the case or raise a new one.", messages.ERROR
        )
        return HttpResponseRedirect(back)
    try:
        if decision == "reopen":
            case = reopen_request_reopen(request=item, actor=request.user)
            text = f"{case.number} is reopened (In Progress); the caller has been told."
        else:
            new_case = reopen_request_raise_case(request=item, actor=request.user)
            text = (
                f"{new_case.number} raised and linked to {item.case.number}, which stays closed; "
                "the caller has been told to follow the new case."
            )
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        model_admin.message_user(request, text, messages.SUCCESS)
    return HttpResponseRedirect(back)


# --- assignment ------------------------------------------------------------------------------


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        queryset=case_assignees().none(),
        required=False,
        label="Assign to",
        empty_label="Nobody (unassign)",
        help_text="They are told in the console and by email, and the caller's replies reach them.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = case_assignees().order_by("full_name", "email")


def case_assign_view(model_admin, request, object_id):
    """Assign the case to a desk agent (`assign_to=me` takes it), reassign or unassign it."""
    case = model_admin.get_object(request, unquote(object_id))
    if case is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    change_url = reverse("admin:cases_case_change", args=[case.pk])
    if not _may_work(model_admin, request, case):
        model_admin.message_user(
            request, "You can read this case but not assign it.", messages.ERROR
        )
        return HttpResponseRedirect(change_url)
    if request.method == "POST" and request.POST.get("assign_to") == "me":
        try:
            case_assign(case=case, actor=request.user, assigned_to=request.user)
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            model_admin.message_user(
                request, f"{case.number} is assigned to you.", messages.SUCCESS
            )
        return HttpResponseRedirect(f"{change_url}#assignment")
    form = AssignForm(
        request.POST if request.method == "POST" else None,
        initial={"assigned_to": case.assigned_to_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = case_assign(
                case=case, actor=request.user, assigned_to=form.cleaned_data["assigned_to"]
            )
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
            if not error_fits_form(form, error):
                return HttpResponseRedirect(change_url)
            add_domain_error(form, error)
        else:
            who = case.assigned_to or "nobody"
            model_admin.message_user(
                request, f"{case.number} is assigned to {who}.", messages.SUCCESS
            )
            return HttpResponseRedirect(f"{change_url}#assignment")
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Assign {case.number}",
        "opts": model_admin.opts,
        "original": case,
        "form": form,
        "change_url": change_url,
        "has_view_permission": True,
    }
    return TemplateResponse(request, "admin/cases/case/assign.html", context)


class AssigneeFilter(admin.SimpleListFilter):
    """The case list by who works it: "assigned to me" first (Appendix G)."""

    title = "assignee"
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("none", "Unassigned"), ("any", "Assigned to someone")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assigned_to=request.user)
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        if value == "any":
            return queryset.filter(assigned_to__isnull=False)
        return queryset


# --- category while assessing (§5.17) --------------------------------------------------------


class CategoryForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        label="Category",
        error_messages={"required": "Choose a category."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True)


def case_category_view(model_admin, request, object_id):
    """Change the case's category through `case_category_change`; back to the page it was
    changed from (the case page or its triage page)."""
    case = model_admin.get_object(request, unquote(object_id))
    if case is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    change_url = reverse("admin:cases_case_change", args=[case.pk])
    back = _back(request, change_url)
    if request.method != "POST":
        return HttpResponseRedirect(back)
    if not _may_work(model_admin, request, case):
        model_admin.message_user(
            request, "You can read this case but not change its category.", messages.ERROR
        )
        return HttpResponseRedirect(back)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        model_admin.message_user(request, "Choose a category from the list.", messages.ERROR)
        return HttpResponseRedirect(back)
    old = case.category
    try:
        case = case_category_change(
            case=case, actor=request.user, category=form.cleaned_data["category"]
        )
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        if case.category_id == getattr(old, "pk", None):
            text = f"{case.number} stays in {case.category}."
        else:
            text = f"{case.number} is now in {case.category} (was {old or 'none'})."
        model_admin.message_user(request, text, messages.SUCCESS)
    return HttpResponseRedirect(back)


class CategoryDisplayForm(CategoryForm):
    """The category form as the case and triage pages show it: its choices are the active
    categories the process keeps (tickets.reference_cache) and its select is drawn in Python
    (`console_page.select_html`), Django's markup without its widget templates (issue 9: the
    query and the templates were a tenth of the case page). Changes post to `CategoryForm`,
    which checks the choice against the database."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        field.choices = [("", field.empty_label), *category_choices(active_only=True)]

    def field_html(self) -> SafeString:
        bound = self["category"]
        return format_html(
            '<label for="{}">{}:</label> {}',
            bound.id_for_label,
            bound.label,
            mark_safe(console_page.select_html(bound)),  # noqa: S308 — escaped by select_html
        )


def category_form_for(case: Case) -> CategoryDisplayForm | None:
    """The category form for a case the desk is still assessing, else None."""
    if case.state not in RECATEGORISABLE_STATES:
        return None
    return CategoryDisplayForm(initial={"category": case.category_id}, auto_id="id_recategorise_%s")


# --- the case page ---------------------------------------------------------------------------


def case_page_context(model_admin, request, obj) -> dict:
    """What the case page's assignment, category and reopen panels need. The pending request
    is read only for a Closed case; the category choices only while the case is assessed."""
    if not _may_work(model_admin, request, obj):
        return {}
    context = {
        "assign_url": reverse("admin:cases_case_assign", args=[obj.pk])
        if obj.state in ASSIGNABLE_STATES
        else "",
        "assigned_to_me": obj.assigned_to_id == request.user.pk,
        "category_url": reverse("admin:cases_case_category", args=[obj.pk]),
        "category_form": category_form_for(obj),
    }
    if obj.state == Case.State.CLOSED:
        context["pending_reopen"] = (
            ReopenRequest.objects.filter(case=obj, status=ReopenRequest.Status.PENDING)
            .select_related("requester")
            .first()
        )
        context["reopen_decide_url"] = (
            reverse("admin:cases_case_reopen_decide", args=[context["pending_reopen"].pk])
            if context["pending_reopen"]
            else ""
        )
    return context


def urls(model_admin) -> list:
    prefix = f"{model_admin.opts.app_label}_{model_admin.opts.model_name}"
    view = model_admin.admin_site.admin_view

    def bound(function):
        def wrapped(request, *args, **kwargs):
            return function(model_admin, request, *args, **kwargs)

        return view(wrapped)

    return [
        path("reopen-requests/", bound(reopen_queue), name=f"{prefix}_reopen_queue"),
        path(
            "reopen-requests/<int:request_id>/decide/",
            bound(reopen_decide),
            name=f"{prefix}_reopen_decide",
        ),
        path("<path:object_id>/assign/", bound(case_assign_view), name=f"{prefix}_assign"),
        path("<path:object_id>/category/", bound(case_category_view), name=f"{prefix}_category"),
    ]
