"""The console's "Self-help deflection" report (§11.2.2: search before raising a case): per
article, how often it was suggested while someone raised a case, how often it was opened, and
how many cases were raised anyway after it was suggested. For knowledge managers and service
managers (`knowledge.view_selfhelp_report`); read-only, filtered by period and searchable.

It is the changelist of the impressions (`knowledge.SuggestionImpression`), drawn from
`cases.knowledge_links.deflection_articles`, which also reads the cases' suggestion records."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from core.pagination import CappedPaginator
from knowledge.models import SuggestionImpression
from knowledge.self_help import article_portal_path

from .knowledge_links import deflection_articles

ROWS_PER_PAGE = 50
DEFAULT_PERIOD_DAYS = 30


class DeflectionFilterForm(forms.Form):
    since = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the first day as a date, for example 2026-11-01."},
    )
    until = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the last day as a date, for example 2026-11-30."},
    )
    q = forms.CharField(label="Article number or title", required=False, max_length=160)

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The last day must be on or after the first day.")
        return cleaned


def _period(form: DeflectionFilterForm, today: date) -> tuple[date | None, date | None, str]:
    """The period and search asked for; the last 30 days when the form was not sent or is
    invalid (its errors are shown next to the fields)."""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return data["since"], data["until"], data["q"].strip()
    return today - timedelta(days=DEFAULT_PERIOD_DAYS - 1), today, ""


@admin.register(SuggestionImpression)
class SelfHelpDeflectionAdmin(admin.ModelAdmin):
    """Read-only; nothing here is added, changed or deleted by hand."""

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm("knowledge.view_selfhelp_report")

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("knowledge.view_selfhelp_report")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("", self.admin_site.admin_view(self.changelist_view), name=f"{prefix}_changelist")
        ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        asked = {k: request.GET[k] for k in ("since", "until", "q") if request.GET.get(k)}
        form = DeflectionFilterForm(asked or None)
        since, until, query = _period(form, timezone.localdate())
        paginator = CappedPaginator(
            deflection_articles(since=since, until=until, query=query), ROWS_PER_PAGE
        )
        page = paginator.get_page(request.GET.get("p"))
        rows = [
            {
                "article": article,
                "url": article_portal_path(article.number),
                "suggested": article.suggested,
                "opened": article.opened,
                "cases_raised": article.cases_raised,
                "deflected": max(article.suggested - article.cases_raised, 0),
            }
            for article in page.object_list
        ]
        filter_query = urlencode(
            {
                "since": since.isoformat() if since else "",
                "until": until.isoformat() if until else "",
                "q": query,
            }
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Self-help deflection",
            "form": form,
            "since": since,
            "until": until,
            "query": query,
            "rows": rows,
            "page": page,
            "filter_query": filter_query,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/knowledge/selfhelp_report.html", context)
