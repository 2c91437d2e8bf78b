"""The console's registrations (§10.1): the desk's list of people waiting for approval, and
the page where an agent approves one (attaching the person to an organisation) or refuses it
with a reason. Both go through `accounts.services`; refusals come back next to their field."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from core.admin import add_domain_error, uk_time
from core.errors import DomainError

from .forms import RegistrationRefuseForm
from .models import Organisation, RegistrationRequest
from .services import registration_approve, registration_refuse


class RegistrationStatusFilter(admin.SimpleListFilter):
    """Waiting registrations first: the list opens on them (the desk's pending list)."""

    title = "status"
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [*RegistrationRequest.Status.choices, (self.ALL, "All")]

    def value(self):
        return super().value() or RegistrationRequest.Status.PENDING

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.ALL:
            return queryset
        return queryset.filter(status=value)

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class ConsoleApproveForm(forms.Form):
    """The organisation to attach the person to: the one they chose, or — theirs not being
    listed — the one the desk finds them in."""

    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(active=True).order_by("name"),
        label="Attach to",
        empty_label="Choose an organisation",
        error_messages={"required": "Choose the organisation to attach them to."},
    )


class ConsoleRefuseForm(RegistrationRefuseForm):
    """The reason, as the organisation admin's page asks for it."""


def registration_decide(model_admin, request, object_id):
    """Approve or refuse one registration (§10.1). Two forms on one page, like triage: the
    one posted (`decision`) is bound; the service's refusal lands next to its field."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    registration = model_admin.get_object(request, unquote(object_id))
    if registration is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    decision = request.POST.get("decision") if request.method == "POST" else None
    approve_form = ConsoleApproveForm(
        request.POST if decision == "approve" else None,
        initial={"organisation": registration.organisation_id},
    )
    refuse_form = ConsoleRefuseForm(request.POST if decision == "refuse" else None)
    list_url = reverse("admin:accounts_registrationrequest_changelist")
    status = 200
    if decision in ("approve", "refuse"):
        form = approve_form if decision == "approve" else refuse_form
        if form.is_valid():
            try:
                if decision == "approve":
                    organisation = form.cleaned_data["organisation"]
                    registration_approve(
                        registration=registration,
                        actor=request.user,
                        organisation=organisation,
                        request=request,
                    )
                    done = (
                        f"{registration.user.email} is now a member of {organisation}; "
                        "we have emailed them."
                    )
                else:
                    registration_refuse(
                        registration=registration,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        request=request,
                    )
                    done = f"The registration of {registration.user.email} has been refused."
            except DomainError as error:
                add_domain_error(form, error)
            else:
                model_admin.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(list_url)
        status = 400
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Registration of {registration.user.email}",
        "opts": model_admin.opts,
        "original": registration,
        "registered": uk_time(registration.created_at),
        "decided": uk_time(registration.decided_at),
        "approve_form": approve_form,
        "refuse_form": refuse_form,
        "active_decision": decision,
        "list_url": list_url,
        "has_view_permission": True,
    }
    return TemplateResponse(
        request, "admin/accounts/registrationrequest/decide.html", context, status=status
    )
