"""Console views for incidents: raising one directly (§5.4, §5.7) through `incident_create`,
correcting its details through `incident_update`, reassignment between resolver groups
(Appendix G) through `incident_assign`, re-prioritisation through `incident_classify` (§3.8),
work notes and updates for the callers, engaging and releasing people (§5.5 step 7,
`incident_engage`) and the incident report (§5.5 step 16, `incident_report_write`).
Refusals come back on the form or as messages, never as a 500."""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.models import Organisation, ResolverGroup
from core.admin import add_domain_error, error_fits_form
from core.errors import DomainError
from tickets.limits import DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import Category, Service, Subcategory
from tickets.priority import Impact, Urgency

from .models import Incident, IncidentEngagement
from .selectors import incident_engagements_for, incident_report_for
from .services import (
    ENGAGEMENT_TEXT_LIMITS,
    REASON_MAX_CHARS,
    incident_assign,
    incident_caller_update_add,
    incident_classify,
    incident_create,
    incident_engage,
    incident_engagement_release,
    incident_report_write,
    incident_update,
    incident_work_note_add,
)

User = get_user_model()


def _group_member_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        queryset=get_user_model()
        .objects.filter(is_active=True, is_staff=True, resolver_groups__isnull=False)
        .distinct()
        .order_by("email"),
        required=False,
        label="Assigned to (a member of the group)",
    )


class AssignForm(forms.Form):
    """A resolver group and, optionally, one of its members, with the reason for the move."""

    assignment_group = forms.ModelChoiceField(
        queryset=ResolverGroup.objects.filter(active=True).order_by("name"),
        label="Resolver group",
    )
    assigned_to = _group_member_field()
    reason = forms.CharField(
        max_length=REASON_MAX_CHARS,
        required=False,
        label="Reason",
        help_text="Why it moves; kept in the assignment history.",
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
                reason=form.cleaned_data["reason"],
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


# --- raising an incident and correcting its details (§5.4, §5.7) -----------------------------


def _optional_choices(choices) -> list:
    return [("", "---------"), *choices]


class SubcategoryChoiceField(forms.TypedChoiceField):
    """Subcategories grouped under their categories; whether the one chosen belongs to the
    incident's category is the service's to say."""

    def __init__(self, **kwargs):
        super().__init__(coerce=self._subcategory, empty_value=None, required=False, **kwargs)
        self.offer()

    def offer(self, *, kept_id: int | None = None) -> None:
        """Offer the active subcategories, and the one the incident has even if retired since,
        so that saving other fields does not clear it."""
        offered = Q(active=True) | Q(pk=kept_id) if kept_id else Q(active=True)

        def grouped() -> list:
            groups: dict[str, list] = {}
            for pk, category, name in Subcategory.objects.filter(offered).values_list(
                "pk", "category__name", "name"
            ):
                groups.setdefault(category, []).append((pk, name))
            return [("", "---------"), *groups.items()]

        self.choices = grouped

    @staticmethod
    def _subcategory(value):
        return Subcategory.objects.select_related("category").get(pk=int(value))


class IncidentFieldsForm(forms.Form):
    """What an incident records: the §5.4 mandatory fields and the §5.7 logging fields.

    Fields are optional here on purpose: `incident_create` and `incident_update` say what is
    missing, in their words."""

    short_description = forms.CharField(
        label="Subject", max_length=SUBJECT_MAX_CHARS, required=False
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=DESCRIPTION_MAX_CHARS, required=False
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(active=True, is_service_request=False).order_by(
            "sort_order", "name"
        ),
        required=False,
    )
    subcategory = SubcategoryChoiceField(help_text="Optional; one listed under the category.")
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(active=True).order_by("sort_order", "name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Systems affected",
    )
    symptoms = forms.CharField(
        label="Observed symptoms",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=DESCRIPTION_MAX_CHARS,
        required=False,
    )
    detected_at = forms.DateTimeField(
        label="Detected at (UK time)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        required=False,
        help_text="When the failure was first detected.",
    )
    detection_method = forms.ChoiceField(
        label="How detected",
        choices=_optional_choices(Incident.DetectionMethod.choices),
        required=False,
    )
    initial_severity = forms.TypedChoiceField(
        choices=_optional_choices(Incident.Severity.choices),
        coerce=int,
        empty_value=None,
        required=False,
        label="Initial severity",
    )


class IncidentRaiseForm(IncidentFieldsForm):
    """Raising an incident directly: its fields, priority (§3.8) and who works it."""

    impact = forms.TypedChoiceField(
        choices=_optional_choices(Impact.choices), coerce=int, empty_value=None, required=False
    )
    urgency = forms.TypedChoiceField(
        choices=_optional_choices(Urgency.choices), coerce=int, empty_value=None, required=False
    )
    assignment_group = forms.ModelChoiceField(
        queryset=ResolverGroup.objects.filter(active=True).order_by("name"),
        required=False,
        label="Resolver group",
    )
    assigned_to = _group_member_field()
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(active=True).order_by("name"),
        required=False,
        help_text="The organisation affected, if one is; defaults to the caller's.",
    )
    caller = forms.EmailField(
        required=False,
        label="Caller's email",
        help_text="The person who reported it, if they have an account.",
    )

    def clean_caller(self):
        email = self.cleaned_data.get("caller")
        if not email:
            return None
        caller = User.objects.filter(email__iexact=email, is_active=True).first()
        if caller is None:
            raise forms.ValidationError("There is no active account with that address.")
        return caller


