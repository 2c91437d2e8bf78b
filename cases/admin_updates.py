"""The console's side of desk-checked customer updates (§10.3, Appendix G): the "Awaiting
update" queue, the proposed update on the case page, and the view its buttons post to.

`ProposedUpdateAdminMixin` adds the queue and the action URL to the case admin and the
pending proposals to the case page's context (drawn by
`templates/admin/cases/case/_proposed_update.html`). Every action calls one service in
`cases.proposed_updates`; refusals come back as messages, never as a 500.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from core.admin import add_domain_error, error_fits_form, uk_time
from core.errors import DomainError
from core.markup import html_format, html_join
from core.pagination import CappedPaginator
from core.urls import reverse_fixed
from tickets.admin_list import PK_PLACEHOLDER

from .models import Case, ProposedUpdate
from .proposed_updates import (
    FINISHED_STATES,
    PROPOSAL_STATES,
    case_update_discard,
    case_update_send,
    case_updates_pending_for,
    proposed_update_queue_for,
)

QUEUE_PAGE_SIZE = 50
ACTIONS = ("send", "send_resolve", "discard")


class ProposedUpdateForm(forms.Form):
    """The text the caller will read, prefilled with the incident's words; the resolution
    code used when the desk resolves the case as it sends."""

    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, label="Update for the caller"
    )
    code = forms.ChoiceField(
        choices=[("", "---------"), *Case.ResolutionCode.choices],
        required=False,
        label="Resolution code (optional)",
        error_messages={"invalid_choice": "Choose a resolution code from the list."},
    )
    action = forms.ChoiceField(choices=[(name, name) for name in ACTIONS])


class ProposedUpdateAdminMixin:
    """Mixed into the case admin before `TicketAdmin`."""

    def ticket_context(self, request, obj) -> dict:
        context = super().ticket_context(request, obj)
        # Only a case triaged to an incident can have proposals: no query for the others.
        if obj.triage_outcome != Case.TriageOutcome.INCIDENT or not self.has_change_permission(
            request, obj
        ):
            return context
        # A form sent back with an error keeps what the agent wrote (`proposed_update_act`).
        bound = getattr(request, "_proposed_update_forms", {})
        may_resolve = obj.state in PROPOSAL_STATES
        may_send = obj.state not in FINISHED_STATES
        context["proposed_updates"] = [
            {
                "pk": proposal.pk,
                "kind": proposal.get_kind_display(),
                "incident_number": proposal.incident.number,
                "incident_url": reverse(
                    f"{self.admin_site.name}:incidents_incident_change",
                    args=[proposal.incident_id],
                ),
                "received": uk_time(proposal.created_at),
                "proposed_text": proposal.proposed_text,
                "form": bound.get(proposal.pk)
                or ProposedUpdateForm(
                    initial={"text": proposal.proposed_text, "code": proposal.proposed_code},
                    prefix=f"update-{proposal.pk}",
                ),
                "url": self._url("proposed_update", obj.pk, proposal.pk),
                "may_send": may_send,
                "may_resolve": may_send
                and may_resolve
                and proposal.kind == ProposedUpdate.Kind.RESOLUTION,
            }
            for proposal in case_updates_pending_for(obj)
        ]
        return context

    def update_queue_view(self, request):
        return update_queue(self, request)

    def proposed_update_view(self, request, object_id, proposal_id):
        return proposed_update_act(self, request, object_id, proposal_id)

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("awaiting-update/", view(self.update_queue_view), name=f"{prefix}_update_queue"),
            path(
                "<path:object_id>/proposed-updates/<int:proposal_id>/",
                view(self.proposed_update_view),
                name=f"{prefix}_proposed_update",
            ),
            *super().get_urls(),
        ]


def _waited(created_at, now) -> str:
    """How long a proposal has waited, in the largest whole unit that reads well."""
    minutes = int((now - created_at).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"


def _queue_rows_html(rows, now) -> str:
    """The queue's rows drawn in Python, like the triage queue's (issue 9)."""
    change_url = reverse_fixed("admin:cases_case_change", object_id=PK_PLACEHOLDER)
    row_html = (
        '<tr data-case="{}"><td data-label="Case"><a href="{}">{}</a></td>'
        '<td data-label="Subject">{}</td><td data-label="Organisation">{}</td>'
        '<td data-label="Case status">{}</td><td data-label="Incident">{}</td>'
        '<td data-label="Proposed">{}</td><td class="nowrap" data-label="Received">{}</td>'
        '<td class="nowrap" data-label="Waiting">{}</td>'
        '<td><a class="console-button" href="{}#proposed-updates">Review</a></td></tr>\n'
    )
    return html_join(
        html_format(
            row_html,
            row["case__number"],
            change_url.replace(PK_PLACEHOLDER, str(row["case_id"])),
            row["case__number"],
            row["case__short_description"],
            row["case__organisation__name"] or "-",
            Case.State(row["case__state"]).label,
            row["incident__number"],
            ProposedUpdate.Kind(row["kind"]).label,
            uk_time(row["created_at"]),
            _waited(row["created_at"], now),
            change_url.replace(PK_PLACEHOLDER, str(row["case_id"])),
        )
        for row in rows
    )


def update_queue(model_admin, request):
    """Cases whose incident has proposed an update the desk has not yet sent or discarded,
    oldest first (Appendix G)."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    rows, counting = proposed_update_queue_for(request.user)
    page = CappedPaginator(rows, QUEUE_PAGE_SIZE, counting=counting).get_page(request.GET.get("p"))
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Awaiting update",
        "opts": model_admin.opts,
        "page": page,
        "has_rows": bool(page.object_list),
        "rows_html": _queue_rows_html(page.object_list, timezone.now()),
    }
    return TemplateResponse(request, "admin/cases/case/update_queue.html", context)


