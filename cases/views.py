"""Participant portal pages (namespace `portal`): home, raise a case, My Cases, case detail,
the case actions and attachment downloads (§3.1, §3.2, §10.2–10.4).

Views only collect input and show results. Every write goes through `cases.services`, every
read through the selectors, which hold the organisation scoping of §10.4. A refused action
(a DomainError) is shown next to its field or as a message, never as a 500.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import views as account_views
from accounts.selectors import organisations_for_user
from accounts.views import portal_nav_context
from core.errors import DomainError, TicketNotFound, ValidationFailed
from core.pagination import CappedPaginator
from sla.selectors import case_target_resolution, sla_timeline_for
from tickets.selectors import (
    attachment_get_for,
    attachment_rows_for,
    journal_rows_for,
    pending_uploads_for,
)

from . import knowledge_links, services
from .forms import (
    MAX_FILES_PER_UPLOAD,
    CaseAttachmentForm,
    CaseCommentForm,
    CaseCreateForm,
    CaseListFilterForm,
    CaseRejectForm,
    case_create_initial,
)
from .models import TRIAGE_TARGET, Case
from .reopening import reopen_request_latest_for
from .selectors import (
    DEFAULT_SORT_VALUE,
    case_count_parts_for,
    case_get_for,
    case_open_count_for,
    case_resolutions_for,
    case_row,
    case_rows_for,
    case_sort,
    case_state_filter_choices,
    case_timeline_with_resolutions,
    case_url_template,
)

CASES_PER_PAGE = 25
DESK_PHONE = "03700 106950"
# What the portal tells a raiser about a New case (§4.1: triage within 15 minutes).
TRIAGE_MINUTES = int(TRIAGE_TARGET.total_seconds() // 60)
# My Cases' filter and order: asked for by these parameters, remembered in the session.
CASE_LIST_PARAMS = ("state", "q", "sort")
CASE_LIST_SESSION_KEY = "portal:my_cases"
# The raise-case form's kept files: each sent back as a hidden field, removed by its button.
PENDING_UPLOAD_FIELD = "pending_upload"
REMOVE_FIELD = "remove_upload"
KEPT_FILE_GONE = (
    "A file attached earlier is no longer kept (files are kept for a day). Choose it again "
    "if you still want to send it."
)

# The organisation admin's page lives in accounts; it is routed here so all portal pages
# share the `portal` namespace.
organisation_members = account_views.organisation_members


def _page(request, template: str, context: dict, *, current: str = "", status: int = 200):
    context = {
        **portal_nav_context(request.user),
        "nav_current": current,
        "desk_phone": DESK_PHONE,
        **context,
    }
    return render(request, template, context, status=status)


def _case_or_404(user, number: str, *, with_related: bool = True) -> Case:
    try:
        return case_get_for(user, number, with_related=with_related)
    except TicketNotFound as exc:
        raise Http404(exc.message) from exc


def _detail_url(case: Case) -> str:
    return reverse("portal:case_detail", kwargs={"number": case.number})


@login_required
@require_GET
def home(request):
    """Greeting, how to reach the desk (§3.1) and where to go next."""
    user = request.user
    attached = bool(user.organisation_id)
    context = {
        "attached": attached,
        "open_count": case_open_count_for(user) if attached or user.is_staff else 0,
        "recent_cases": [
            case_row(row, url_template=case_url_template()) for row in case_rows_for(user)[:5]
        ]
        if attached
        else [],
    }
    return _page(request, "cases/home.html", context, current="home")


def _case_list_choice(request) -> tuple[dict, bool]:
    """What My Cases is asked to show (`state`, `q`, `sort`), and whether it is the
    user's last choice remembered in their session rather than this address's: a list opened
    without any of them shows the filter and order last chosen; `?clear` forgets it."""
    if "clear" in request.GET:
        return {}, False
    asked = {name: request.GET[name] for name in CASE_LIST_PARAMS if name in request.GET}
    if asked:
        return asked, False
    remembered = request.session.get(CASE_LIST_SESSION_KEY)
    return (remembered, True) if isinstance(remembered, dict) and remembered else ({}, False)


def _case_list_remember(request, chosen: dict) -> None:
    """Keep the user's choice for their next visit; written only when it changes, so paging
    through a list costs no session write."""
    session = request.session
    if not chosen:
        if CASE_LIST_SESSION_KEY in session:
            del session[CASE_LIST_SESSION_KEY]
    elif session.get(CASE_LIST_SESSION_KEY) != chosen:
        session[CASE_LIST_SESSION_KEY] = chosen


@login_required
@require_GET
def case_list(request):
    """My Cases: the cases of the user's organisation tree (§10.4), filtered, sorted by a
    column and paginated; the filter and order are remembered for the user's next visit."""
    asked, remembered = _case_list_choice(request)
    filter_form = CaseListFilterForm(asked or None, state_choices=case_state_filter_choices())
    state, q, sort = filter_form.values() if filter_form.is_bound else ("", "", "")
    if sort == DEFAULT_SORT_VALUE:
        sort = ""
    chosen = {name: value for name, value in (("state", state), ("q", q), ("sort", sort)) if value}
    if not remembered:
        _case_list_remember(request, chosen)
    key, direction = case_sort(sort)
    url_template = case_url_template()
    paginator = CappedPaginator(
        case_rows_for(request.user, state=state, q=q, sort=sort or DEFAULT_SORT_VALUE),
        CASES_PER_PAGE,
        counting=case_count_parts_for(request.user, state=state, q=q),
    )
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "filter_form": filter_form,
        "filtered": bool(state or q),
        "remembered": remembered and bool(chosen),
        "customised": bool(chosen),
        "sort": key,
        "direction": direction,
        "filters": {name: value for name, value in (("state", state), ("q", q)) if value},
        "page": page,
        "page_range": paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "cases": [case_row(row, url_template=url_template) for row in page.object_list],
        "filter_query": urlencode(chosen),
    }
    return _page(request, "cases/case_list.html", context, current="case_list")


