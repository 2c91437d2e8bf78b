"""Industry circulars in the agent console (§5.11 steps 11–12 and 18–19, §5.20): Incident
managers draft them — from the war room with `?major_incident=<pk>`, which prefills the
public title and the services affected — edit drafts, and publish them after a confirmation.
A published circular is read-only. Every write goes through `major_incidents.circulars`."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse

from core.admin import ServiceFormAdminMixin, uk_time
from core.errors import DomainError
from tickets.models import Service

from .circulars import circular_draft, circular_publish, circular_update
from .models import IndustryCircular, MajorIncident


class CircularForm(forms.ModelForm):
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(active=True).order_by("sort_order", "name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Subscribers of these services on the status page are emailed when it is published.",
    )
    major_incident = forms.ModelChoiceField(
        queryset=MajorIncident.objects.order_by("-promoted_at", "-id"),
        required=False,
        help_text="The major incident this circular is about, if any: it goes on its timeline.",
    )

    class Meta:
        model = IndustryCircular
        fields = ("major_incident", "title", "body", "services")
        help_texts = {
            "title": "Public: shown on the status page and in its feed.",
            "body": "Public, for market participants: what happened, who is affected and what "
            "they should do. Nothing from work notes or cases.",
        }


@admin.register(IndustryCircular)
class IndustryCircularAdmin(ServiceFormAdminMixin, admin.ModelAdmin):
    form = CircularForm
    list_display = ("number_display", "title", "state", "major_incident", "published", "drafted")
    list_display_links = ("number_display", "title")
    list_filter = ("state",)
    search_fields = ("number", "title", "body")
    list_select_related = ("major_incident",)
    list_per_page = 25
    ordering = ("-published_at", "-drafted_at", "-id")

    @admin.display(description="Number", ordering="number")
    def number_display(self, obj) -> str:
        return obj.number or "Draft"

    @admin.display(description="Published", ordering="published_at")
    def published(self, obj) -> str:
        return uk_time(obj.published_at)

    @admin.display(description="Drafted", ordering="drafted_at")
    def drafted(self, obj) -> str:
        return uk_time(obj.drafted_at)

    def get_readonly_fields(self, request, obj=None):
        return ("major_incident",) if obj is not None else ()

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.state == IndustryCircular.State.PUBLISHED:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.state == IndustryCircular.State.PUBLISHED:
            return False
        return super().has_delete_permission(request, obj)

    def get_changeform_initial_data(self, request):
        """From the war room (`?major_incident=<pk>`): the major incident chosen, its public
        title and summary and the services it affects filled in, to be edited."""
        initial = super().get_changeform_initial_data(request)
        raw = request.GET.get("major_incident", "")
        major_incident = (
            MajorIncident.objects.filter(pk=int(raw)).only("public_title", "public_summary").first()
            if raw.isdigit()
            else None
        )
        if major_incident is None:
            initial.pop("major_incident", None)
            return initial
        initial.setdefault("title", major_incident.public_title)
        initial.setdefault("body", major_incident.public_summary)
        initial["services"] = list(
            major_incident.service_impacts.values_list("service_id", flat=True)
        )
        return initial

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            saved = circular_update(
                circular=obj,
                actor=request.user,
                title=data["title"],
                body=data["body"],
                services=data["services"],
            )
        else:
            saved = circular_draft(
                actor=request.user,
                title=data["title"],
                body=data["body"],
                services=data["services"],
                major_incident=data.get("major_incident"),
            )
        obj.pk = saved.pk
        obj.drafted_by_id = saved.drafted_by_id
        obj.drafted_at = saved.drafted_at

    def save_related(self, request, form, formsets, change):
        """The services were set by the service; the form's own m2m save is not used."""

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/publish/",
                self.admin_site.admin_view(self.publish_view),
                name=f"{prefix}_publish",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_publish": request.user.has_perm("major_incidents.publish_industrycircular"),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def publish_view(self, request, object_id):
        """Confirm, then publish (§5.11 steps 12 and 19)."""
        if not request.user.has_perm("major_incidents.publish_industrycircular"):
            raise PermissionDenied
        circular = (
            IndustryCircular.objects.select_related("major_incident")
            .filter(pk=object_id if str(object_id).isdigit() else None)
            .first()
        )
        if circular is None:
            raise Http404("No such circular.")
        change_url = reverse("admin:major_incidents_industrycircular_change", args=[circular.pk])
        refusal = ""
        status = 200
        if request.method == "POST":
            try:
                published = circular_publish(circular=circular, actor=request.user)
            except DomainError as error:
                refusal = " ".join(
                    [error.message, *(m for ms in error.field_errors.values() for m in ms)]
                )
                status = 400 if error.status == 400 else 409
            else:
                self.message_user(
                    request,
                    f"Industry circular {published.number} is published: it is on the status "
                    "page and its feed, and its services' subscribers are being emailed.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": circular,
            "title": f"Publish “{circular.title}”",
            "services": circular.services.order_by("sort_order", "name"),
            "change_url": change_url,
            "refusal": refusal,
        }
        return render(
            request,
            "admin/major_incidents/industrycircular/publish_confirm.html",
            context,
            status=status,
        )