def proposed_update_act(model_admin, request, object_id, proposal_id):
    """Send (and perhaps resolve) or discard one proposal, then go back to the case."""
    case = model_admin.get_object(request, unquote(object_id))
    if case is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    change_url = reverse("admin:cases_case_change", args=[case.pk])
    if request.method != "POST":
        return HttpResponseRedirect(change_url)
    if not model_admin.has_change_permission(request, case):
        model_admin.message_user(
            request, "You can read this case but not send updates on it.", messages.ERROR
        )
        return HttpResponseRedirect(change_url)
    proposal = ProposedUpdate.objects.filter(pk=proposal_id, case=case).first()
    if proposal is None:
        model_admin.message_user(
            request, "That proposed update is not on this case; reload it.", messages.ERROR
        )
        return HttpResponseRedirect(change_url)
    form = ProposedUpdateForm(request.POST, prefix=f"update-{proposal.pk}")
    if not form.is_valid():
        return _case_page_with(model_admin, request, object_id, proposal, form)
    action = form.cleaned_data["action"]
    try:
        if action == "discard":
            case_update_discard(proposal=proposal, actor=request.user)
            text = f"Proposed update discarded; nothing was sent to the caller of {case.number}."
        else:
            resolve = action == "send_resolve"
            case_update_send(
                proposal=proposal,
                actor=request.user,
                text=form.cleaned_data["text"],
                resolve=resolve,
                code=form.cleaned_data["code"],
            )
            text = (
                f"Update sent to the caller and {case.number} resolved; the caller is asked to "
                "confirm the resolution."
                if resolve
                else f"Update sent to the caller of {case.number}; they are emailed a link to it."
            )
    except DomainError as error:
        if error_fits_form(form, error):
            add_domain_error(form, error)
            return _case_page_with(model_admin, request, object_id, proposal, form)
        model_admin.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(f"{change_url}#proposed-updates")
    model_admin.message_user(request, text, messages.SUCCESS)
    return HttpResponseRedirect(change_url)


def _case_page_with(model_admin, request, object_id, proposal, form):
    """The case page again, drawn as for a visit, with this proposal's form bound so its
    errors sit next to its fields and the agent's text is kept (400)."""
    request.method = "GET"
    request._proposed_update_forms = {proposal.pk: form}
    response = model_admin.change_view(
        request, object_id, form_url=reverse("admin:cases_case_change", args=[proposal.case_id])
    )
    response.status_code = 400
    return response