def _render_form(model_admin, request, *, template: str, title: str, form, **extra):
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "form": form,
        "has_view_permission": True,
        **extra,
    }
    return TemplateResponse(request, template, context)


def incident_raise_view(model_admin, request):
    """The console's "Raise incident" page (§5.4, §5.7): staff raise an incident directly."""
    if not model_admin.has_add_permission(request):
        model_admin.message_user(
            request, "Only the service desk can raise incidents.", messages.ERROR
        )
        return HttpResponseRedirect(reverse("admin:incidents_incident_changelist"))
    form = IncidentRaiseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = incident_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            model_admin.message_user(
                request,
                f"{incident.number} raised with priority {incident.get_priority_display()} "
                f"and assigned to {incident.assignment_group}.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse("admin:incidents_incident_change", args=[incident.pk])
            )
    return _render_form(
        model_admin,
        request,
        template="admin/incidents/incident/raise.html",
        title="Raise incident",
        form=form,
        changelist_url=reverse("admin:incidents_incident_changelist"),
    )


def _incident_or_redirect(model_admin, request, object_id):
    incident = model_admin.get_object(request, unquote(object_id))
    if incident is None:
        return None, model_admin._get_obj_does_not_exist_redirect(
            request, model_admin.opts, object_id
        )
    return incident, None


def incident_details_view(model_admin, request, object_id):
    """Correct the incident's §5.4 and §5.7 fields through `incident_update`."""
    incident, redirect = _incident_or_redirect(model_admin, request, object_id)
    if redirect:
        return redirect
    change_url = reverse("admin:incidents_incident_change", args=[incident.pk])
    initial = {
        "short_description": incident.short_description,
        "description": incident.description,
        "category": incident.category_id,
        "subcategory": incident.subcategory_id,
        "services": list(incident.services.values_list("pk", flat=True)),
        "symptoms": incident.symptoms,
        # To the minute, as the field shows it: an untouched time is not a change.
        "detected_at": incident.detected_at.replace(second=0, microsecond=0)
        if incident.detected_at
        else None,
        "detection_method": incident.detection_method,
        "initial_severity": incident.initial_severity,
    }
    form = IncidentFieldsForm(request.POST if request.method == "POST" else None, initial=initial)
    # What the incident has stays on offer even if retired since: saving other fields keeps it.
    form.fields["subcategory"].offer(kept_id=incident.subcategory_id)
    form.fields["services"].queryset = Service.objects.filter(
        Q(active=True) | Q(pk__in=initial["services"])
    ).order_by("sort_order", "name")
    form.fields["category"].queryset = Category.objects.filter(
        Q(active=True, is_service_request=False) | Q(pk=incident.category_id)
    ).order_by("sort_order", "name")
    if request.method == "POST" and form.is_valid():
        try:
            incident_update(
                incident=incident,
                actor=request.user,
                changes={name: form.cleaned_data[name] for name in form.changed_data},
            )
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
            if not error_fits_form(form, error):
                return HttpResponseRedirect(change_url)
            add_domain_error(form, error)
        else:
            model_admin.message_user(
                request,
                f"{incident.number} updated." if form.changed_data else "Nothing changed.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
    return _render_form(
        model_admin,
        request,
        template="admin/incidents/incident/details.html",
        title=f"Edit details: {incident.number}",
        form=form,
        original=incident,
        change_url=change_url,
    )


# --- people engaged (§5.5 step 7, §5.17) ----------------------------------------------------


class EngageForm(forms.Form):
    """Someone to engage: desk staff by account (they are told), anyone else as a contact."""

    role = forms.ChoiceField(
        choices=_optional_choices(IncidentEngagement.Role.choices), required=False
    )
    person = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True, is_staff=True).order_by("full_name", "email"),
        required=False,
        help_text="Desk staff who may see the incident; they are told in the portal and by email.",
    )
    contact_name = forms.CharField(
        max_length=ENGAGEMENT_TEXT_LIMITS["contact_name"],
        required=False,
        help_text="Or someone outside the desk: a service user's support team, a provider.",
    )
    contact_details = forms.CharField(
        max_length=ENGAGEMENT_TEXT_LIMITS["contact_details"],
        required=False,
        help_text="Their email or phone; the desk contacts them directly.",
    )
    note = forms.CharField(max_length=ENGAGEMENT_TEXT_LIMITS["note"], required=False)