@login_required
@require_http_methods(["GET", "POST"])
def case_create(request):
    """Raise a case with the §3.2 fields; impact and urgency are the desk's to set (§3.8)."""
    user = request.user
    if not organisations_for_user(user).exists():
        # Unattached registrations wait for an organisation admin or the desk (§10.1).
        status = 403 if request.method == "POST" else 200
        return _page(
            request,
            "cases/case_create.html",
            {"attached": False},
            current="case_create",
            status=status,
        )
    status = 200
    if request.method == "POST":
        # Files kept from the last time the form came back, and the one "Remove" asked for.
        sent = set(request.POST.getlist(PENDING_UPLOAD_FIELD))
        pending = pending_uploads_for(user=user, ids=sent)
        removing = next((p for p in pending if str(p.pk) == request.POST.get(REMOVE_FIELD)), None)
        if removing is not None:
            services.case_form_upload_discard(actor=user, pending_id=removing.pk)
            pending.remove(removing)
        form = CaseCreateForm(request.POST, request.FILES, user=user, pending=pending)
        valid = form.is_valid()
        if len(pending) + (removing is not None) < len(sent):
            # The page said they were attached; raising without them would lose them silently.
            form.add_error("attachments", KEPT_FILE_GONE)
            valid = False
        if valid and removing is None:
            try:
                case = services.case_create(actor=user, **form.service_arguments())
            except DomainError as exc:
                form.add_domain_error(exc)
                # One may have gone meanwhile (kept files are removed after a day).
                pending = pending_uploads_for(user=user, ids=[p.pk for p in pending])
            else:
                knowledge_links.case_suggestions_record(
                    case=case,
                    actor=user,
                    shown=[form.cleaned_data["suggested_articles"]],
                    opened=[form.cleaned_data["opened_articles"]],
                )
                messages.success(
                    request,
                    f"Case {case.number} raised. We have emailed you an acknowledgement. If it "
                    f"has not arrived within 15 minutes, call the service desk on {DESK_PHONE}.",
                )
                return redirect(_detail_url(case))
        # Not raised: what was chosen this time is kept, so it need not be chosen again.
        form.pending = pending + services.case_form_uploads_keep(
            actor=user,
            uploads=request.FILES.getlist("attachments"),
            room=MAX_FILES_PER_UPLOAD - len(pending),
        )
        if removing is not None:
            messages.info(request, f"“{removing.original_name}” removed.")
        status = 400 if form.errors else 200
    else:
        # Pre-filled from the address by a knowledge page's request links (§11.2).
        form = CaseCreateForm(user=user, initial=case_create_initial(request.GET))
    return _page(
        request,
        "cases/case_create.html",
        {"attached": True, "form": form},
        current="case_create",
        status=status,
    )


