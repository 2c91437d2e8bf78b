"""The console case page's Knowledge panel, drawn from `cases.knowledge_panel`."""

from django import template

from cases.knowledge_panel import knowledge_panel_context

register = template.Library()


@register.inclusion_tag("admin/cases/case/_knowledge_panel_body.html", takes_context=True)
def case_knowledge_panel(context):
    request = context["request"]
    case = context["original"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        **knowledge_panel_context(request, case, comment_url=context.get("comment_url") or ""),
    }
