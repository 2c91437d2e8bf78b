"""`{% console_result_list cl %}`: the console's ticket lists, drawn by `tickets.admin_list`."""

from django import template
from django.contrib.admin.templatetags.admin_list import (
    admin_list_filter,
    pagination,
    paginator_number,
    result_list,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.views.main import IS_FACETS_VAR, IS_POPUP_VAR, SEARCH_VAR
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from core.markup import html_format, html_join
from core.urls import reverse_fixed
from tickets.admin_list import filter_html, may_draw, result_table

register = template.Library()


@register.simple_tag
def console_result_list(cl) -> str:
    """The table of the list's page; a list with checkboxes or editable rows keeps Django's."""
    if may_draw(cl):
        return result_table(cl)
    return render_to_string("admin/change_list_results.html", result_list(cl))


# A filter's markup follows from the list's query string and the filter's choices alone (not
# from the user or the rows), and agents return to the same few views of a list all day: each
# drawn filter is kept per process, by admin, filter, query string and choices.
_FILTERS_KEPT = 4096
_filters_html: dict[tuple, str] = {}


@register.simple_tag
def console_list_filter(cl, spec) -> str:
    """One filter of the sidebar; a filter with a template of its own keeps it."""
    if spec.template != "admin/filter.html":
        return admin_list_filter(cl, spec)
    key = (
        type(cl.model_admin),
        type(spec),
        spec.title,
        tuple(sorted(cl.params.items())),
        tuple(getattr(spec, "lookup_choices", None) or ()),
    )
    drawn = _filters_html.get(key)
    if drawn is None:
        if len(_filters_html) >= _FILTERS_KEPT:
            _filters_html.clear()
        drawn = _filters_html[key] = filter_html(cl, spec)
    return drawn


# --- the rest of the list page (admin/tickets/change_list.html, issue 9) ----------------------
# Django's change_list.html asks the template engine for its search form, pagination, object
# tools and media through inclusion tags and two dozen nodes; drawn here with the same markup.

_media_html: dict[tuple, str] = {}


@register.simple_tag
def console_list_head(cl, media, action_form=None) -> SafeString:
    """changelists.css, the admin's scripts for the list (its `media`, kept per set of files:
    static URLs do not change while the process runs) and filters.js."""
    key = (tuple(media._css.items()) if media else (), tuple(media._js) if media else ())
    drawn = _media_html.get(key)
    if drawn is None:
        drawn = _media_html.setdefault(key, str(media) if media else "")
    parts = [html_format('<link rel="stylesheet" href="{}">', static("admin/css/changelists.css"))]
    if cl.formset:
        parts.append(
            html_format('<link rel="stylesheet" href="{}">', static("admin/css/forms.css"))
        )
    if cl.formset or action_form:
        parts.append(html_format('<script src="{}"></script>', reverse_fixed("admin:jsi18n")))
    parts.append(mark_safe(drawn))  # noqa: S308 — Django's Media markup of the admin's own files
    parts.append(html_format('<script src="{}" defer></script>', static("admin/js/filters.js")))
    return html_join(html_format("{}\n", part) for part in parts)


@register.simple_tag(takes_context=True)
def console_add_link(context, cl) -> SafeString:
    """admin/change_list_object_tools.html: "Add …" for those who may add."""
    if not context.get("has_add_permission"):
        return mark_safe("")
    opts = cl.opts
    add_url = add_preserved_filters(
        context,
        reverse_fixed(f"admin:{opts.app_label}_{opts.model_name}_add"),
        context.get("is_popup"),
        context.get("to_field"),
    )
    return html_format(
        '<li><a href="{}" class="addlink">Add {}</a></li>', add_url, opts.verbose_name
    )


@register.simple_tag(takes_context=True)
def console_search_form(context, cl) -> SafeString:
    """admin/search_form.html as the console draws it: a capped count reads "1,000+ results"."""
    if not cl.search_fields:
        return mark_safe("")
    described = ' aria-describedby="searchbar_helptext"' if cl.search_help_text else ""
    count = ""
    if cl.result_count != cl.full_result_count:  # Django's `search_form` rule
        if getattr(cl.paginator, "capped", False):
            counted = f"{cl.paginator.count_display} results"
        else:
            counted = f"{cl.result_count} result{'' if cl.result_count == 1 else 's'}"
        reset = "?"
        if cl.is_popup:
            reset += f"{IS_POPUP_VAR}=1" + ("&" if cl.add_facets else "")
        if cl.add_facets:
            reset += IS_FACETS_VAR
        total = f"{cl.full_result_count} total" if cl.show_full_result_count else "Show all"
        count = html_format(
            '<span class="small quiet">{} (<a href="{}">{}</a>)</span>', counted, reset, total
        )
    hidden = html_join(
        html_format('<input type="hidden" name="{}" value="{}">', name, value)
        for name, value in cl.params.items()
        if name != SEARCH_VAR
    )
    help_text = (
        html_format(
            '<br class="clear">\n<div class="help" id="searchbar_helptext">{}</div>',
            cl.search_help_text,
        )
        if cl.search_help_text
        else ""
    )
    return html_format(
        '<div id="toolbar"><form id="changelist-search" method="get" role="search">\n<div>\n'
        '<label for="searchbar"><img src="{}" alt="Search"></label>\n'
        '<input type="text" size="40" name="{}" value="{}" id="searchbar"{}>\n'
        '<input type="submit" value="Search">\n{}\n{}\n</div>\n{}\n</form></div>',
        static("admin/img/search.svg"),
        SEARCH_VAR,
        cl.query,
        mark_safe(described),  # noqa: S308 — a constant attribute
        count,
        hidden,
        help_text,
    )


@register.simple_tag
def console_pagination(cl) -> SafeString:
    """admin/pagination.html as the console draws it: past the cap the total reads "1,000+"."""
    context = pagination(cl)
    pages = ""
    if context["pagination_required"]:
        pages = html_join(
            html_format("{}\n", paginator_number(cl, number)) for number in context["page_range"]
        )
    capped = getattr(cl.paginator, "capped", False)
    shown = getattr(cl.paginator, "count_display", None) or cl.result_count
    noun = (
        cl.opts.verbose_name if cl.result_count == 1 and not capped else cl.opts.verbose_name_plural
    )
    show_all = (
        html_format('<a href="{}" class="showall">Show all</a>', context["show_all_url"])
        if context["show_all_url"]
        else ""
    )
    save = (
        mark_safe('<input type="submit" name="_save" class="default" value="Save">')
        if cl.formset and cl.result_count
        else ""
    )
    return html_format(
        '<p class="paginator">\n{}{} {}\n{}{}\n</p>', pages, shown, noun, show_all, save
    )


@register.simple_tag
def console_list_breadcrumbs(cl) -> SafeString:
    """Home › the app › the list, as Django's change list draws them."""
    opts = cl.opts
    return html_format(
        '<div class="breadcrumbs"><a href="{}">Home</a>\n&rsaquo; <a href="{}">{}</a>\n'
        "&rsaquo; {}</div>",
        reverse_fixed("admin:index"),
        reverse_fixed("admin:app_list", app_label=opts.app_label),
        opts.app_config.verbose_name,
        capfirst(opts.verbose_name_plural),
    )