def _render_detail(request, case: Case, *, status: int = 200, **forms):
    finished = case.state in (Case.State.CLOSED, Case.State.CANCELLED)
    resolved = case.state == Case.State.RESOLVED
    closed = case.state == Case.State.CLOSED
    clocks = sla_timeline_for(case, for_participant=True)
    context = {
        "closed": closed,
        # §10.3: where the participant's request to reopen a Closed case stands (read only
        # for a Closed case; a reopened one says so in its history).
        "reopen_request": reopen_request_latest_for(case) if closed else None,
        "case": case,
        # §10.3: every resolution summary stays in the history, not only the latest.
        "timeline": case_timeline_with_resolutions(
            journal_rows_for(case, include_work_notes=False), case_resolutions_for(case)
        ),
        "attachments": list(attachment_rows_for(case)),
        "finished": finished,
        "resolved": resolved,
        "awaiting_caller": (
            case.state == Case.State.ON_HOLD and case.hold_reason == Case.HoldReason.AWAITING_CALLER
        ),
        "comment_form": forms.get("comment_form") or CaseCommentForm(),
        "attachment_form": forms.get("attachment_form") or CaseAttachmentForm(),
        "reject_form": forms.get("reject_form") or CaseRejectForm(),
        "form_errors": [form for form in forms.values() if form.errors],
        # §3.8/§3.10: once the desk has prioritised it, the participant sees the target date
        # and their clocks (without the desk's internal ones), read once for both.
        "target_resolution": case_target_resolution(case, clocks=clocks),
        "sla_clocks": clocks,
        "triage_minutes": TRIAGE_MINUTES,
    }
    return _page(request, "cases/case_detail.html", context, current="case_list", status=status)


@login_required
@require_GET
def case_detail(request, number: str):
    """One case: status, the customer-visible timeline (never work notes), files and actions.
    The page shows the case's relations by name only, so it reads no related instances."""
    return _render_detail(request, _case_or_404(request.user, number, with_related=False))


def _act(request, case: Case, *, form, form_key: str, action, success: str):
    """Run one case action from a bound form: success redirects back with a message; bad
    input re-renders the case with the errors next to the fields (400); a refused or
    out-of-date action redirects back with the desk's explanation."""
    if form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationFailed as exc:
            form.add_domain_error(exc)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(_detail_url(case))
        else:
            messages.success(request, success)
            return redirect(_detail_url(case))
    return _render_detail(request, case, status=400, **{form_key: form})


@login_required
@require_POST
def case_comment(request, number: str):
    """Add a customer comment (§10.2, §10.3): on an Awaiting Caller hold it puts the case back to
    work, on a Resolved case it reopens it, on a Closed case it asks the desk to reopen it."""
    case = _case_or_404(request.user, number)
    if case.state == Case.State.RESOLVED:
        success = f"Your comment has been added and {case.number} is reopened. The service desk has been told."
    elif case.state == Case.State.CLOSED:
        success = (
            f"Your request to reopen {case.number} has been sent to the service desk. They will "
            "reopen it or raise a new case linked to it, and tell you which."
        )
    else:
        success = "Your comment has been added. The service desk has been told."
    return _act(
        request,
        case,
        form=CaseCommentForm(request.POST),
        form_key="comment_form",
        action=lambda data: services.case_comment_add(
            case=case, actor=request.user, body=data["body"]
        ),
        success=success,
    )


@login_required
@require_POST
def case_attachment_add(request, number: str):
    """Attach one or more files to an open case."""
    case = _case_or_404(request.user, number)

    def attach(data):
        for upload in data["files"]:
            services.case_attachment_add(case=case, actor=request.user, upload=upload)

    form = CaseAttachmentForm(request.POST, request.FILES)
    count = len(form.files.getlist(form.add_prefix("files")))
    return _act(
        request,
        case,
        form=form,
        form_key="attachment_form",
        action=attach,
        success=f"{count} file{'s' if count != 1 else ''} attached.",
    )


@login_required
@require_POST
def case_confirm(request, number: str):
    """The caller confirms the resolution and the case closes (§10.3)."""
    case = _case_or_404(request.user, number)
    try:
        services.case_confirm_resolution(case=case, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Thank you. {case.number} is now closed.")
    return redirect(_detail_url(case))


@login_required
@require_POST
def case_reject(request, number: str):
    """The caller says it is not fixed; the case reopens with their reason as a comment (§10.3)."""
    case = _case_or_404(request.user, number)
    return _act(
        request,
        case,
        form=CaseRejectForm(request.POST),
        form_key="reject_form",
        action=lambda data: services.case_reject_resolution(
            case=case, actor=request.user, reason=data["reason"]
        ),
        success=f"{case.number} has been reopened and the service desk has your reason.",
    )


@login_required
@require_GET
def attachment_download(request, pk: int):
    """Stream a file only if its ticket is visible to the user; never rendered inline."""
    attachment = attachment_get_for(user=request.user, attachment_id=pk)
    if attachment is None:
        raise Http404("There is no attachment that you can see.")
    try:
        handle = attachment.file.storage.open(attachment.file.name, "rb")
    except FileNotFoundError as exc:
        raise Http404("That file is no longer stored.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.mime_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
