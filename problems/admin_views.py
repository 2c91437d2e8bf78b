"""Console views for problems: raising one (§6.4), raising one from an incident with its
fields filled in (§5.5 steps 16–18), recording the investigation (`problem_update`), work
notes and linking another incident. Each calls one service; refusals come back next to the
field or as messages, never as a 500."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.models import ResolverGroup
from core.admin import add_domain_error
from core.errors import DomainError
from incidents.models import Incident
from tickets.limits import COMMENT_MAX_CHARS, DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import Category, Service
from tickets.priority import Impact, Urgency
from tickets.selectors import visible_tickets

from .known_errors import may_publish_known_error, problem_known_error_publish
from .models import ProblemReviewCheck
from .selectors import incidents_of_problem, problem_fields_from_incident
from .services import (
    problem_create,
    problem_link_incident,
    problem_progress_update_add,
    problem_raise_from_incident,
    problem_review_record,
    problem_unlink_incident,
    problem_update,
    problem_work_note_add,
)


def _staff_in_groups():
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, resolver_groups__isnull=False)
        .distinct()
        .order_by("email")
    )


class ProblemForm(forms.Form):
    """The §6.5 fields a problem is raised with. Shapes only: the service checks the rules."""

    short_description = forms.CharField(label="Short description", max_length=SUBJECT_MAX_CHARS)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=DESCRIPTION_MAX_CHARS,
        help_text="Symptoms, impact and any initial findings.",
    )
    category = forms.ModelChoiceField(queryset=Category.objects.filter(active=True))
    service = forms.ModelChoiceField(
        queryset=Service.objects.filter(active=True),
        required=False,
        label="Configuration item",
        help_text="The affected service.",
    )
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int)
    urgency = forms.TypedChoiceField(
        choices=Urgency.choices,
        coerce=int,
        help_text="The priority follows from impact and urgency.",
    )
    assignment_group = forms.ModelChoiceField(
        queryset=ResolverGroup.objects.filter(active=True).order_by("name"),
        label="Assignment group",
    )
    assigned_to = forms.ModelChoiceField(
        queryset=_staff_in_groups(), required=False, label="Assigned to (a member of the group)"
    )


class ProblemUpdateForm(forms.Form):
    """The investigation of an open problem (§6.4 step 6, §6.5)."""

    root_cause = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=COMMENT_MAX_CHARS,
        help_text="Mandatory before the problem is resolved or closed.",
    )
    workaround = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=COMMENT_MAX_CHARS,
        help_text="Needed to close it as a Known Error.",
    )
    service = ProblemForm.base_fields["service"]
    category = ProblemForm.base_fields["category"]
    impact = ProblemForm.base_fields["impact"]
    urgency = ProblemForm.base_fields["urgency"]
    assignment_group = ProblemForm.base_fields["assignment_group"]
    assigned_to = ProblemForm.base_fields["assigned_to"]

    @classmethod
    def for_problem(cls, problem, data=None):
        return cls(
            data,
            initial={
                "root_cause": problem.root_cause,
                "workaround": problem.workaround,
                "service": problem.service_id,
                "category": problem.category_id,
                "impact": problem.impact,
                "urgency": problem.urgency,
                "assignment_group": problem.assignment_group_id,
                "assigned_to": problem.assigned_to_id,
            },
            prefix="update",
        )


class WorkNoteForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=COMMENT_MAX_CHARS,
        label="Work note",
        required=False,
    )


class LinkIncidentForm(forms.Form):
    incident = forms.CharField(max_length=20, label="Incident number", required=False)


class ProgressUpdateForm(forms.Form):
    """§6.4 step 7: a progress update; whoever raised the problem is told."""

    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=COMMENT_MAX_CHARS,
        label="Progress update",
        required=False,
    )
    customer_visible = forms.BooleanField(
        required=False,
        label="Share with the callers",
        help_text="Callers of cases linked to this problem read it on their case; for cases "
        "linked through its incidents, the desk checks it before sending.",
    )


class ReviewForm(forms.Form):
    """§6.4 step 10: the post-resolution review checklist."""

    items = forms.MultipleChoiceField(
        choices=ProblemReviewCheck.Item.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Done",
    )


def _form_page(model_admin, request, *, form, title: str, template: str, **extra):
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "form": form,
        "has_view_permission": True,
        **extra,
    }
    return TemplateResponse(request, template, context)


def problem_raise_view(model_admin, request):
    """`…/problems/problem/add/`: raise a problem (§6.4)."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = ProblemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            problem = problem_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            model_admin.message_user(
                request,
                f"{problem.number} raised and assigned to {problem.assignment_group}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(model_admin._url("change", problem.pk))
    return _form_page(
        model_admin,
        request,
        form=form,
        title="Raise a problem",
        template="admin/problems/problem/raise.html",
    )


