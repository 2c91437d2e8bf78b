"""Console views for incidents: reassignment between resolver groups (Appendix G) through
`incident_assign`, re-prioritisation through `incident_classify` (§3.8) and work notes through
`incident_work_note_add`. Refusals come back on the form or as messages, never as a 500."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.models import ResolverGroup
from core.admin import add_domain_error, error_fits_form
from core.errors import DomainError
from tickets.priority import Impact, Urgency

from .services import (
    incident_assign,
    incident_caller_update_add,
    incident_classify,
    incident_work_note_add,
)


class AssignForm(forms.Form):
    """A resolver group and, optionally, one of its members."""

    assignment_group = forms.ModelChoiceField(
        queryset=ResolverGroup.objects.filter(active=True).order_by("name"),
        label="Resolver group",
    )
    assigned_to = forms.ModelChoiceField(
        queryset=get_user_model()
        .objects.filter(is_active=True, is_staff=True, resolver_groups__isnull=False)
        .distinct()
        .order_by("email"),
        required=False,
        label="Assigned to (a member of the group)",
    )


def incident_assign_view(model_admin, request, object_id):
    incident = model_admin.get_object(request, unquote(object_id))
    if incident is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    change_url = reverse("admin:incidents_incident_change", args=[incident.pk])
    form = AssignForm(
        request.POST if request.method == "POST" else None,
        initial={
            "assignment_group": incident.assignment_group_id,
            "assigned_to": incident.assigned_to_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident = incident_assign(
                incident=incident,
                actor=request.user,
                assignment_group=form.cleaned_data["assignment_group"],
                assigned_to=form.cleaned_data["assigned_to"],
            )
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
            if not error_fits_form(form, error):
                return HttpResponseRedirect(change_url)
            add_domain_error(form, error)
        else:
            who = f" / {incident.assigned_to}" if incident.assigned_to_id else ""
            model_admin.message_user(
                request,
                f"{incident.number} assigned to {incident.assignment_group}{who}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Reassign {incident.number}",
        "opts": model_admin.opts,
        "original": incident,
        "form": form,
        "change_url": change_url,
        "has_view_permission": True,
    }
    return TemplateResponse(request, "admin/incidents/incident/assign.html", context)


class ClassifyForm(forms.Form):
    """Impact and urgency; the priority follows by the §3.8 matrix."""

    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, label="Impact")
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, label="Urgency")


class WorkNoteForm(forms.Form):
    """A resolver's technical note, which stays with the desk, or an update for the callers,
    which the desk checks before any caller sees it (Appendix G)."""

    KIND_CHOICES = [
        ("work_note", "Work note — stays with the desk"),
        ("caller_update", "Update for the callers — the service desk checks it before sending"),
    ]

    kind = forms.ChoiceField(
        choices=KIND_CHOICES, widget=forms.RadioSelect, initial="work_note", required=False
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Text")


def _form_error_text(form: forms.Form) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''}: {message}".lstrip(": ")
        for name, errors in form.errors.items()
        for message in errors
    )


def incident_classify_view(model_admin, request, object_id):
    """Set impact and urgency through `incident_classify` and go back to the incident."""
    incident = model_admin.get_object(request, unquote(object_id))
    if incident is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    change_url = reverse("admin:incidents_incident_change", args=[incident.pk])
    if request.method != "POST":
        return HttpResponseRedirect(change_url)
    form = ClassifyForm(request.POST)
    if not form.is_valid():
        model_admin.message_user(
            request, f"Choose impact and urgency. {_form_error_text(form)}", messages.ERROR
        )
        return HttpResponseRedirect(f"{change_url}#classify")
    old_priority = incident.priority
    try:
        incident = incident_classify(
            incident=incident,
            actor=request.user,
            impact=form.cleaned_data["impact"],
            urgency=form.cleaned_data["urgency"],
        )
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        if incident.priority == old_priority:
            text = f"{incident.number} stays at {incident.get_priority_display()}."
        else:
            text = (
                f"{incident.number} is now {incident.get_priority_display()}; "
                "its SLA clocks follow the new priority."
            )
        model_admin.message_user(request, text, messages.SUCCESS)
    return HttpResponseRedirect(f"{change_url}#classify")


def incident_work_note_view(model_admin, request, object_id):
    """Add a work note through `incident_work_note_add` and go back to the journal."""
    incident = model_admin.get_object(request, unquote(object_id))
    if incident is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    change_url = reverse("admin:incidents_incident_change", args=[incident.pk])
    if request.method != "POST":
        return HttpResponseRedirect(change_url)
    form = WorkNoteForm(request.POST)
    if not form.is_valid():
        model_admin.message_user(
            request, "Choose a work note or an update for the callers.", messages.ERROR
        )
        return HttpResponseRedirect(f"{change_url}#journal")
    caller_update = form.cleaned_data.get("kind") == "caller_update"
    add = incident_caller_update_add if caller_update else incident_work_note_add
    try:
        add(incident=incident, actor=request.user, body=form.cleaned_data.get("body", ""))
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        model_admin.message_user(
            request,
            "Update added; the service desk checks it before any caller sees it."
            if caller_update
            else "Work note added; it stays with the desk.",
            messages.SUCCESS,
        )
    return HttpResponseRedirect(f"{change_url}#journal")
