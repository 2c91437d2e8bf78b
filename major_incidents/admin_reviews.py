"""Post major incident reviews in the agent console (§5.23, Appendix E).

The list of reviews (state, overdue milestones, search by incident or report reference), the
review page (the Appendix E sections in one form, the timeline rows, the milestones with their
due times and badges, the follow-up actions, sign-off and distribution), a printable view
without console chrome, and the list of open follow-up actions across reviews. Every button
posts to a small view that calls one service of `major_incidents.reviews`; refusals come back
on the form or as messages, never as a 500. Registered on import by `major_incidents/admin.py`.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin import CappedCountAdminMixin, add_domain_error, uk_time
from core.dates import uk_date
from core.errors import DomainError
from core.ids import id_or_none
from core.pagination import CappedPaginator
from problems.admin_views import ProblemForm
from tickets.models import Service

from .models import PostIncidentReview, ReviewAction, ReviewMilestone, ReviewTimelineRow
from .review_problems import problem_fields_from_review, review_raise_problem
from .reviews import (
    EDITABLE_FIELDS,
    action_is_overdue,
    action_owner_choices,
    may_edit_review,
    may_sign_off_review,
    milestone_views,
    review_action_add,
    review_action_complete,
    review_action_list_for,
    review_action_reopen,
    review_action_update,
    review_detail_queryset,
    review_distribute,
    review_milestone_complete,
    review_milestone_reopen,
    review_milestone_skip,
    review_sign_off,
    review_timeline_row_add,
    review_timeline_row_delete,
    review_timeline_row_update,
    review_update,
    uk_today,
)

ACTIONS_PAGE_SIZE = 50
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReviewForm(forms.Form):
    """The Appendix E sections, in the template's order; times are UK time."""

    incident_title = forms.CharField(max_length=160, label="Incident title")
    service_impacted_at = forms.DateTimeField(
        label="Date/time service impacted (UK time)", required=False, widget=DATETIME_INPUT
    )
    service_restored_at = forms.DateTimeField(
        label="Date/time service restored (UK time)", required=False, widget=DATETIME_INPUT
    )
    major_incident_managers = forms.CharField(max_length=300, label="Major Incident Manager(s)")
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(active=True).order_by("sort_order", "name"),
        required=False,
        label="Service affected",
        widget=forms.CheckboxSelectMultiple,
    )
    incident_description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    business_impact = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    summary_and_actions = forms.CharField(
        label="Incident summary & actions performed",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    incident_resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    affected_services_notes = forms.CharField(
        label="Affected services (please list all affected services)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    affected_users = forms.CharField(
        label="Affected users (an estimate of the number and groups of users impacted)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    root_cause = forms.CharField(
        label="Root cause (if known; otherwise the current status of the investigation)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    process_review = forms.CharField(
        label="Process review (coordination, and areas of improvement in the Major Incident "
        "Process)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    additional_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TimelineRowForm(forms.Form):
    occurred_at = forms.DateTimeField(label="Date & time (UK time)", widget=DATETIME_INPUT)
    event = forms.CharField(max_length=300, label="Event")
    comments = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Comments"
    )


class ActionForm(forms.Form):
    """Owner / Action / Due. The owners are listed once for the page, not per form."""

    owner = forms.TypedChoiceField(coerce=int, label="Owner")
    action = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Action")
    due_on = forms.DateField(label="Due", widget=DATE_INPUT)

    def __init__(self, *args, owner_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "---------"), *owner_choices]


def _owner_choices() -> list[tuple[int, str]]:
    return [(user.pk, str(user)) for user in action_owner_choices()]


class OverdueMilestoneFilter(admin.SimpleListFilter):
    title = "milestones"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "With an overdue milestone")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(has_overdue=True)
        return queryset


class PostIncidentReviewAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    list_display = (
        "incident_ref",
        "incident_report_ref",
        "incident_title",
        "state",
        "resolved_display",
        "milestone_badge",
    )
    list_display_links = ("incident_ref", "incident_title")
    list_select_related = ("major_incident",)
    list_filter = ("state", OverdueMilestoneFilter)
    search_fields = ("=incident_ref", "=incident_report_ref", "incident_title")
    search_help_text = "An incident (INC…) or major incident (MI…) number, or words of the title."
    ordering = ("-resolved_at", "-id")

    def get_queryset(self, request):
        overdue = ReviewMilestone.objects.filter(
            review=OuterRef("pk"), completed_at__isnull=True, due_at__lt=timezone.now()
        )
        return super().get_queryset(request).annotate(has_overdue=Exists(overdue))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Resolved (UK time)", ordering="resolved_at")
    def resolved_display(self, obj):
        return uk_time(obj.resolved_at)

    @admin.display(description="Milestones")
    def milestone_badge(self, obj):
        if obj.state == PostIncidentReview.State.SIGNED_OFF:
            return format_html('<span class="console-badge pir-done">{}</span>', "Signed off")
        if obj.has_overdue:
            return format_html('<span class="console-badge pir-overdue">{}</span>', "Overdue")
        return format_html('<span class="console-badge pir-due">{}</span>', "On track")

    # --- URLs ---------------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("actions/", view(self.action_list_view), name=f"{prefix}_actions"),
            path("<path:object_id>/print/", view(self.print_view), name=f"{prefix}_print"),
            path(
                "<path:object_id>/timeline/",
                view(self.timeline_add_view),
                name=f"{prefix}_timeline_add",
            ),
            path(
                "<path:object_id>/timeline/<int:row_id>/",
                view(self.timeline_row_view),
                name=f"{prefix}_timeline_row",
            ),
            path(
                "<path:object_id>/milestones/<int:milestone_id>/",
                view(self.milestone_view),
                name=f"{prefix}_milestone",
            ),
            path(
                "<path:object_id>/follow-up/",
                view(self.action_add_view),
                name=f"{prefix}_action_add",
            ),
            path(
                "<path:object_id>/follow-up/<int:action_id>/",
                view(self.action_view),
                name=f"{prefix}_action",
            ),
            path("<path:object_id>/sign-off/", view(self.sign_off_view), name=f"{prefix}_sign_off"),
            path(
                "<path:object_id>/raise-problem/",
                view(self.raise_problem_view),
                name=f"{prefix}_raise_problem",
            ),
            path(
                "<path:object_id>/distribute/",
                view(self.distribute_view),
                name=f"{prefix}_distribute",
            ),
            *super().get_urls(),
        ]

    def _url(self, name: str, *args) -> str:
        return reverse(f"admin:major_incidents_postincidentreview_{name}", args=args)

    # --- the review page ------------------------------------------------------------------------

    def _review(self, request, object_id) -> PostIncidentReview:
        if not self.has_view_permission(request):
            raise PermissionDenied
        pk = id_or_none(unquote(str(object_id)))
        review = review_detail_queryset().filter(pk=pk).first() if pk else None
        if review is None:
            raise Http404("There is no such review.")
        return review

    def change_view(self, request, object_id, form_url="", extra_context=None):
        review = self._review(request, object_id)
        form = None
        if request.method == "POST":
            if not may_edit_review(request.user):
                raise PermissionDenied
            form = ReviewForm(request.POST)
            if form.is_valid():
                data = dict(form.cleaned_data)
                services = data.pop("services")
                try:
                    review_update(
                        review=review,
                        actor=request.user,
                        services=services,
                        **{name: data[name] for name in EDITABLE_FIELDS},
                    )
                except DomainError as error:
                    add_domain_error(form, error)
                else:
                    self.message_user(request, "Review saved.", messages.SUCCESS)
                    return HttpResponseRedirect(self._url("change", review.pk))
        return self._review_page(request, review, form=form)

    def _review_page(self, request, review, *, form=None, status=None):
        editable = may_edit_review(request.user) and review.state == PostIncidentReview.State.DRAFT
        if form is None:
            initial = {name: getattr(review, name) for name in EDITABLE_FIELDS}
            initial["services"] = [service.pk for service in review.services.all()]
            form = ReviewForm(initial=initial)
        owner_choices = _owner_choices() if may_edit_review(request.user) else []
        today = uk_today()
        actions = [
            {
                "action": action,
                "overdue": action_is_overdue(action, today),
                "form": ActionForm(
                    owner_choices=owner_choices,
                    initial={
                        "owner": action.owner_id,
                        "action": action.action,
                        "due_on": action.due_on,
                    },
                    prefix=f"action-{action.pk}",
                ),
                "url": self._url("action", review.pk, action.pk),
            }
            for action in review.actions.all()
        ]
        rows = [
            {
                "row": row,
                "form": TimelineRowForm(
                    initial={
                        "occurred_at": timezone.localtime(row.occurred_at),
                        "event": row.event,
                        "comments": row.comments,
                    },
                    prefix=f"row-{row.pk}",
                ),
                "url": self._url("timeline_row", review.pk, row.pk),
            }
            for row in review.timeline_rows.all()
        ]
        milestones = [
            {"view": view, "url": self._url("milestone", review.pk, view.milestone.pk)}
            for view in milestone_views(review)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Post-incident review {review.incident_ref}",
            "opts": self.opts,
            "original": review,
            "review": review,
            "major_incident": review.major_incident,
            "form": form,
            "editable": editable,
            "may_track": may_edit_review(request.user),
            "may_sign_off": may_sign_off_review(request.user)
            and review.state == PostIncidentReview.State.DRAFT,
            "may_distribute": may_edit_review(request.user)
            and review.state == PostIncidentReview.State.SIGNED_OFF
            and review.distributed_at is None,
            "may_raise_problem": request.user.has_perm("problems.add_problem"),
            "rows": rows,
            "row_add_form": TimelineRowForm(prefix="new-row"),
            "milestones": milestones,
            "actions": actions,
            "action_add_form": ActionForm(owner_choices=owner_choices, prefix="new-action"),
            "urls": {
                "save": self._url("change", review.pk),
                "print": self._url("print", review.pk),
                "timeline_add": self._url("timeline_add", review.pk),
                "action_add": self._url("action_add", review.pk),
                "sign_off": self._url("sign_off", review.pk),
                "distribute": self._url("distribute", review.pk),
                "raise_problem": self._url("raise_problem", review.pk),
                "changelist": self._url("changelist"),
                "actions": self._url("actions"),
            },
            "has_view_permission": True,
        }
        return TemplateResponse(
            request,
            "admin/major_incidents/postincidentreview/review.html",
            context,
            status=status or (400 if form.is_bound and form.errors else 200),
        )

    def print_view(self, request, object_id):
        """Appendix E in the template's order, for printing: no console chrome."""
        review = self._review(request, object_id)
        context = {
            "review": review,
            "major_incident": review.major_incident,
            "actions": review.actions.all(),
            "rows": review.timeline_rows.all(),
            "milestones": milestone_views(review),
        }
        return TemplateResponse(
            request, "admin/major_incidents/postincidentreview/print.html", context
        )

    # --- the page's small forms -----------------------------------------------------------------

    def _post_only(self, request, object_id):
        review = self._review(request, object_id)
        if request.method != "POST":
            return review, HttpResponseRedirect(self._url("change", review.pk))
        if not may_edit_review(request.user) and not self._is_action_owner(request, review):
            raise PermissionDenied
        return review, None

    @staticmethod
    def _is_action_owner(request, review) -> bool:
        return any(action.owner_id == request.user.pk for action in review.actions.all())

    def _done(self, request, review, text: str, anchor: str):
        self.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(f"{self._url('change', review.pk)}#{anchor}")

    def _refused(self, request, review, error, anchor: str):
        message = error.message
        details = [m for field_messages in error.field_errors.values() for m in field_messages]
        if details:
            message = f"{message} {' '.join(details)}"
        self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(f"{self._url('change', review.pk)}#{anchor}")

    def _form_refused(self, request, review, form, anchor: str):
        details = " ".join(
            f"{form.fields[name].label if name in form.fields else ''}: {message}".lstrip(": ")
            for name, errors in form.errors.items()
            for message in errors
        )
        self.message_user(request, f"Check the form. {details}", messages.ERROR)
        return HttpResponseRedirect(f"{self._url('change', review.pk)}#{anchor}")

    def timeline_add_view(self, request, object_id):
        review, redirect = self._post_only(request, object_id)
        if redirect:
            return redirect
        form = TimelineRowForm(request.POST, prefix="new-row")
        if not form.is_valid():
            return self._form_refused(request, review, form, "timeline")
        try:
            review_timeline_row_add(review=review, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            return self._refused(request, review, error, "timeline")
        return self._done(request, review, "Row added to the timeline.", "timeline")

    def timeline_row_view(self, request, object_id, row_id):
        review, redirect = self._post_only(request, object_id)
        if redirect:
            return redirect
        row = ReviewTimelineRow.objects.filter(pk=row_id, review=review).first()
        if row is None:
            raise Http404("That row is not on this review.")
        try:
            if request.POST.get("delete"):
                review_timeline_row_delete(row=row, actor=request.user)
                return self._done(request, review, "Row removed from the timeline.", "timeline")
            form = TimelineRowForm(request.POST, prefix=f"row-{row.pk}")
            if not form.is_valid():
                return self._form_refused(request, review, form, "timeline")
            review_timeline_row_update(row=row, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            return self._refused(request, review, error, "timeline")
        return self._done(request, review, "Timeline row saved.", "timeline")

    def milestone_view(self, request, object_id, milestone_id):
        review, redirect = self._post_only(request, object_id)
        if redirect:
            return redirect
        milestone = ReviewMilestone.objects.filter(pk=milestone_id, review=review).first()
        if milestone is None:
            raise Http404("That milestone is not on this review.")
        what = request.POST.get("do")
        try:
            if what == "done":
                review_milestone_complete(milestone=milestone, actor=request.user)
                text = f"“{milestone.title}” marked done."
            elif what == "skip":
                review_milestone_skip(
                    milestone=milestone, actor=request.user, reason=request.POST.get("reason", "")
                )
                text = f"“{milestone.title}” skipped."
            elif what == "reopen":
                review_milestone_reopen(milestone=milestone, actor=request.user)
                text = f"“{milestone.title}” reopened."
            else:
                self.message_user(request, "Choose what to do with the milestone.", messages.ERROR)
                return HttpResponseRedirect(f"{self._url('change', review.pk)}#milestones")
        except DomainError as error:
            return self._refused(request, review, error, "milestones")
        return self._done(request, review, text, "milestones")

    def action_add_view(self, request, object_id):
        review, redirect = self._post_only(request, object_id)
        if redirect:
            return redirect
        form = ActionForm(request.POST, owner_choices=_owner_choices(), prefix="new-action")
        if not form.is_valid():
            return self._form_refused(request, review, form, "actions")
        owner = action_owner_choices().filter(pk=form.cleaned_data["owner"]).first()
        try:
            review_action_add(
                review=review,
                actor=request.user,
                owner=owner,
                action=form.cleaned_data["action"],
                due_on=form.cleaned_data["due_on"],
            )
        except DomainError as error:
            return self._refused(request, review, error, "actions")
        return self._done(request, review, f"Action added; {owner} has been told.", "actions")

    def action_view(self, request, object_id, action_id):
        review, redirect = self._post_only(request, object_id)
        if redirect:
            return redirect
        action = ReviewAction.objects.filter(pk=action_id, review=review).first()
        if action is None:
            raise Http404("That action is not on this review.")
        what = request.POST.get("do")
        try:
            if what == "done":
                review_action_complete(
                    action=action, actor=request.user, note=request.POST.get("note", "")
                )
                text = "Action marked done."
            elif what == "reopen":
                review_action_reopen(action=action, actor=request.user)
                text = "Action reopened."
            elif what == "save":
                form = ActionForm(
                    request.POST, owner_choices=_owner_choices(), prefix=f"action-{action.pk}"
                )
                if not form.is_valid():
                    return self._form_refused(request, review, form, "actions")
                owner = action_owner_choices().filter(pk=form.cleaned_data["owner"]).first()
                review_action_update(
                    action=action,
                    actor=request.user,
                    owner=owner,
                    text=form.cleaned_data["action"],
                    due_on=form.cleaned_data["due_on"],
                )
                text = "Action saved."
            else:
                self.message_user(request, "Choose what to do with the action.", messages.ERROR)
                return HttpResponseRedirect(f"{self._url('change', review.pk)}#actions")
        except DomainError as error:
            return self._refused(request, review, error, "actions")
        return self._done(request, review, text, "actions")

    def sign_off_view(self, request, object_id):
        review = self._review(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url("change", review.pk))
        try:
            review_sign_off(review=review, actor=request.user)
        except DomainError as error:
            return self._refused(request, review, error, "sign-off")
        return self._done(
            request,
            review,
            "Review signed off; it is now read-only. Distribute it next.",
            "sign-off",
        )

    def distribute_view(self, request, object_id):
        review = self._review(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._url("change", review.pk))
        try:
            message = review_distribute(review=review, actor=request.user)
        except DomainError as error:
            return self._refused(request, review, error, "sign-off")
        return self._done(
            request,
            review,
            f"Final review sent to the {message.distribution_list.name} list.",
            "sign-off",
        )

    # --- open follow-up actions across reviews --------------------------------------------------

    def raise_problem_view(self, request, object_id):
        """Raise a problem record from the review (§5.11 steps 23–25): the problem form,
        filled in from the review and its incident."""
        review = self._review(request, object_id)
        if not request.user.has_perm("problems.add_problem"):
            raise PermissionDenied
        if request.method == "POST":
            form = ProblemForm(request.POST)
        else:
            initial = problem_fields_from_review(review)
            form = ProblemForm(initial={name: value for name, value in initial.items() if value})
        if request.method == "POST" and form.is_valid():
            try:
                problem = review_raise_problem(
                    review=review, actor=request.user, **form.cleaned_data
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                self.message_user(
                    request,
                    f"{problem.number} raised from the review and linked to {review.incident_ref}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:problems_problem_change", args=[problem.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Raise a problem from the review of {review.incident_ref}",
            "opts": self.opts,
            "form": form,
            "has_view_permission": True,
            "source_name": f"Post-incident review {review.incident_ref}",
            "source_url": self._url("change", review.pk),
            "source_title": review.incident_title,
        }
        return TemplateResponse(
            request,
            "admin/problems/problem/raise.html",
            context,
            status=400 if form.is_bound and form.errors else 200,
        )

    def action_list_view(self, request):
        """Every open follow-up action, soonest due first, by owner and overdue."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            owner_id = int(request.GET.get("owner") or 0)
        except ValueError:
            owner_id = 0
        overdue = request.GET.get("overdue") == "1"
        actions = review_action_list_for(request.user, owner_id=owner_id or None, overdue=overdue)
        page = CappedPaginator(actions, ACTIONS_PAGE_SIZE).get_page(request.GET.get("p"))
        today = uk_today()
        query = "&".join(
            part
            for part in (f"owner={owner_id}" if owner_id else "", "overdue=1" if overdue else "")
            if part
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Open follow-up actions",
            "opts": self.opts,
            "page": page,
            "rows": [
                {
                    "action": action,
                    "overdue": action_is_overdue(action, today),
                    "due": uk_date(action.due_on),
                    "url": f"{self._url('change', action.review_id)}#actions",
                }
                for action in page.object_list
            ],
            "owners": _owner_choices(),
            "owner_id": owner_id,
            "overdue": overdue,
            "query": query,
        }
        return TemplateResponse(
            request, "admin/major_incidents/postincidentreview/actions.html", context
        )


admin.site.register(PostIncidentReview, PostIncidentReviewAdmin)
