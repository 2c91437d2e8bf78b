"""`{% console_result_list cl %}`: the console's ticket lists, drawn by `tickets.admin_list`."""

from django import template
from django.contrib.admin.templatetags.admin_list import admin_list_filter, result_list
from django.template.loader import render_to_string

from tickets.admin_list import filter_html, may_draw, result_table

register = template.Library()


@register.simple_tag
def console_result_list(cl) -> str:
    """The table of the list's page; a list with checkboxes or editable rows keeps Django's."""
    if may_draw(cl):
        return result_table(cl)
    return render_to_string("admin/change_list_results.html", result_list(cl))


@register.simple_tag
def console_list_filter(cl, spec) -> str:
    """One filter of the sidebar; a filter with a template of its own keeps it."""
    if spec.template == "admin/filter.html":
        return filter_html(cl, spec)
    return admin_list_filter(cl, spec)
