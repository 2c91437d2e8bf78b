"""CAB pages in the agent console (§8.9, §9.4): meetings, the agenda with the chair's minutes,
actions and closing, the workbench where members decide one change at a time, the printable
agenda and minutes, and convening an Emergency CAB. Views call services and selectors only."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, TicketNotFound
from core.forms import DomainErrorFormMixin

from .cab_selectors import (
    cab_action_get,
    cab_actions,
    cab_agenda,
    cab_attendees,
    cab_decisions,
    cab_meeting_get_for,
    cab_meeting_list_for,
    cab_workbench,
    major_incident_for_ecab,
    may_see_cab,
)
from .models import ChangeApproval
from .models_cab import CabAttendee, CabMeeting, may_chair
from .services import (
    cab_action_add,
    cab_action_complete,
    cab_attendee_add,
    cab_decision_record,
    cab_meeting_close,
    cab_meeting_record_minutes,
    cab_meeting_send,
    ecab_convene,
)

PAGE_SIZE = 25


def _staff_users():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("email")


class DecisionForm(DomainErrorFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label="Decision", choices=ChangeApproval.Decision.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to reject or to ask for more information.",
    )


class MinutesForm(DomainErrorFormMixin, forms.Form):
    outcome = forms.CharField(label="Outcome", widget=forms.Textarea(attrs={"rows": 3}))
    minutes = forms.CharField(label="Minutes", widget=forms.Textarea(attrs={"rows": 8}))


class ActionForm(DomainErrorFormMixin, forms.Form):
    description = forms.CharField(label="Action", widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label="Owner", queryset=get_user_model().objects.none())
    due_on = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _staff_users()


class AttendeeForm(DomainErrorFormMixin, forms.Form):
    user = forms.ModelChoiceField(label="Member", queryset=get_user_model().objects.none())
    membership = forms.ChoiceField(label="Membership", choices=CabAttendee.Membership.choices)
    deputy_for = forms.ModelChoiceField(
        label="Deputy for", required=False, queryset=get_user_model().objects.none()
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _staff_users()
        self.fields["deputy_for"].queryset = _staff_users()


class EcabForm(DomainErrorFormMixin, forms.Form):
    reason = forms.CharField(
        label="Why the Emergency CAB is needed",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The emergency change it must authorise and why it cannot wait (§9.4.1).",
    )


def _context(request, **extra) -> dict:
    return {**admin.site.each_context(request), **extra}


def _meeting(request, pk) -> CabMeeting:
    try:
        return cab_meeting_get_for(user=request.user, pk=pk)
    except TicketNotFound as error:
        raise Http404(error.message) from error


def _require_cab(request) -> None:
    if not may_see_cab(request.user):
        raise PermissionDenied


def meeting_list(request):
    """All CAB and ECAB meetings, newest first; filter by kind and state, search the minutes."""
    _require_cab(request)
    kind = request.GET.get("kind", "")
    state = request.GET.get("state", "")
    search = request.GET.get("q", "").strip()
    kind = kind if kind in CabMeeting.Kind.values else ""
    state = state if state in CabMeeting.State.values else ""
    meetings = cab_meeting_list_for(user=request.user, kind=kind, state=state, search=search)
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "changes/cab/meeting_list.html",
        _context(
            request,
            title="CAB meetings",
            page=page,
            page_range=page.paginator.get_elided_page_range(page.number),
            filter_query=urlencode(
                {k: v for k, v in (("kind", kind), ("state", state), ("q", search)) if v}
            ),
            kind=kind,
            state=state,
            q=search,
            kinds=CabMeeting.Kind.choices,
            states=CabMeeting.State.choices,
            may_convene=request.user.has_perm("changes.manage_change")
            or request.user.has_perm("major_incidents.manage_majorincident"),
        ),
    )


@require_http_methods(["GET", "POST"])
def meeting_detail(request, pk):
    """The agenda (§8.9.6) and the chair's record: attendees, minutes, actions, closing."""
    _require_cab(request)
    meeting = _meeting(request, pk)
    chair = may_chair(meeting, request.user)
    forms_ = {
        "minutes": MinutesForm(initial={"outcome": meeting.outcome, "minutes": meeting.minutes}),
        "action": ActionForm(),
        "attendee": AttendeeForm(),
    }
    if request.method == "POST":
        which = request.POST.get("form", "")
        try:
            if which == "minutes":
                form = forms_["minutes"] = MinutesForm(request.POST)
                if form.is_valid():
                    cab_meeting_record_minutes(
                        meeting=meeting, actor=request.user, **form.cleaned_data
                    )
                    messages.success(request, "Outcome and minutes saved.")
                    return HttpResponseRedirect(request.path)
            elif which == "action":
                form = forms_["action"] = ActionForm(request.POST)
                if form.is_valid():
                    cab_action_add(meeting=meeting, actor=request.user, **form.cleaned_data)
                    messages.success(request, "Action added.")
                    return HttpResponseRedirect(request.path)
            elif which == "attendee":
                form = forms_["attendee"] = AttendeeForm(request.POST)
                if form.is_valid():
                    cab_attendee_add(meeting=meeting, actor=request.user, **form.cleaned_data)
                    messages.success(request, "Attendee recorded.")
                    return HttpResponseRedirect(request.path)
            elif which == "action_done":
                action = cab_action_get(meeting=meeting, pk=request.POST.get("action"))
                if action is None:
                    raise Http404("There is no such action.")
                cab_action_complete(action=action, actor=request.user)
                messages.success(request, "Action marked done.")
                return HttpResponseRedirect(request.path)
            elif which == "close":
                cab_meeting_close(meeting=meeting, actor=request.user)
                messages.success(request, f"The {meeting} is closed.")
                return HttpResponseRedirect(request.path)
            elif which == "send":
                sent = cab_meeting_send(
                    meeting=meeting, actor=request.user, what=request.POST.get("what", "")
                )
                messages.success(request, f"Sent to {sent} CAB member{'s' if sent != 1 else ''}.")
                return HttpResponseRedirect(request.path)
            else:
                messages.error(request, "Choose what to record.")
        except DomainError as error:
            target = forms_.get(which)
            if target is not None and target.is_bound:
                target.add_domain_error(error)
            else:
                messages.error(request, error.message)
    return render(
        request,
        "changes/cab/meeting_detail.html",
        _context(
            request,
            title=str(meeting),
            meeting=meeting,
            agenda=cab_agenda(meeting),
            attendees=cab_attendees(meeting),
            decisions=cab_decisions(meeting),
            actions=cab_actions(meeting),
            chair=chair and meeting.is_open,
            forms=forms_,
        ),
    )


