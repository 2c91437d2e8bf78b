"""Console pages for knowledge authoring (§11, §12): the article page, the draft editor with
a preview, the decision on a version, the ".x" review, retiring and reinstating, the named
approvers, the comparison of a version with the previous one and the approval queue. Each
action calls one service in `knowledge.services`; a refusal comes back next to the field or as
a message, never as a 500."""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from core.admin import add_domain_error
from core.errors import DomainError
from core.pagination import CappedPaginator
from tickets.models import Category, Service

from .compare import version_compare
from .markdown import render_markdown
from .models import Article, ArticleVersion
from .reviews import review_due_soon, review_overdue
from .services import (
    BODY_MAX_CHARS,
    CHANGE_SUMMARY_MAX_CHARS,
    COMMENT_MAX_CHARS,
    EDITABLE_VERSION_STATES,
    SUMMARY_MAX_CHARS,
    TITLE_MAX_CHARS,
    article_approve,
    article_create,
    article_draft_update,
    article_governance_set,
    article_reinstate,
    article_reject,
    article_retire,
    article_review_no_change,
    article_submit,
    article_version_draft,
    is_named_approver,
    may_approve,
    may_author,
    may_edit_version,
    may_review,
    open_version,
    pending_approvers,
)


class ArticleEditorForm(forms.Form):
    """A draft's content and what it proposes for the article. Shapes only."""

    title = forms.CharField(max_length=TITLE_MAX_CHARS)
    summary = forms.CharField(
        max_length=SUMMARY_MAX_CHARS,
        required=False,
        help_text="One or two sentences shown in search results.",
    )
    body = forms.CharField(
        label="Text",
        max_length=BODY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Markdown: # headings, **bold**, lists, [links](https://…). HTML is shown as "
        "text.",
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(active=True).order_by("name"), required=False
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.filter(active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    audience = forms.ChoiceField(label="Who may read it", choices=Article.Audience.choices)
    change_summary = forms.CharField(
        label="Change summary",
        max_length=CHANGE_SUMMARY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What changed and why. It is kept in the article's audit trail.",
    )

    @classmethod
    def initial_from(cls, source, *, article: Article | None = None) -> dict:
        initial = {"title": source.title, "summary": source.summary, "body": source.body}
        meta = getattr(source, "meta", None) if isinstance(source, ArticleVersion) else None
        if meta is not None:
            initial.update(
                category=meta.category_id,
                services=list(meta.services.values_list("pk", flat=True)),
                audience=meta.audience,
                change_summary=source.change_summary,
            )
        elif article is not None:
            initial.update(
                category=article.category_id,
                services=list(article.services.values_list("pk", flat=True)),
                audience=article.audience,
            )
        return initial


class DecisionForm(forms.Form):
    comment = forms.CharField(
        max_length=COMMENT_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed to return a version to its author; optional when approving.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=COMMENT_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label="Review note (optional)",
        max_length=COMMENT_MAX_CHARS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _approver_choices():
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .order_by("full_name", "email")
    )


class GovernanceForm(forms.Form):
    is_controlled_document = forms.BooleanField(
        label="Controlled document (part of the operations manual)", required=False
    )
    approvers = forms.ModelMultipleChoiceField(
        queryset=_approver_choices(),
        required=False,
        label="Named approvers",
        help_text="Every named approver approves each version before it is published.",
    )


def _page(model_admin, request, template: str, *, title: str, **extra):
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "has_view_permission": True,
        **extra,
    }
    return TemplateResponse(request, template, context)


def _get_article(model_admin, request, object_id) -> Article:
    article = model_admin.get_object(request, object_id)
    if article is None:
        raise Http404("There is no such article.")
    return article


def _get_version(article: Article, version_id) -> ArticleVersion:
    version = article.versions.select_related("author").filter(pk=version_id).first()
    if version is None:
        raise Http404("There is no such version of this article.")
    return version


def _url(model_admin, name: str, *args) -> str:
    return reverse(f"admin:knowledge_article_{name}", args=args)


def article_page_context(model_admin, request, article: Article) -> dict:
    """Everything the article page shows, and which actions this user may take."""
    user = request.user
    versions = list(
        article.versions.select_related("author", "decided_by").order_by("-major", "-minor", "-id")
    )
    current = next((v for v in versions if v.state in EDITABLE_VERSION_STATES), None)
    in_review = next((v for v in versions if v.state == ArticleVersion.State.IN_REVIEW), None)
    approvals = []
    pending = []
    if in_review is not None and article.is_controlled_document:
        approvals = list(in_review.approvals.select_related("approver"))
        pending = pending_approvers(in_review)
    may_decide = in_review is not None and (
        (
            article.is_controlled_document
            and is_named_approver(user, article)
            and not any(a.approver_id == user.pk for a in approvals)
        )
        or (not article.is_controlled_document and may_approve(user))
    )
    audit_page = CappedPaginator(
        article.audit_entries.select_related("actor", "version"), 20
    ).get_page(request.GET.get("audit_page"))
    retired_reason = getattr(getattr(article, "review_state", None), "retired_reason", "")
    return {
        "article": article,
        "body_html": render_markdown(article.body),
        "versions": versions,
        "current_draft": current,
        "in_review": in_review,
        "approvals": approvals,
        "pending_approvers": pending,
        "approvers": list(article.approvers.select_related("user")),
        "known_error_problems": list(article.known_error_problems.all()),
        "audit_page": audit_page,
        "retired_reason": retired_reason,
        "may_edit": may_author(user)
        and article.state != Article.State.RETIRED
        and in_review is None
        and (current is None or may_edit_version(user, current)),
        "may_submit": current is not None and may_edit_version(user, current),
        "may_decide": may_decide,
        "may_review": article.state == Article.State.PUBLISHED and may_review(user, article),
        "may_manage": may_approve(user),
        "decision_form": DecisionForm(),
        "review_form": ReviewForm(),
        "reason_form": ReasonForm(),
        "edit_url": _url(model_admin, "edit", article.pk),
        "review_url": _url(model_admin, "review", article.pk),
        "retire_url": _url(model_admin, "retire", article.pk),
        "reinstate_url": _url(model_admin, "reinstate", article.pk),
        "governance_url": _url(model_admin, "governance", article.pk),
    }


def article_detail_view(model_admin, request, object_id):
    article = _get_article(model_admin, request, object_id)
    return _page(
        model_admin,
        request,
        "admin/knowledge/article/detail.html",
        title=f"{article.number} {article.title}",
        original=article,
        **article_page_context(model_admin, request, article),
    )


def _editor_values(form) -> dict:
    data = dict(form.cleaned_data)
    data["services"] = list(data.get("services") or [])
    return data


def article_add_view(model_admin, request):
    """A new article: its first draft (version 1.0 once published)."""
    if not may_author(request.user):
        raise PermissionDenied
    form = ArticleEditorForm(
        request.POST if request.method == "POST" else None,
        initial={"audience": Article.Audience.SIGNED_IN},
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = render_markdown(form.cleaned_data["body"])
        else:
            try:
                article = article_create(actor=request.user, **_editor_values(form))
            except DomainError as error:
                add_domain_error(form, error)
            else:
                model_admin.message_user(
                    request, f"{article.number} saved as a draft.", messages.SUCCESS
                )
                return HttpResponseRedirect(_url(model_admin, "change", article.pk))
    return _page(
        model_admin,
        request,
        "admin/knowledge/article/editor.html",
        title="Write a knowledge article",
        form=form,
        preview=preview,
        article=None,
        version_label="1.0",
    )


def article_edit_view(model_admin, request, object_id):
    """Edit the article's open draft, or start the next major version of a published one."""
    article = _get_article(model_admin, request, object_id)
    if not may_author(request.user):
        raise PermissionDenied
    draft = open_version(article)
    change_url = _url(model_admin, "change", article.pk)
    if draft is not None and draft.state not in EDITABLE_VERSION_STATES:
        model_admin.message_user(
            request,
            f"Version {draft.label} is waiting for review; it is decided before anyone edits.",
            messages.WARNING,
        )
        return HttpResponseRedirect(change_url)
    if article.state == Article.State.RETIRED:
        model_admin.message_user(
            request, f"{article.number} is retired; reinstate it first.", messages.WARNING
        )
        return HttpResponseRedirect(change_url)
    if draft is not None:
        initial = ArticleEditorForm.initial_from(draft, article=article)
        next_label = draft.label
    else:
        initial = ArticleEditorForm.initial_from(article, article=article)
        top = max((v.major for v in article.versions.all()), default=0)
        next_label = f"{top + 1}.0"
    form = ArticleEditorForm(request.POST if request.method == "POST" else None, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = render_markdown(form.cleaned_data["body"])
        else:
            try:
                if draft is not None:
                    version = article_draft_update(
                        actor=request.user, version=draft, **_editor_values(form)
                    )
                else:
                    version = article_version_draft(
                        actor=request.user, article=article, **_editor_values(form)
                    )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                if "submit" in request.POST:
                    try:
                        article_submit(actor=request.user, version=version)
                    except DomainError as error:
                        model_admin.message_user(request, error.message, messages.ERROR)
                    else:
                        model_admin.message_user(
                            request,
                            f"Version {version.label} sent for review.",
                            messages.SUCCESS,
                        )
                else:
                    model_admin.message_user(
                        request, f"Draft {version.label} saved.", messages.SUCCESS
                    )
                return HttpResponseRedirect(change_url)
    return _page(
        model_admin,
        request,
        "admin/knowledge/article/editor.html",
        title=f"Edit {article.number}: draft {next_label}",
        form=form,
        preview=preview,
        article=article,
        version_label=next_label,
        change_url=change_url,
    )


def _post_only(model_admin, request, article) -> HttpResponseRedirect | None:
    if request.method != "POST":
        return HttpResponseRedirect(_url(model_admin, "change", article.pk))
    return None


def _run(model_admin, request, action, success: str) -> None:
    try:
        action()
    except DomainError as error:
        model_admin.message_user(request, error.message, messages.ERROR)
    else:
        model_admin.message_user(request, success, messages.SUCCESS)


def article_submit_view(model_admin, request, object_id, version_id):
    article = _get_article(model_admin, request, object_id)
    redirect = _post_only(model_admin, request, article)
    if redirect:
        return redirect
    version = _get_version(article, version_id)
    _run(
        model_admin,
        request,
        lambda: article_submit(actor=request.user, version=version),
        f"Version {version.label} sent for review.",
    )
    return HttpResponseRedirect(_url(model_admin, "change", article.pk))


def article_decide_view(model_admin, request, object_id, version_id):
    """Approve (publishing it, or recording one approver's approval) or return a version."""
    article = _get_article(model_admin, request, object_id)
    redirect = _post_only(model_admin, request, article)
    if redirect:
        return redirect
    version = _get_version(article, version_id)
    form = DecisionForm(request.POST)
    form.is_valid()
    comment = form.cleaned_data.get("comment", "")
    if "reject" in request.POST:
        _run(
            model_admin,
            request,
            lambda: article_reject(actor=request.user, version=version, comment=comment),
            f"Version {version.label} returned to {version.author}.",
        )
    else:

        def approve():
            article_approve(actor=request.user, version=version, comment=comment)
            version.refresh_from_db()

        try:
            approve()
        except DomainError as error:
            model_admin.message_user(request, error.message, messages.ERROR)
        else:
            if version.state == ArticleVersion.State.PUBLISHED:
                text = f"Version {version.label} of {article.number} approved and published."
            else:
                text = f"Your approval of version {version.label} is recorded."
            model_admin.message_user(request, text, messages.SUCCESS)
    return HttpResponseRedirect(_url(model_admin, "change", article.pk))


def article_review_view(model_admin, request, object_id):
    article = _get_article(model_admin, request, object_id)
    redirect = _post_only(model_admin, request, article)
    if redirect:
        return redirect
    form = ReviewForm(request.POST)
    form.is_valid()
    _run(
        model_admin,
        request,
        lambda: article_review_no_change(
            actor=request.user, article=article, comment=form.cleaned_data.get("comment", "")
        ),
        f"Review recorded for {article.number}; next review in three months.",
    )
    return HttpResponseRedirect(_url(model_admin, "change", article.pk))


def _reason_view(model_admin, request, object_id, *, service, success: str, title: str):
    article = _get_article(model_admin, request, object_id)
    if not may_approve(request.user):
        raise PermissionDenied
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            service(actor=request.user, article=article, reason=form.cleaned_data["reason"])
        except DomainError as error:
            add_domain_error(form, error)
        else:
            model_admin.message_user(request, success.format(article.number), messages.SUCCESS)
            return HttpResponseRedirect(_url(model_admin, "change", article.pk))
    return _page(
        model_admin,
        request,
        "admin/knowledge/article/reason.html",
        title=f"{title} {article.number}",
        form=form,
        article=article,
        button=title,
        change_url=_url(model_admin, "change", article.pk),
    )


def article_retire_view(model_admin, request, object_id):
    return _reason_view(
        model_admin,
        request,
        object_id,
        service=article_retire,
        success="{} retired; readers no longer find it.",
        title="Retire",
    )


def article_reinstate_view(model_admin, request, object_id):
    return _reason_view(
        model_admin,
        request,
        object_id,
        service=article_reinstate,
        success="{} reinstated.",
        title="Reinstate",
    )


def article_governance_view(model_admin, request, object_id):
    article = _get_article(model_admin, request, object_id)
    if not may_approve(request.user):
        raise PermissionDenied
    form = GovernanceForm(
        request.POST if request.method == "POST" else None,
        initial={
            "is_controlled_document": article.is_controlled_document,
            "approvers": list(article.approvers.values_list("user_id", flat=True)),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            article_governance_set(
                actor=request.user,
                article=article,
                is_controlled_document=form.cleaned_data["is_controlled_document"],
                approvers=form.cleaned_data["approvers"],
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            model_admin.message_user(
                request, f"Approvers of {article.number} saved.", messages.SUCCESS
            )
            return HttpResponseRedirect(_url(model_admin, "change", article.pk))
    return _page(
        model_admin,
        request,
        "admin/knowledge/article/reason.html",
        title=f"Controlled document and approvers of {article.number}",
        form=form,
        article=article,
        button="Save approvers",
        change_url=_url(model_admin, "change", article.pk),
    )


def article_compare_view(model_admin, request, object_id, version_id):
    article = _get_article(model_admin, request, object_id)
    version = _get_version(article, version_id)
    before, fields = version_compare(version)
    return _page(
        model_admin,
        request,
        "admin/knowledge/article/compare.html",
        title=f"{article.number}: version {version.label} compared with "
        + (f"version {before.label}" if before else "nothing (the first version)"),
        article=article,
        version=version,
        before=before,
        fields=fields,
        change_url=_url(model_admin, "change", article.pk),
    )


def approval_queue_view(model_admin, request):
    """Versions waiting for a decision this user may take: all of them for a knowledge
    manager (not controlled documents), and the controlled documents naming this user."""
    user = request.user
    if not may_author(user):
        raise PermissionDenied
    waiting = ArticleVersion.objects.filter(state=ArticleVersion.State.IN_REVIEW).select_related(
        "article", "author"
    )
    mine = waiting.filter(article__approvers__user=user).exclude(approvals__approver=user)
    if may_approve(user):
        mine = waiting.filter(article__is_controlled_document=False) | mine
    page = CappedPaginator(mine.distinct().order_by("submitted_at", "id"), 25).get_page(
        request.GET.get("page")
    )
    return _page(
        model_admin,
        request,
        "admin/knowledge/article/queue.html",
        title="Knowledge versions waiting for your approval",
        page=page,
    )


def review_notice(request) -> dict:
    """For knowledge managers: how many reviews are overdue or due soon (the list's notice)."""
    if not may_approve(request.user):
        return {}
    return {
        "review_overdue_count": review_overdue().count(),
        "review_due_soon_count": review_due_soon().count(),
    }
