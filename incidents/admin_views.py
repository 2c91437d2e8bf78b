"""Console view for incidents: reassignment between resolver groups (Appendix G) through
`incident_assign`; refusals come back on the form."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.models import ResolverGroup
from tickets.admin import add_domain_error, error_fits_form
from tickets.errors import DomainError

from .services import incident_assign


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
