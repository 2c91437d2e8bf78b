"""Major incidents in the agent console: the list, and the war room as each one's page (§5.11
steps 8–22, §5.17–5.19.1, §5.24).

Incident managers run the war room — bridge, services and their status, comms, the status
page, and for another provider's major incident the relays and links; other staff with the
view permission read it. Every form posts to a small view that calls one service
(`major_incidents.war_room`, `.comms`, `.public`, `.other_providers`); refusals come back as
messages or on the form, never as a 500. Imported by `major_incidents/admin.py`.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from comms.lists import BODY_MAX, SUBJECT_MAX
from core.admin import CappedCountAdminMixin, add_domain_error, uk_time
from core.errors import DomainError
from tickets.models import Service

from .comms import (
    COMPOSER_KINDS,
    comms_draft,
    comms_send,
    composer_kinds_for,
    major_incident_update_interval_set,
    update_interval_bounds,
)
from .models import (
    CommsMessage,
    IndustryCircular,
    MajorIncident,
    PostIncidentReview,
    PublicUpdate,
    ServiceImpact,
)
from .other_providers import (
    RELAY_MAX,
    lead_provider_suggestions,
    linked_tickets_for,
    other_provider_major_incident_close,
    other_provider_major_incident_record,
    other_provider_major_incident_resolve,
    other_provider_ticket_link,
    other_provider_update_relay,
)
from .public import PUBLIC_BODY_MAX, public_update_publish, service_impact_set
from .war_room import (
    BRIDGE_MAX,
    comms_due,
    engagements_for,
    major_incident_bridge_set,
    major_incident_list_for,
    may_manage,
    may_view,
    service_impacts_for,
    timeline_for,
)

# --- forms -----------------------------------------------------------------------------------


def _managers():
    """Staff who may run major incidents (Incident managers, service managers)."""
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            is_staff=True,
            groups__permissions__codename="manage_majorincident",
            groups__permissions__content_type__app_label="major_incidents",
        )
        .distinct()
        .order_by("full_name", "email")
    )


class BridgeForm(forms.Form):
    bridge_details = forms.CharField(
        label="Bridge details",
        required=False,
        max_length=BRIDGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Conference link, dial-in number and PIN.",
    )


class ServiceStatusForm(forms.Form):
    service = forms.ModelChoiceField(
        label="Service",
        queryset=Service.objects.filter(active=True).order_by("sort_order", "name"),
    )
    status = forms.ChoiceField(label="Status on the status page", choices=ServiceImpact.Status)


class IntervalForm(forms.Form):
    update_interval_minutes = forms.IntegerField(
        label="Minutes between updates", min_value=1, max_value=1440
    )


class PublicUpdateForm(forms.Form):
    status = forms.ChoiceField(label="Progress", choices=MajorIncident.PublicStatus)
    body = forms.CharField(
        label="Public update",
        max_length=PUBLIC_BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown on the public status page and its feed: business and impact language "
        "only, never technical detail or anything from work notes.",
    )


class CommsForm(forms.Form):
    kind = forms.ChoiceField(
        label="Kind of communication",
        choices=[(kind.value, kind.label) for kind in COMPOSER_KINDS],
    )
    subject = forms.CharField(label="Subject", max_length=SUBJECT_MAX)
    body = forms.CharField(
        label="Message",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Business and impact language (Appendix G). Never include an MPAN.",
    )
    publish_to_status_page = forms.BooleanField(
        label="Also publish these words on the public status page", required=False
    )
    public_status = forms.ChoiceField(
        label="Progress on the status page",
        choices=[("", "Keep as it is"), *MajorIncident.PublicStatus.choices],
        required=False,
    )


class RelayForm(forms.Form):
    body = forms.CharField(
        label="The lead provider's update",
        max_length=RELAY_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Sent to the Major Incident comms list as “Update from <provider>:”, and put "
        "on each linked open incident for the desk to check before callers see it.",
    )


class LinkForm(forms.Form):
    number = forms.CharField(
        label="Incident or case number", max_length=20, help_text="e.g. INC0000042 or CS0001234."
    )


class ProviderStateForm(forms.Form):
    action = forms.ChoiceField(choices=[("resolve", "Resolved"), ("close", "Closed")])
    note = forms.CharField(label="Note", required=False, max_length=300)


class OtherProviderForm(forms.Form):
    """§5.24: another central service provider's major incident."""

    lead_provider = forms.CharField(
        label="Lead provider",
        max_length=150,
        help_text="The central service provider leading it: choose from the service-desk "
        "directory or type the name.",
        widget=forms.TextInput(attrs={"list": "lead-provider-suggestions"}),
    )
    external_reference = forms.CharField(label="Their reference", max_length=100, required=False)
    title = forms.CharField(label="Internal title", max_length=160)
    public_title = forms.CharField(
        label="Public title", max_length=160, help_text="Shown on the public status page."
    )
    public_summary = forms.CharField(
        label="Impact summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Business and impact language for the comms and the status page.",
    )
    services = forms.ModelMultipleChoiceField(
        label="Services affected",
        queryset=Service.objects.filter(active=True).order_by("sort_order", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    service_status = forms.ChoiceField(
        label="How they are affected",
        choices=ServiceImpact.Status,
        initial=ServiceImpact.Status.MAJOR_OUTAGE,
    )
    manager = forms.ModelChoiceField(label="Major Incident Manager here", queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["manager"].queryset = _managers()


# --- the admin -------------------------------------------------------------------------------


@admin.register(MajorIncident)
class MajorIncidentAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    """The list of major incidents and the war room (§5.11). Opened by promotion (§5.11 step 7)
    or recorded for another provider (§5.24), never added or deleted here."""

    list_display = (
        "number",
        "public_title",
        "state",
        "public_status",
        "manager",
        "next_comms",
        "promoted",
    )
    list_display_links = ("number", "public_title")
    list_filter = ("state", "public_status", "led_by_other_provider")
    list_select_related = ("manager",)
    search_fields = ("number", "title", "public_title", "external_reference", "lead_provider")
    ordering = ("-promoted_at", "-id")
    change_list_template = "admin/major_incidents/majorincident/change_list.html"

    @admin.display(description="Promoted (UK time)", ordering="promoted_at")
    def promoted(self, obj):
        return uk_time(obj.promoted_at)

    @admin.display(description="Next communication", ordering="next_comms_due_at")
    def next_comms(self, obj):
        due = comms_due(obj)
        return format_html('<span class="war-room-due {}">{}</span>', due.css, due.text)

    def has_module_permission(self, request):
        return may_view(request.user)

    def has_view_permission(self, request, obj=None):
        return may_view(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return may_manage(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {})}
        if may_manage(request.user):
            extra_context["other_provider_url"] = reverse(
                "admin:major_incidents_majorincident_other_provider"
            )
        return super().changelist_view(request, extra_context)

    # --- urls --------------------------------------------------------------------------------

    def get_urls(self):
        prefix = "major_incidents_majorincident"
        views = [
            ("comms/", self.comms_view, "comms"),
            ("bridge/", self.bridge_view, "bridge"),
            ("service/", self.service_view, "service"),
            ("interval/", self.interval_view, "interval"),
            ("public-update/", self.public_update_view, "public_update"),
            ("relay/", self.relay_view, "relay"),
            ("link/", self.link_view, "link"),
            ("provider-state/", self.provider_state_view, "provider_state"),
        ]
        return [
            path(
                "other-provider/",
                self.admin_site.admin_view(self.other_provider_view),
                name=f"{prefix}_other_provider",
            ),
            *(
                path(
                    f"<path:object_id>/{route}",
                    self.admin_site.admin_view(view),
                    name=f"{prefix}_{name}",
                )
                for route, view, name in views
            ),
            *super().get_urls(),
        ]

    def _url(self, name: str, pk) -> str:
        return reverse(f"admin:major_incidents_majorincident_{name}", args=[pk])

    def _get(self, request, object_id) -> MajorIncident:
        if not may_view(request.user):
            raise PermissionDenied
        try:
            pk = int(unquote(object_id))
        except ValueError:
            raise Http404("There is no such major incident.") from None
        found = major_incident_list_for(request.user).filter(pk=pk).first()
        if found is None:
            raise Http404("There is no such major incident.")
        return found

    # --- the war room ------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        major_incident = self._get(request, object_id)
        return self._war_room(request, major_incident)

    def _war_room(self, request, major_incident, *, forms_given=None, status=200):
        manage = may_manage(request.user)
        show_all = request.GET.get("timeline") == "all"
        impacts = service_impacts_for(major_incident)
        pk = major_incident.pk
        context = {
            **self.admin_site.each_context(request),
            "title": f"War room: {major_incident.number}",
            "opts": self.opts,
            "original": major_incident,
            "mi": major_incident,
            "may_manage": manage,
            "due": comms_due(major_incident),
            "impacts": impacts,
            "engagements": engagements_for(major_incident),
            "timeline": timeline_for(major_incident, limit=None if show_all else 200),
            "public_updates": list(
                PublicUpdate.objects.filter(major_incident=major_incident)
                .select_related("published_by")
                .order_by("-published_at", "-id")[:5]
            ),
            "incident_url": (
                reverse("admin:incidents_incident_change", args=[major_incident.incident_id])
                if major_incident.incident_id
                else ""
            ),
            "show_all_url": f"{request.path}?timeline=all",
            "has_view_permission": True,
            # §5.11 steps 11–13 and 18–20: circulars drafted from here; §5.23: the review.
            "circulars": list(
                IndustryCircular.objects.filter(major_incident=major_incident).order_by(
                    "-drafted_at", "-id"
                )
            ),
            "may_draft_circular": request.user.has_perm("major_incidents.add_industrycircular"),
            "circular_add_url": (
                f"{reverse('admin:major_incidents_industrycircular_add')}?major_incident={pk}"
            ),
            "review": PostIncidentReview.objects.filter(major_incident=major_incident).first(),
        }
        if major_incident.led_by_other_provider:
            incidents, others = linked_tickets_for(major_incident)
            context.update(linked_incidents=incidents, linked_tickets=others)
        active = major_incident.state == MajorIncident.State.ACTIVE
        if manage and major_incident.state != MajorIncident.State.CLOSED:
            given = forms_given or {}
            low, high = update_interval_bounds()
            context.update(
                bridge_form=given.get("bridge")
                or BridgeForm(initial={"bridge_details": major_incident.bridge_details}),
                public_form=given.get("public")
                or PublicUpdateForm(initial={"status": major_incident.public_status}),
                comms_links=[
                    (kind.label, f"{self._url('comms', pk)}?kind={kind.value}")
                    for kind in composer_kinds_for(major_incident)
                ],
                interval_bounds=(low, high),
                urls={
                    name: self._url(name, pk)
                    for name in (
                        "bridge",
                        "service",
                        "interval",
                        "public_update",
                        "relay",
                        "link",
                        "provider_state",
                    )
                },
            )
            if active:
                context.update(
                    service_form=given.get("service") or ServiceStatusForm(),
                    interval_form=given.get("interval")
                    or IntervalForm(
                        initial={"update_interval_minutes": major_incident.update_interval_minutes}
                    ),
                )
            if major_incident.led_by_other_provider:
                context.update(
                    relay_form=given.get("relay") or RelayForm(),
                    link_form=given.get("link") or LinkForm(),
                    provider_action="resolve" if active else "close",
                )
        return TemplateResponse(
            request, "admin/major_incidents/majorincident/war_room.html", context, status=status
        )

    def _post(self, request, object_id, form_class, key, run, success):
        """A war-room form: call the service, then back to the war room with a message, or the
        war room again with the refusal on the form (400)."""
        major_incident = self._get(request, object_id)
        back = self._url("change", major_incident.pk)
        if request.method != "POST":
            return HttpResponseRedirect(back)
        if not may_manage(request.user):
            raise PermissionDenied
        form = form_class(request.POST)
        if form.is_valid():
            try:
                text = success(run(major_incident, form.cleaned_data))
            except DomainError as refusal:
                add_domain_error(form, refusal)
                self.message_user(request, refusal.message, messages.ERROR)
            else:
                self.message_user(request, text, messages.SUCCESS)
                return HttpResponseRedirect(f"{back}#{key}")
        major_incident.refresh_from_db()
        return self._war_room(request, major_incident, forms_given={key: form}, status=400)

    def bridge_view(self, request, object_id):
        return self._post(
            request,
            object_id,
            BridgeForm,
            "bridge",
            lambda mi, data: major_incident_bridge_set(
                major_incident=mi, actor=request.user, bridge_details=data["bridge_details"]
            ),
            lambda mi: "Bridge details saved.",
        )

    def service_view(self, request, object_id):
        return self._post(
            request,
            object_id,
            ServiceStatusForm,
            "service",
            lambda mi, data: service_impact_set(
                major_incident=mi,
                actor=request.user,
                service=data["service"],
                status=data["status"],
            ),
            lambda impact: f"{impact.service} is now “{impact.get_status_display()}”.",
        )

    def interval_view(self, request, object_id):
        return self._post(
            request,
            object_id,
            IntervalForm,
            "interval",
            lambda mi, data: major_incident_update_interval_set(
                major_incident=mi, actor=request.user, minutes=data["update_interval_minutes"]
            ),
            lambda mi: f"Updates are due every {mi.update_interval_minutes} minutes.",
        )

    def public_update_view(self, request, object_id):
        return self._post(
            request,
            object_id,
            PublicUpdateForm,
            "public",
            lambda mi, data: public_update_publish(
                major_incident=mi, actor=request.user, status=data["status"], body=data["body"]
            ),
            lambda update: "Published on the status page.",
        )

    def relay_view(self, request, object_id):
        return self._post(
            request,
            object_id,
            RelayForm,
            "relay",
            lambda mi, data: other_provider_update_relay(
                major_incident=mi, actor=request.user, body=data["body"]
            ),
            lambda sent: "Update relayed to the comms list and the linked incidents.",
        )

    def link_view(self, request, object_id):
        return self._post(
            request,
            object_id,
            LinkForm,
            "link",
            lambda mi, data: other_provider_ticket_link(
                major_incident=mi, actor=request.user, number=data["number"]
            ),
            lambda ticket: f"{ticket.number} linked.",
        )

    def provider_state_view(self, request, object_id):
        def run(mi, data):
            act = (
                other_provider_major_incident_resolve
                if data["action"] == "resolve"
                else other_provider_major_incident_close
            )
            return act(major_incident=mi, actor=request.user, note=data["note"])

        return self._post(
            request,
            object_id,
            ProviderStateForm,
            "provider",
            run,
            lambda mi: f"{mi.number} is {mi.get_state_display().lower()}.",
        )

    # --- the comms composer ------------------------------------------------------------------

    def comms_view(self, request, object_id):
        """Compose and send one communication (§5.17–5.18), prefilled for the kind chosen."""
        major_incident = self._get(request, object_id)
        if not may_manage(request.user):
            raise PermissionDenied
        back = self._url("change", major_incident.pk)
        kind = request.GET.get("kind") or CommsMessage.Kind.UPDATE
        if kind not in COMPOSER_KINDS:
            kind = CommsMessage.Kind.UPDATE
        if request.method == "POST":
            form = CommsForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    sent = comms_send(
                        major_incident=major_incident,
                        actor=request.user,
                        kind=data["kind"],
                        subject=data["subject"],
                        body=data["body"],
                        publish_to_status_page=data["publish_to_status_page"],
                        public_status=data["public_status"] or None,
                    )
                except DomainError as refusal:
                    add_domain_error(form, refusal)
                else:
                    self.message_user(
                        request,
                        f"{sent.get_kind_display()} sent to the Major Incident comms list.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(f"{back}#timeline")
        else:
            draft = comms_draft(major_incident=major_incident, kind=kind)
            form = CommsForm(
                initial={"kind": draft.kind, "subject": draft.subject, "body": draft.body}
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Communication for {major_incident.number}",
            "opts": self.opts,
            "original": major_incident,
            "mi": major_incident,
            "form": form,
            "change_url": back,
            "kind_links": [
                (k.label, f"{request.path}?kind={k.value}", k.value == kind) for k in COMPOSER_KINDS
            ],
            "due": comms_due(major_incident),
            "has_view_permission": True,
        }
        status = 400 if form.is_bound and form.errors else 200
        return TemplateResponse(
            request, "admin/major_incidents/majorincident/comms.html", context, status=status
        )

    # --- another provider's major incident ---------------------------------------------------

    def other_provider_view(self, request):
        """§5.24: record a major incident another central service provider leads."""
        if not may_manage(request.user):
            raise PermissionDenied
        form = OtherProviderForm(request.POST or None, initial={"manager": request.user.pk})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                major_incident = other_provider_major_incident_record(
                    actor=request.user,
                    lead_provider=data["lead_provider"],
                    external_reference=data["external_reference"],
                    title=data["title"],
                    public_title=data["public_title"],
                    public_summary=data["public_summary"],
                    services=list(data["services"]),
                    service_status=data["service_status"],
                    manager=data["manager"],
                )
            except DomainError as refusal:
                add_domain_error(form, refusal)
            else:
                self.message_user(
                    request,
                    f"{major_incident.number} recorded, led by {major_incident.lead_provider}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._url("change", major_incident.pk))
        context = {
            **self.admin_site.each_context(request),
            "title": "Record another provider's major incident",
            "opts": self.opts,
            "form": form,
            "suggestions": list(lead_provider_suggestions()),
            "changelist_url": reverse("admin:major_incidents_majorincident_changelist"),
            "has_view_permission": True,
        }
        status = 400 if form.is_bound and form.errors else 200
        return TemplateResponse(
            request,
            "admin/major_incidents/majorincident/other_provider.html",
            context,
            status=status,
        )
