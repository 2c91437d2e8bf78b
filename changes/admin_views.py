"""Console views for changes: raising one (§8.2, §8.3) — directly, or from an incident or a
problem it fixes — raising a Standard change from the catalogue (§8.1.2), editing it before
authorisation, and recording an approval under the authority it needs (§8.7, §8.9, §9.4.3).
Each calls one service; refusals come back next to the field or as messages, never as a 500."""

from copy import copy

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import ResolverGroup
from core.admin import add_domain_error
from core.errors import DomainError
from incidents.models import Incident
from problems.models import Problem
from tickets.limits import COMMENT_MAX_CHARS, DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import Category, Service
from tickets.selectors import visible_tickets

from .authority import approval_kinds_for, may_act_as
from .models import Change, ChangeApproval, ChangeReviewItem, StandardChangeTemplate
from .risk import ChangeType, Rating
from .services import (
    change_create,
    change_record_approval,
    change_review_item_complete,
    change_update,
    standard_change_from_template,
)
from .services.records import EDITABLE_FIELDS, STANDARD_EDITABLE_FIELDS

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
UK_TIME_HELP = "UK time (Europe/London)."


def _staff():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("email")


def _datetime(label: str, *, required: bool = False, help_text: str = UK_TIME_HELP):
    return forms.DateTimeField(
        label=label, required=required, widget=DATETIME_INPUT, help_text=help_text
    )


def _rating(label: str, help_text: str = ""):
    return forms.TypedChoiceField(
        label=label,
        choices=[("", "---------"), *Rating.choices],
        coerce=int,
        empty_value=None,
        required=False,
        help_text=help_text,
    )


def _text(label: str, help_text: str = "", rows: int = 4):
    return forms.CharField(
        label=label,
        required=False,
        max_length=DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class ChangeForm(forms.Form):
    """The §8.3 / §9.2 fields of a change. A draft may leave most empty; submitting needs
    them all. Shapes only: the services check the rules."""

    change_type = forms.ChoiceField(
        label="Type",
        choices=[(ChangeType.NORMAL, "Normal"), (ChangeType.EMERGENCY, "Emergency")],
        help_text="Standard changes are raised from the catalogue.",
    )
    short_description = forms.CharField(label="Short description", max_length=SUBJECT_MAX_CHARS)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=DESCRIPTION_MAX_CHARS,
        help_text="The change, its purpose and expected outcome.",
    )
    category = forms.ModelChoiceField(queryset=Category.objects.filter(active=True), required=False)
    reason = _text("Reason for change", "Why the change is necessary.", rows=3)
    probability = _rating("Probability of disruption", "With the impact, gives the risk.")
    impact = _rating("Impact", "High: critical function or market wide; Low: minimal.")
    urgency = _rating("Urgency", "With the impact, gives the priority.")
    requested_by = forms.ModelChoiceField(
        queryset=_staff(), required=False, help_text="You, unless someone else asked for it."
    )
    planned_start = _datetime("Planned start")
    planned_end = _datetime("Planned end")
    window_start = _datetime("Change window from", help_text="Leave empty: the planned times.")
    window_end = _datetime("Change window to")
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(active=True),
        required=False,
        label="Affected services",
        widget=forms.CheckboxSelectMultiple,
    )
    implementation_plan = _text("Implementation plan")
    test_plan = _text("Test plan")
    backout_plan = _text("Back-out plan")
    assignment_group = forms.ModelChoiceField(
        queryset=ResolverGroup.objects.filter(active=True).order_by("name"), required=False
    )
    assigned_to = forms.ModelChoiceField(queryset=_staff(), required=False)


class ChangeUpdateForm(ChangeForm):
    """Editing a change while New or in Assess; a Standard change only its timing and people."""

    change_type = None

    def __init__(self, *args, change: Change, **kwargs):
        allowed = STANDARD_EDITABLE_FIELDS if change.is_standard else EDITABLE_FIELDS
        if "initial" not in kwargs:
            initial = {name: getattr(change, name) for name in allowed}
            for name in ("planned_start", "planned_end", "window_start", "window_end"):
                if initial.get(name):
                    initial[name] = timezone.localtime(initial[name])
            if not change.is_standard:
                initial["services"] = list(change.services.all())
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        keep = set(allowed) | (set() if change.is_standard else {"services"})
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]


class StandardChangeForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=StandardChangeTemplate.objects.filter(
            state=StandardChangeTemplate.State.ACCEPTED
        ).order_by("name"),
        label="Standard change",
        help_text="An accepted entry of the catalogue: its plans are pre-approved.",
    )
    planned_start = _datetime("Planned start", required=True)
    planned_end = _datetime("Planned end", required=True)
    window_start = _datetime("Change window from", help_text="Leave empty: the planned times.")
    window_end = _datetime("Change window to")
    requested_by = forms.ModelChoiceField(queryset=_staff(), required=False)
    assignment_group = forms.ModelChoiceField(
        queryset=ResolverGroup.objects.filter(active=True).order_by("name"), required=False
    )
    assigned_to = forms.ModelChoiceField(queryset=_staff(), required=False)


class ApprovalForm(forms.Form):
    """An approver's decision, under one of the authorities the change needs now and the
    person may act as (`changes.authority`)."""

    kind = forms.ChoiceField(label="Authority")
    decision = forms.ChoiceField(choices=ChangeApproval.Decision.choices)
    comment = forms.CharField(
        required=False,
        max_length=COMMENT_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to reject or ask for more information.",
    )

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, ChangeApproval.Kind(kind).label) for kind in kinds]


class ReviewForm(forms.Form):
    """The CAB's post-implementation review of a change that was not Successful (§8.9.9)."""

    lessons = forms.CharField(
        label="Outcome and lessons learned",
        max_length=DESCRIPTION_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def may_review(user) -> bool:
    """The Change Manager and CAB members review changes (§8.9.5)."""
    return bool(
        user.is_active
        and user.is_staff
        and (
            user.is_superuser
            or user.has_perm("changes.manage_change")
            or user.has_perm("changes.approve_change")
        )
    )


def approval_kinds_open_to(user, change: Change) -> list[str]:
    """The authorities `user` may decide `change` under now; empty when they may not."""
    if change.state != Change.State.AUTHORISE:
        return []
    return [
        kind for kind in approval_kinds_for(change, at=timezone.now()) if may_act_as(user, kind)
    ]


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


def _source(request):
    """The incident or problem a change is raised from (`?incident=<pk>` / `?problem=<pk>`),
    if the person may see it; (None, None) otherwise."""
    for name, model in (("incident", Incident), ("problem", Problem)):
        raw = request.GET.get(name)
        if raw and raw.isdigit():
            ticket = visible_tickets(model.objects.all(), user=request.user).filter(pk=raw).first()
            if ticket is not None:
                return name, ticket
    return None, None


def change_raise_view(model_admin, request):
    """`…/changes/change/add/`: raise a Normal or Emergency change (§8.2), optionally from an
    incident or a problem it fixes (linked to it, the form filled in from it)."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    kind, source = _source(request)
    if request.method == "POST":
        form = ChangeForm(request.POST)
    else:
        initial = {"change_type": ChangeType.NORMAL, "requested_by": request.user}
        if source is not None:
            initial.update(
                short_description=f"Fix for {source.number}: {source.short_description}"[
                    :SUBJECT_MAX_CHARS
                ],
                description=source.description,
                category=source.category_id,
            )
        form = ChangeForm(initial=initial)
    if request.method == "POST" and form.is_valid():
        links = {"incidents": [source]} if kind == "incident" else {}
        if kind == "problem":
            links = {"problems": [source]}
        try:
            change = change_create(
                actor=request.user,
                source_label=source.number if source is not None else "",
                **links,
                **form.cleaned_data,
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            model_admin.message_user(
                request,
                f"{change.number} raised as a draft. Complete it and submit it for assessment.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(model_admin._url("change", change.pk))
    source_url = (
        reverse(
            f"admin:{source._meta.app_label}_{source._meta.model_name}_change", args=[source.pk]
        )
        if source is not None
        else ""
    )
    return _form_page(
        model_admin,
        request,
        form=form,
        title="Raise a change",
        template="admin/changes/change/raise.html",
        source=source,
        source_url=source_url,
    )


def standard_change_raise_view(model_admin, request):
    """`…/changes/change/add-standard/`: raise a Standard change from the catalogue."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = StandardChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            change = standard_change_from_template(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            model_admin.message_user(
                request, f"{change.number} raised from the catalogue.", messages.SUCCESS
            )
            return HttpResponseRedirect(model_admin._url("change", change.pk))
    return _form_page(
        model_admin,
        request,
        form=form,
        title="Raise a standard change",
        template="admin/changes/change/raise.html",
        standard=True,
    )