@require_http_methods(["GET", "POST"])
def workbench(request, pk):
    """One change at a time (§8.9.5): plans, risk, conflicts and history, and the board's
    decision with a comment."""
    _require_cab(request)
    meeting = _meeting(request, pk)
    number = request.GET.get("change", "")
    form = DecisionForm()
    if request.method == "POST":
        number = request.POST.get("change", "")
        form = DecisionForm(request.POST)
        bench = cab_workbench(meeting=meeting, number=number)
        if bench.current is None or bench.current.number != number:
            form.add_error(None, "That change is not on this meeting's agenda.")
        elif form.is_valid():
            try:
                decision = cab_decision_record(
                    meeting=meeting,
                    change=bench.current,
                    actor=request.user,
                    **form.cleaned_data,
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    f"{bench.current.number}: {decision.approval.get_decision_display()} recorded.",
                )
                url = reverse("changes_cab:workbench", args=[meeting.pk])
                return HttpResponseRedirect(f"{url}?change={bench.current.number}")
    bench = cab_workbench(meeting=meeting, number=number)
    return render(
        request,
        "changes/cab/workbench.html",
        _context(
            request,
            title=f"Workbench — {meeting}",
            meeting=meeting,
            bench=bench,
            form=form,
            may_decide=meeting.is_open,
        ),
    )


def meeting_print(request, pk):
    """The agenda and, once recorded, the minutes and actions, for printing (§8.9.6)."""
    _require_cab(request)
    meeting = _meeting(request, pk)
    return render(
        request,
        "changes/cab/print.html",
        {
            "meeting": meeting,
            "agenda": cab_agenda(meeting),
            "attendees": cab_attendees(meeting),
            "decisions": cab_decisions(meeting),
            "actions": cab_actions(meeting),
        },
    )


@require_http_methods(["GET", "POST"])
def ecab_convene_view(request):
    """Convene an Emergency CAB (§9.4), from the meetings page or a major incident's page."""
    _require_cab(request)
    major_incident = None
    number = request.GET.get("major_incident") or request.POST.get("major_incident") or ""
    if number:
        major_incident = major_incident_for_ecab(number)
        if major_incident is None:
            raise Http404("There is no such major incident.")
    form = EcabForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = ecab_convene(
                actor=request.user,
                reason=form.cleaned_data["reason"],
                major_incident=major_incident,
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, f"The {meeting} is convened.")
            return HttpResponseRedirect(reverse("changes_cab:detail", args=[meeting.pk]))
    return render(
        request,
        "changes/cab/ecab_convene.html",
        _context(
            request, title="Convene an Emergency CAB", form=form, major_incident=major_incident
        ),
    )
