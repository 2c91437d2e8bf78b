"""CAB meetings in the agent console (§8.9, §9.4): the list with filters and search, each row
linking to its agenda and workbench pages (`changes.cab_views`). Writes go through those
pages' services; the console shows the record read-only."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .cab_selectors import may_see_cab
from .models_cab import CabMeeting


@admin.register(CabMeeting)
class CabMeetingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "starts_at", "state", "major_incident", "pages")
    list_filter = ("kind", "state")
    search_fields = ("reason", "minutes", "outcome", "major_incident__number")
    list_select_related = ("major_incident",)
    date_hierarchy = "starts_at"
    show_full_result_count = False
    readonly_fields = [field.name for field in CabMeeting._meta.fields]

    def has_module_permission(self, request) -> bool:
        return may_see_cab(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return may_see_cab(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Pages")
    def pages(self, obj):
        return format_html(
            '<a href="{}">Agenda</a> · <a href="{}">Workbench</a>',
            reverse("changes_cab:detail", args=[obj.pk]),
            reverse("changes_cab:workbench", args=[obj.pk]),
        )