def incident_engage_view(model_admin, request, object_id):
    """Engage someone through `incident_engage` and go back to "People engaged"."""
    incident, redirect = _incident_or_redirect(model_admin, request, object_id)
    if redirect:
        return redirect
    change_url = reverse("admin:incidents_incident_change", args=[incident.pk])
    form = EngageForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            engagement = incident_engage(incident=incident, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
            if not error_fits_form(form, error):
                return HttpResponseRedirect(f"{change_url}#engaged")
            add_domain_error(form, error)
        else:
            model_admin.message_user(
                request,
                f"{engagement.person or engagement.contact_name} engaged as "
                f"{engagement.get_role_display().lower()}"
                + ("; they have been told." if engagement.person_id else "."),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(f"{change_url}#engaged")
    return _render_form(
        model_admin,
        request,
        template="admin/incidents/incident/engage.html",
        title=f"Engage someone: {incident.number}",
        form=form,
        original=incident,
        change_url=change_url,
    )


def incident_engagement_release_view(model_admin, request, object_id, engagement_id):
    """Release someone engaged through `incident_engagement_release` (POST only)."""
    incident, redirect = _incident_or_redirect(model_admin, request, object_id)
    if redirect:
        return redirect
    change_url = reverse("admin:incidents_incident_change", args=[incident.pk])
    if request.method != "POST":
        return HttpResponseRedirect(f"{change_url}#engaged")
    engagement = incident_engagements_for(incident).filter(pk=engagement_id).first()
    if engagement is None:
        model_admin.message_user(
            request, "That engagement is not on this incident.", messages.ERROR
        )
        return HttpResponseRedirect(f"{change_url}#engaged")
    engagement.incident = incident
    try:
        engagement = incident_engagement_release(engagement=engagement, actor=request.user)
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        model_admin.message_user(
            request, f"{engagement.person or engagement.contact_name} released.", messages.SUCCESS
        )
    return HttpResponseRedirect(f"{change_url}#engaged")


# --- the incident report (§5.5 step 16) -------------------------------------------------------


class IncidentReportForm(forms.Form):
    PROBLEM_CHOICES = [("yes", "Yes — raise a problem record"), ("no", "No")]

    fix_summary = forms.CharField(
        label="Summary of the fix",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX_CHARS,
        required=False,
    )
    cause = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=DESCRIPTION_MAX_CHARS,
        required=False,
        help_text="What caused it, as far as known.",
    )
    problem_needed = forms.TypedChoiceField(
        label="Problem record needed?",
        choices=PROBLEM_CHOICES,
        coerce=lambda value: value == "yes",
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
    )
    problem_reason = forms.CharField(
        label="Why",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=DESCRIPTION_MAX_CHARS,
        required=False,
        help_text="Why a problem record is, or is not, needed.",
    )

    @classmethod
    def for_report(cls, report):
        if report is None:
            return cls()
        return cls(
            initial={
                "fix_summary": report.fix_summary,
                "cause": report.cause,
                "problem_needed": "yes" if report.problem_needed else "no",
                "problem_reason": report.problem_reason,
            }
        )


def incident_report_view(model_admin, request, object_id):
    """Write or update the incident report through `incident_report_write`."""
    incident, redirect = _incident_or_redirect(model_admin, request, object_id)
    if redirect:
        return redirect
    change_url = reverse("admin:incidents_incident_change", args=[incident.pk])
    form = (
        IncidentReportForm(request.POST)
        if request.method == "POST"
        else IncidentReportForm.for_report(incident_report_for(incident))
    )
    if request.method == "POST" and form.is_valid():
        try:
            incident_report_write(incident=incident, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
            if not error_fits_form(form, error):
                return HttpResponseRedirect(f"{change_url}#incident-report")
            add_domain_error(form, error)
        else:
            model_admin.message_user(request, "Incident report saved.", messages.SUCCESS)
            return HttpResponseRedirect(f"{change_url}#incident-report")
    return _render_form(
        model_admin,
        request,
        template="admin/incidents/incident/report.html",
        title=f"Incident report: {incident.number}",
        form=form,
        original=incident,
        change_url=change_url,
    )