def _change_or_redirect(model_admin, request, object_id):
    change = model_admin.get_object(request, unquote(object_id))
    if change is None:
        return None, model_admin._get_obj_does_not_exist_redirect(
            request, model_admin.opts, object_id
        )
    return change, None


def change_update_view(model_admin, request, object_id):
    """`…/<id>/update/`: save the change's fields (New or Assess)."""
    change, redirect = _change_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    if request.method != "POST":
        return HttpResponseRedirect(model_admin._url("change", change.pk))
    form = ChangeUpdateForm(request.POST, change=change)
    if form.is_valid():
        data = dict(form.cleaned_data)
        services = data.pop("services", None)
        data = {name: value for name, value in data.items() if name in form.changed_data}
        try:
            change_update(change=change, actor=request.user, services=services, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            model_admin.message_user(request, f"{change.number} saved.", messages.SUCCESS)
            return HttpResponseRedirect(model_admin._url("change", change.pk))
    model_admin.message_user(
        request, f"{change.number} was not saved; check the fields below.", messages.ERROR
    )
    # Draw the change page again with the errors next to their fields: the same request read
    # as a GET, so the admin's own form handling does not run.
    page_request = copy(request)
    page_request.method = "GET"
    page_request.POST = QueryDict()
    page_request.change_update_form = form
    return model_admin.change_view(page_request, str(change.pk))


def change_approval_view(model_admin, request, object_id):
    """`…/<id>/approval/`: record a decision (§8.3 Approval fields) under an authority."""
    change, redirect = _change_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    change_url = model_admin._url("change", change.pk)
    if request.method != "POST":
        return HttpResponseRedirect(change_url)
    kinds = approval_kinds_open_to(request.user, change)
    form = ApprovalForm(request.POST, kinds=kinds)
    if not kinds:
        model_admin.message_user(
            request, f"You cannot decide on {change.number} now.", messages.ERROR
        )
        return HttpResponseRedirect(change_url)
    if form.is_valid():
        try:
            approval = change_record_approval(
                change=change, actor=request.user, **form.cleaned_data
            )
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            change.refresh_from_db()
            model_admin.message_user(
                request,
                f"{approval.get_decision_display()} recorded: {change.number} is now "
                f"{change.get_state_display()}.",
                messages.SUCCESS,
            )
    else:
        first = next(iter(form.errors.values()))[0]
        model_admin.message_user(request, f"Not recorded: {first}", messages.ERROR)
    return HttpResponseRedirect(change_url)


def change_review_view(model_admin, request, object_id):
    """`…/<id>/review/`: complete the change's post-implementation review (§8.9.9)."""
    change, redirect = _change_or_redirect(model_admin, request, object_id)
    if redirect is not None:
        return redirect
    change_url = model_admin._url("change", change.pk)
    item = ChangeReviewItem.objects.filter(change=change).first()
    if request.method != "POST" or item is None:
        return HttpResponseRedirect(change_url)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            change_review_item_complete(item=item, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            model_admin.message_user(
                request, f"The review of {change.number} is recorded.", messages.SUCCESS
            )
            return HttpResponseRedirect(change_url)
    # Draw the change page again with the errors next to the field (see `change_update_view`).
    page_request = copy(request)
    page_request.method = "GET"
    page_request.POST = QueryDict()
    page_request.change_review_form = form
    return model_admin.change_view(page_request, str(change.pk))
