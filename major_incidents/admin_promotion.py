"""Major-incident candidates in the console (§5.8–5.11): the Major Incident Manager's review
queue, one review page per candidate (the §5.8 validity checks and §5.9 thresholds, then accept
or reject), the "Propose as major incident" form on the incident page, and "Report a suspected
cyber incident" (§5.11 step 1).

Every decision calls one service of `major_incidents.promotion`; refusals come back on the form
or as messages, never as a 500.
"""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from accounts.models import Organisation, ResolverGroup
from core.admin import add_domain_error
from core.errors import DomainError
from core.ids import id_or_none
from incidents.models import Incident
from tickets.limits import COMMENT_MAX_CHARS, DESCRIPTION_MAX_CHARS, SUBJECT_MAX_CHARS
from tickets.models import Service
from tickets.priority import Impact, Urgency
from tickets.selectors import can_view_all, visible_tickets

from .models import CriterionAssessment, MajorIncidentCandidate, ServiceImpact, ValidityCriterion
from .promotion import (
    CRITERION_DESCRIPTIONS,
    CRITERION_TYPES,
    EVIDENCE_MAX_CHARS,
    REVIEW_PERMISSION,
    SECURITY_CRITERIA,
    candidate_accept,
    candidate_propose,
    candidate_reject,
    review_data_for,
    suspected_cyber_incident_report,
    thresholds_for,
)

QUEUE_PAGE_SIZE = 50
YES_NO = [("yes", "Yes"), ("no", "No")]


def _waited(since, now) -> str:
    minutes = int((now - since).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // (24 * 60)} days"


def _managers():
    """People who may run a major incident (the Major Incident Manager of §5.7)."""
    held = Q(
        groups__permissions__codename="manage_majorincident",
        groups__permissions__content_type__app_label="major_incidents",
    ) | Q(
        user_permissions__codename="manage_majorincident",
        user_permissions__content_type__app_label="major_incidents",
    )
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(held)
        .distinct()
        .order_by("full_name", "email")
    )


class DecisionForm(forms.Form):
    """The review: a yes/no and evidence per §5.8 criterion, the §5.9 duration input, and what
    promotion needs (§5.7: Major Incident Manager and triage lead; the status page's title and
    services) or the reason for a rejection."""

    decision = forms.ChoiceField(
        choices=[("evaluate", "Evaluate"), ("accept", "Accept"), ("reject", "Reject")],
        widget=forms.HiddenInput,
        required=False,
    )
    expected_resolution_hours = forms.DecimalField(
        label="Expected resolution time (hours)",
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(100_000),
        decimal_places=2,
        help_text="Working hours on the SLA's calendar, compared with the resolution target.",
    )
    manager = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, label="Major Incident Manager"
    )
    triage_lead = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, label="Triage lead"
    )
    public_title = forms.CharField(
        max_length=SUBJECT_MAX_CHARS,
        required=False,
        label="Title for the public status page",
        help_text="Written for the public: no work notes or case details.",
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Services affected",
    )
    service_status = forms.ChoiceField(
        choices=ServiceImpact.Status.choices,
        initial=ServiceImpact.Status.MAJOR_OUTAGE,
        required=False,
        label="Service status",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=COMMENT_MAX_CHARS,
        required=False,
        label="Decision note (optional)",
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=COMMENT_MAX_CHARS,
        required=False,
        label="Reason for rejecting",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for criterion in ValidityCriterion:
            self.fields[criterion.value] = forms.ChoiceField(
                choices=YES_NO, widget=forms.RadioSelect, required=False, label=criterion.label
            )
            self.fields[f"{criterion.value}_evidence"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=EVIDENCE_MAX_CHARS,
                required=False,
                label=f"Evidence: {criterion.label}",
            )
        self.fields["manager"].queryset = _managers()
        self.fields["triage_lead"].queryset = (
            get_user_model().objects.filter(is_active=True, is_staff=True).order_by("full_name")
        )
        self.fields["services"].queryset = Service.objects.filter(active=True)

    def answers(self) -> dict:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return {
            criterion.value: {
                "met": {"yes": True, "no": False}.get(data.get(criterion.value) or ""),
                "evidence": data.get(f"{criterion.value}_evidence") or "",
            }
            for criterion in ValidityCriterion
        }


class ProposeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=COMMENT_MAX_CHARS,
        required=False,
        label="Why this may be a major incident",
    )


