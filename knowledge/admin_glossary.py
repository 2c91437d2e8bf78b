"""The glossary in the agent console (§11.2.1): knowledge managers add, correct and retire
terms. The letter and the address (slug) follow from the term (`GlossaryEntry.save`); a term
already in the glossary, in any case, is refused next to the field by the model's constraint."""

from django.contrib import admin
from django.utils.html import format_html

from core.admin import CappedCountAdminMixin

from .glossary import glossary_entries_set_active
from .markdown import render_markdown
from .models import GlossaryEntry


@admin.register(GlossaryEntry)
class GlossaryEntryAdmin(CappedCountAdminMixin, admin.ModelAdmin):
    list_display = ("term", "letter", "active", "related_article", "updated_at")
    list_filter = ("active", "letter")
    search_fields = ("term", "definition")
    ordering = ("term",)
    list_select_related = ("related_article",)
    fields = ("term", "definition", "preview", "related_article", "services", "active")
    readonly_fields = ("preview",)
    filter_horizontal = ("services",)
    raw_id_fields = ("related_article",)
    actions = ("retire", "restore")

    @admin.display(description="How readers see the definition")
    def preview(self, obj):
        if obj is None or not obj.pk:
            return "Save the entry to see how it reads."
        return format_html(
            '<div class="glossary-preview">{}</div>', render_markdown(obj.definition)
        )

    @admin.action(description="Hide the chosen terms from readers", permissions=["change"])
    def retire(self, request, queryset):
        count = glossary_entries_set_active(actor=request.user, entries=queryset, active=False)
        self.message_user(request, f"{count} term{'s' if count != 1 else ''} hidden from readers.")

    @admin.action(description="Show the chosen terms to readers again", permissions=["change"])
    def restore(self, request, queryset):
        count = glossary_entries_set_active(actor=request.user, entries=queryset, active=True)
        self.message_user(request, f"{count} term{'s' if count != 1 else ''} shown to readers.")
