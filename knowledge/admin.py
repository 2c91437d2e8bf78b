"""Knowledge articles in the agent console (§11, §12): the list with its filters (state,
audience, category, service, review due), the article page with versions, approvals and audit
trail, and the authoring pages of `admin_views`. Nothing is edited through Django's own form:
every step calls a service in `knowledge.services`."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path

from core.admin import CappedCountAdminMixin
from core.dates import uk_date

from . import admin_views
from .models import Article
from .reviews import review_due_soon, review_overdue
from .services import may_author


class ReviewDueFilter(admin.SimpleListFilter):
    """§12: published articles whose three-monthly review is overdue or due soon."""

    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return (("overdue", "Review overdue"), ("soon", "Review due soon"))

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.filter(pk__in=review_overdue().values("pk"))
        if self.value() == "soon":
            return queryset.filter(pk__in=review_due_soon().values("pk"))
        return queryset


@admin.register(Article)
class ArticleAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    list_display = (
        "number",
        "title",
        "state",
        "audience",
        "version",
        "owner",
        "review_due",
    )
    list_display_links = ("number", "title")
    list_select_related = ("owner",)
    list_filter = (
        "state",
        "audience",
        ReviewDueFilter,
        "is_controlled_document",
        "category",
        "services",
    )
    search_fields = ("=number", "title")
    ordering = ("-updated_at", "-id")
    list_per_page = 50
    change_list_template = "admin/knowledge/article/change_list.html"

    @admin.display(description="Version", ordering="version_major")
    def version(self, obj):
        return obj.version_label if obj.version_major else "not published"

    @admin.display(description="Next review", ordering="next_review_on")
    def review_due(self, obj):
        return uk_date(obj.next_review_on)

    def has_add_permission(self, request):
        return may_author(request.user)

    def has_change_permission(self, request, obj=None):
        """Articles change through the authoring pages, never Django's form."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Articles are retired, never deleted: their versions are the §12 history."""
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner", "category")

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **admin_views.review_notice(request),
            "queue_url": admin_views._url(self, "queue"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        return admin_views.article_add_view(self, request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            return super().change_view(request, object_id, form_url, extra_context)
        return admin_views.article_detail_view(self, request, object_id)

    def get_urls(self):
        def wrap(view):
            def viewer(request, *args, **kwargs):
                if not self.has_view_permission(request):
                    raise PermissionDenied
                return view(self, request, *args, **kwargs)

            return self.admin_site.admin_view(viewer)

        own = [
            ("approvals/", admin_views.approval_queue_view, "queue"),
            ("<int:object_id>/edit/", admin_views.article_edit_view, "edit"),
            ("<int:object_id>/review/", admin_views.article_review_view, "review"),
            ("<int:object_id>/retire/", admin_views.article_retire_view, "retire"),
            ("<int:object_id>/reinstate/", admin_views.article_reinstate_view, "reinstate"),
            ("<int:object_id>/approvers/", admin_views.article_governance_view, "governance"),
            (
                "<int:object_id>/versions/<int:version_id>/submit/",
                admin_views.article_submit_view,
                "submit",
            ),
            (
                "<int:object_id>/versions/<int:version_id>/decide/",
                admin_views.article_decide_view,
                "decide",
            ),
            (
                "<int:object_id>/versions/<int:version_id>/compare/",
                admin_views.article_compare_view,
                "compare",
            ),
        ]
        return [
            *(
                path(route, wrap(view), name=f"knowledge_article_{name}")
                for route, view, name in own
            ),
            *super().get_urls(),
        ]