class CyberReportForm(forms.Form):
    """A suspected cyber incident phoned in to the desk (§5.11 step 1, §2.1.1.1)."""

    short_description = forms.CharField(max_length=SUBJECT_MAX_CHARS, label="Subject")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=DESCRIPTION_MAX_CHARS
    )
    symptoms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=DESCRIPTION_MAX_CHARS,
        required=False,
        label="Observed symptoms",
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Systems affected",
    )
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Reporting organisation (optional)",
    )
    assignment_group = forms.ModelChoiceField(
        queryset=ResolverGroup.objects.none(), label="Resolver group"
    )
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, initial=Impact.HIGH)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.HIGH)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=COMMENT_MAX_CHARS,
        label="Why this may be a major incident",
        help_text="The Major Incident Manager reads it in the review queue.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["services"].queryset = Service.objects.filter(active=True)
        self.fields["organisation"].queryset = Organisation.objects.filter(active=True)
        self.fields["assignment_group"].queryset = ResolverGroup.objects.filter(
            active=True
        ).order_by("name")


@admin.register(MajorIncidentCandidate)
class MajorIncidentCandidateAdmin(admin.ModelAdmin):
    """The review queue is this model's list and the review page its change page; candidates
    are proposed from the incident page (or the cyber report), never added or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("", view(self.queue_view), name=f"{prefix}_changelist"),
            path("report-cyber/", view(self.report_cyber_view), name=f"{prefix}_report_cyber"),
            path("propose/<int:incident_id>/", view(self.propose_view), name=f"{prefix}_propose"),
            path("<int:object_id>/", view(self.review_view), name=f"{prefix}_change"),
            path("<int:object_id>/change/", view(self.review_view)),
        ]

    def _context(self, request, **extra) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "has_view_permission": True,
            **extra,
        }

    # --- the queue ---------------------------------------------------------------------------

    def queue_view(self, request):
        """Pending candidates, oldest first with how long each has waited (§5.11 step 5); the
        decided ones, newest first, by filter; search by incident number or subject."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        state = request.GET.get("state") or MajorIncidentCandidate.State.PROPOSED
        if state not in MajorIncidentCandidate.State.values:
            state = MajorIncidentCandidate.State.PROPOSED
        rows = MajorIncidentCandidate.objects.filter(state=state).select_related(
            "incident", "proposed_by", "decided_by"
        )
        if not can_view_all(request.user, Incident):
            # A resolver sees the candidates of the incidents they may see (§10.4).
            visible = visible_tickets(Incident.objects.all(), user=request.user)
            rows = rows.filter(incident__in=visible.values("pk"))
        query = (request.GET.get("q") or "").strip()[:160]
        if query:
            rows = rows.filter(
                Q(incident__number__icontains=query)
                | Q(incident__short_description__icontains=query)
            )
        pending = state == MajorIncidentCandidate.State.PROPOSED
        rows = rows.order_by(*(("proposed_at", "pk") if pending else ("-decided_at", "-pk")))
        page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("p"))
        now = timezone.now()
        context = self._context(
            request,
            title="Major-incident candidates",
            page=page,
            rows=[
                {"candidate": candidate, "waited": _waited(candidate.proposed_at, now)}
                for candidate in page.object_list
            ],
            state=state,
            states=MajorIncidentCandidate.State.choices,
            query=query,
            pending=pending,
            may_report=request.user.has_perm("incidents.add_incident")
            and request.user.has_perm("major_incidents.add_majorincidentcandidate"),
        )
        return TemplateResponse(request, "admin/major_incidents/candidate/queue.html", context)

    # --- the review page ---------------------------------------------------------------------

    def _candidate(self, request, object_id):
        object_id = id_or_none(unquote(str(object_id)))
        if object_id is None:
            return None
        candidate = (
            MajorIncidentCandidate.objects.select_related(
                "incident__category",
                "incident__organisation",
                "incident__assignment_group",
                "proposed_by",
                "decided_by",
            )
            .filter(pk=object_id)
            .first()
        )
        if candidate is None:
            return None
        visible = visible_tickets(
            Incident.objects.filter(pk=candidate.incident_id), user=request.user
        )
        return candidate if visible.exists() else None

    def review_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        candidate = self._candidate(request, object_id)
        queue_url = reverse("admin:major_incidents_majorincidentcandidate_changelist")
        if candidate is None:
            self.message_user(
                request, "There is no such candidate, or you may not see it.", messages.ERROR
            )
            return HttpResponseRedirect(queue_url)
        incident = candidate.incident
        pending = candidate.state == MajorIncidentCandidate.State.PROPOSED
        may_decide = pending and request.user.has_perm(REVIEW_PERMISSION)
        form = None
        status = 200
        services = list(incident.services.all())
        if may_decide:
            form = DecisionForm(
                request.POST if request.method == "POST" else None,
                initial={
                    "public_title": incident.short_description,
                    "services": services,
                    "manager": request.user.pk,
                },
            )
            if request.method == "POST":
                response = self._decide(request, candidate, form)
                if response is not None:
                    return response
                status = 400 if form.errors else 200
        elif request.method == "POST":
            self.message_user(
                request,
                "Only a Major Incident Manager may decide a pending candidate."
                if pending
                else "This candidate has already been decided.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
        data = review_data_for(incident)
        stored = {}
        if not pending:
            stored = {
                row.criterion: row
                for row in CriterionAssessment.objects.filter(candidate=candidate)
            }
        if form is not None and form.is_bound and hasattr(form, "cleaned_data"):
            answers = {key: value["met"] for key, value in form.answers().items()}
            hours = form.cleaned_data.get("expected_resolution_hours")
        else:
            answers = {key: row.met for key, row in stored.items()}
            hours = (candidate.thresholds or {}).get("expected_resolution_hours")
        thresholds = thresholds_for(data.facts, answers, hours)
        if not pending and candidate.thresholds:
            thresholds = [
                {"key": key, **candidate.thresholds[key]}
                for key in ("impact", "duration", "compliance", "security")
                if key in candidate.thresholds
            ]
        groups = [
            (
                type_name,
                [
                    {
                        "label": criterion.label,
                        "description": CRITERION_DESCRIPTIONS[criterion],
                        "field": form[criterion.value] if form else None,
                        "evidence": form[f"{criterion.value}_evidence"] if form else None,
                        "flagged": incident.suspected_cyber and criterion in SECURITY_CRITERIA,
                        "stored": stored.get(criterion.value),
                    }
                    for criterion in criteria
                ],
            )
            for type_name, criteria in CRITERION_TYPES
        ]
        context = self._context(
            request,
            title=f"Major-incident candidate: {incident.number}",
            candidate=candidate,
            incident=incident,
            incident_url=reverse("admin:incidents_incident_change", args=[incident.pk]),
            services=services,
            linked_cases=data.linked_cases,
            organisation_names=data.organisation_names,
            facts=data.facts,
            thresholds=thresholds,
            groups=groups,
            form=form,
            may_decide=may_decide,
            pending=pending,
            queue_url=queue_url,
            waited=_waited(candidate.proposed_at, timezone.now()),
        )
        return TemplateResponse(
            request, "admin/major_incidents/candidate/review.html", context, status=status
        )

    def _decide(self, request, candidate, form):
        """Run the decision; None to draw the page again (evaluate, or a refusal on the form)."""
        if not form.is_valid():
            return None
        decision = form.cleaned_data.get("decision") or request.POST.get("_decision") or ""
        if decision not in ("accept", "reject"):
            return None
        try:
            if decision == "accept":
                major = candidate_accept(
                    candidate=candidate,
                    actor=request.user,
                    assessments=form.answers(),
                    manager=form.cleaned_data.get("manager"),
                    triage_lead=form.cleaned_data.get("triage_lead"),
                    public_title=form.cleaned_data.get("public_title", ""),
                    services=form.cleaned_data.get("services") or [],
                    service_status=form.cleaned_data.get("service_status") or "",
                    expected_resolution_hours=form.cleaned_data.get("expected_resolution_hours"),
                    note=form.cleaned_data.get("note", ""),
                )
            else:
                candidate_reject(
                    candidate=candidate,
                    actor=request.user,
                    reason=form.cleaned_data.get("reason", ""),
                    assessments={
                        key: value
                        for key, value in form.answers().items()
                        if value["met"] is not None
                    },
                )
        except DomainError as error:
            add_domain_error(form, error)
            if not error.field_errors:
                self.message_user(request, error.message, messages.ERROR)
            return None
        incident_url = reverse("admin:incidents_incident_change", args=[candidate.incident_id])
        if decision == "accept":
            self.message_user(
                request,
                f"{candidate.incident.number} promoted to major incident {major.number}; it is "
                "now P1. Send the initial notification within 15 minutes.",
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                f"{candidate.incident.number} stays in normal incident management; the proposer "
                "has been told.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(incident_url)

    # --- proposing from the incident page ----------------------------------------------------

    def propose_view(self, request, incident_id):
        incident = Incident.objects.filter(pk=incident_id).first()
        if incident is None:
            self.message_user(request, "There is no such incident.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:incidents_incident_changelist"))
        incident_url = reverse("admin:incidents_incident_change", args=[incident.pk])
        if request.method != "POST":
            return HttpResponseRedirect(incident_url)
        form = ProposeForm(request.POST)
        if not form.is_valid():
            self.message_user(request, "Keep the reason shorter.", messages.ERROR)
            return HttpResponseRedirect(f"{incident_url}#major-incident")
        try:
            candidate = candidate_propose(
                incident=incident, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            joined = candidate.proposed_by_id != request.user.pk or candidate.reason != (
                form.cleaned_data["reason"].strip()
            )
            self.message_user(
                request,
                f"Your reason was added to the proposal of {incident.number} awaiting review."
                if joined
                else f"{incident.number} proposed as a major incident; the Major Incident "
                "Managers have been told.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(f"{incident_url}#major-incident")

    # --- a suspected cyber incident (§5.11 step 1) -------------------------------------------

    def report_cyber_view(self, request):
        if not (
            request.user.has_perm("incidents.add_incident")
            and request.user.has_perm("major_incidents.add_majorincidentcandidate")
        ):
            raise PermissionDenied
        form = CyberReportForm(request.POST if request.method == "POST" else None)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    candidate = suspected_cyber_incident_report(
                        actor=request.user,
                        short_description=data["short_description"],
                        description=data["description"],
                        symptoms=data.get("symptoms", ""),
                        services=data.get("services") or [],
                        organisation=data.get("organisation"),
                        assignment_group=data["assignment_group"],
                        impact=data["impact"],
                        urgency=data["urgency"],
                        reason=data["reason"],
                    )
                except DomainError as error:
                    add_domain_error(form, error)
                else:
                    self.message_user(
                        request,
                        f"{candidate.incident.number} raised as a suspected cyber incident and "
                        "proposed as a major incident; the Major Incident Managers have been "
                        "told.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:incidents_incident_change", args=[candidate.incident_id])
                    )
            status = 400
        context = self._context(request, title="Report a suspected cyber incident", form=form)
        return TemplateResponse(
            request, "admin/major_incidents/candidate/report_cyber.html", context, status=status
        )
