"""Raise a case for a caller who phones the desk (§3.1), in the console.

The agent chooses the organisation and the caller (an active participant of it), and fills in
every §3.2 field the portal's form asks for; the case goes through the same `case_create` as a
participant's, with the caller as its caller, the agent as `opened_by` and channel Phone, so
the participant finds it in My Cases and gets the usual acknowledgement.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.models import Organisation, User
from core.errors import DomainError

from . import services
from .forms import CaseCreateForm
from .models import Case

REFRESH = "_show_callers"


class CallerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.full_name} ({obj.email})" if obj.full_name else obj.email


class PhoneCaseForm(CaseCreateForm):
    """The portal's §3.2 form, with the organisation chosen from all registered ones and the
    caller from the active participants of the chosen organisation. Only those are offered,
    and only those are accepted: a caller of another organisation is refused next to the
    field (and `case_create` checks it again)."""

    caller = CallerChoiceField(
        queryset=User.objects.none(),
        label="Caller",
        empty_label="Choose the caller",
        help_text="The participant on the phone: the case is theirs, in their My Cases, and they "
        "get the acknowledgement email.",
        error_messages={
            "required": "Choose the caller.",
            "invalid_choice": "Choose a caller from the chosen organisation's active participants.",
        },
    )

    field_order = ["organisation", "caller"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = self.fields["organisation"]
        organisation.queryset = Organisation.objects.filter(active=True).order_by("name")
        organisation.empty_label = "Choose the organisation"
        organisation.help_text = "The caller's organisation, or the one below it the case is for."
        organisation.error_messages["invalid_choice"] = "Choose a registered organisation."
        # Worded for the agent; set on the bound fields, which the portal's form has already
        # made (it links the Party ID box to its checkbox).
        self[
            "party_id"
        ].help_text = (
            "The caller's market Party ID, for example ABCD. If they have none, tick the box below."
        )
        self[
            "unregistered_organisation_name"
        ].help_text = "If the caller's organisation is not yet registered in the market."
        self.fields["no_party_id"].label = "The caller does not have a party ID"
        self.fields["caller"].queryset = self._callers()

    def _callers(self):
        chosen = (
            self.data.get("organisation") if self.is_bound else self.initial.get("organisation")
        )
        try:
            organisation_id = int(chosen)
        except (TypeError, ValueError):
            return User.objects.none()
        return User.objects.filter(
            kind=User.Kind.PARTICIPANT, is_active=True, organisation_id=organisation_id
        ).order_by("full_name", "email")

    def service_arguments(self) -> dict:
        return {
            **super().service_arguments(),
            "caller": self.cleaned_data["caller"],
            "channel": Case.Channel.PHONE,
        }


def _initial_from(data) -> dict:
    """What the agent typed, kept as the initial values of an unbound form: choosing another
    organisation reloads the callers without showing errors on fields not filled in yet."""
    return {name: value for name, value in data.items() if name not in ("csrfmiddlewaretoken",)}


def raise_for_caller(model_admin, request):
    """The console page "Raise a case for a caller" (§3.1)."""
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    status = 200
    if request.method == "POST" and REFRESH not in request.POST:
        form = PhoneCaseForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                case = services.case_create(actor=request.user, **form.service_arguments())
            except DomainError as error:
                form.add_domain_error(error)
            else:
                model_admin.message_user(
                    request,
                    f"{case.number} raised for {case.caller} ({case.organisation}) by phone. "
                    "They have been emailed the acknowledgement and see it in My Cases.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:cases_case_change", args=[case.pk]))
        status = 400
    elif request.method == "POST":
        form = PhoneCaseForm(initial=_initial_from(request.POST), user=request.user)
    else:
        form = PhoneCaseForm(initial=_initial_from(request.GET), user=request.user)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Raise a case for a caller",
        "opts": model_admin.opts,
        "form": form,
        "refresh_name": REFRESH,
        "changelist_url": reverse("admin:cases_case_changelist"),
        "has_view_permission": True,
    }
    return TemplateResponse(
        request, "admin/cases/case/raise_for_caller.html", context, status=status
    )