def problem_from_incident_view(model_admin, request, incident_id):
    """`…/problems/problem/from-incident/<incident pk>/`: raise a problem from an incident,
    the form filled in from it (§5.5 step 17)."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    incident = (
        visible_tickets(Incident.objects.all(), user=request.user)
        .select_related("assignment_group", "category")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        model_admin.message_user(
            request, "That incident does not exist, or you may not see it.", messages.WARNING
        )
        return HttpResponseRedirect(reverse("admin:incidents_incident_changelist"))
    incident_url = reverse("admin:incidents_incident_change", args=[incident.pk])
    if request.method == "POST":
        form = ProblemForm(request.POST)
    else:
        initial = problem_fields_from_incident(incident)
        form = ProblemForm(initial={name: value for name, value in initial.items() if value})
    if request.method == "POST" and form.is_valid():
        try:
            problem = problem_raise_from_incident(
                incident=incident, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            model_admin.message_user(
                request,
                f"{problem.number} raised from {incident.number} and linked to it.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(model_admin._url("change", problem.pk))
    return _form_page(
        model_admin,
        request,
        form=form,
        title=f"Raise a problem from {incident.number}",
        template="admin/problems/problem/raise.html",
        source_name=incident.number,
        source_url=incident_url,
        source_title=incident.short_description,
    )


def _problem_or_redirect(model_admin, request, object_id):
    problem = model_admin.get_object(request, unquote(object_id))
    if problem is None:
        return None, model_admin._get_obj_does_not_exist_redirect(
            request, model_admin.opts, object_id
        )
    if request.method != "POST":
        return None, HttpResponseRedirect(model_admin._url("change", problem.pk))
    return problem, None


def problem_update_view(model_admin, request, object_id):
    """Record the investigation through `problem_update`; back to the problem."""
    problem, redirect = _problem_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    change_url = model_admin._url("change", problem.pk)
    form = ProblemUpdateForm.for_problem(problem, request.POST)
    if form.is_valid():
        try:
            problem_update(problem=problem, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            model_admin.message_user(request, f"{problem.number} updated.", messages.SUCCESS)
    else:
        wrong = ", ".join(str(form.fields[name].label or name) for name in form.errors)
        model_admin.message_user(request, f"Check these fields: {wrong}.", messages.ERROR)
    return HttpResponseRedirect(f"{change_url}#update")


def problem_work_note_view(model_admin, request, object_id):
    problem, redirect = _problem_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    form = WorkNoteForm(request.POST)
    form.is_valid()
    try:
        problem_work_note_add(
            problem=problem, actor=request.user, body=form.cleaned_data.get("body", "")
        )
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        model_admin.message_user(request, "Work note added.", messages.SUCCESS)
    return HttpResponseRedirect(f"{model_admin._url('change', problem.pk)}#journal")


def problem_link_incident_view(model_admin, request, object_id):
    problem, redirect = _problem_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    form = LinkIncidentForm(request.POST)
    form.is_valid()
    number = (form.cleaned_data.get("incident") or "").strip().upper()
    incident = (
        visible_tickets(Incident.objects.all(), user=request.user).filter(number=number).first()
        if number
        else None
    )
    if incident is None:
        model_admin.message_user(
            request,
            f"There is no incident {number}, or you may not see it."
            if number
            else "Give the number of the incident to link.",
            messages.ERROR,
        )
    else:
        try:
            problem_link_incident(problem=problem, incident=incident, actor=request.user)
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            model_admin.message_user(
                request, f"{incident.number} linked to {problem.number}.", messages.SUCCESS
            )
    return HttpResponseRedirect(f"{model_admin._url('change', problem.pk)}#incidents")


def problem_unlink_incident_view(model_admin, request, object_id):
    """Unlink an incident linked by mistake; back to the linked incidents."""
    problem, redirect = _problem_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    form = LinkIncidentForm(request.POST)
    form.is_valid()
    number = (form.cleaned_data.get("incident") or "").strip().upper()
    incident = incidents_of_problem(problem).filter(number=number).first() if number else None
    if incident is None:
        model_admin.message_user(
            request,
            f"{number or 'That incident'} is not linked to {problem.number}.",
            messages.ERROR,
        )
    else:
        try:
            problem_unlink_incident(problem=problem, incident=incident, actor=request.user)
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            model_admin.message_user(
                request, f"{incident.number} unlinked from {problem.number}.", messages.SUCCESS
            )
    return HttpResponseRedirect(f"{model_admin._url('change', problem.pk)}#incidents")


def problem_progress_view(model_admin, request, object_id):
    """Post a progress update (§6.4 step 7) through `problem_progress_update_add`."""
    problem, redirect = _problem_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    form = ProgressUpdateForm(request.POST)
    if not form.is_valid():
        model_admin.message_user(
            request, f"Keep the update to {COMMENT_MAX_CHARS:,} characters.", messages.ERROR
        )
        return HttpResponseRedirect(f"{model_admin._url('change', problem.pk)}#progress")
    try:
        problem_progress_update_add(
            problem=problem,
            actor=request.user,
            body=form.cleaned_data["body"],
            customer_visible=form.cleaned_data["customer_visible"],
        )
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        shared = " and shared with the callers" if form.cleaned_data["customer_visible"] else ""
        model_admin.message_user(request, f"Progress update added{shared}.", messages.SUCCESS)
    return HttpResponseRedirect(f"{model_admin._url('change', problem.pk)}#journal")


def problem_review_view(model_admin, request, object_id):
    """Record the post-resolution review checklist (§6.4 step 10)."""
    problem, redirect = _problem_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    form = ReviewForm(request.POST)
    if not form.is_valid():
        model_admin.message_user(request, "Tick only items of the checklist.", messages.ERROR)
    else:
        try:
            ticked = problem_review_record(
                problem=problem, actor=request.user, items=form.cleaned_data["items"]
            )
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            total = len(ProblemReviewCheck.Item.choices)
            done = (
                "complete: the problem may be closed"
                if len(ticked) == total
                else (f"{len(ticked)} of {total} items done")
            )
            model_admin.message_user(request, f"Review saved — {done}.", messages.SUCCESS)
    return HttpResponseRedirect(f"{model_admin._url('change', problem.pk)}#review")


def known_error_context(request, problem) -> dict:
    """The problem page's known-error panel: the linked article, and the button for those who
    may publish (§6.4)."""
    article = problem.known_error_article
    return {
        "known_error_article": article,
        "known_error_article_url": reverse("admin:knowledge_article_change", args=[article.pk])
        if article is not None
        else "",
        "known_error_url": reverse("admin:problems_problem_known_error", args=[problem.pk])
        if may_publish_known_error(request.user)
        else "",
    }


def problem_known_error_view(model_admin, request, object_id):
    """Publish the problem's known error as a knowledge article (`problem_known_error_publish`)."""
    problem, redirect = _problem_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    try:
        article = problem_known_error_publish(actor=request.user, problem=problem)
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        if (
            article.state == article.State.PUBLISHED
            and not article.versions.filter(state="in_review").exists()
        ):
            text = f"Known error published as {article.number}, version {article.version_label}."
        else:
            text = f"Known error saved in {article.number} and sent for review."
        model_admin.message_user(request, text, messages.SUCCESS)
    return HttpResponseRedirect(f"{model_admin._url('change', problem.pk)}#known-error")
