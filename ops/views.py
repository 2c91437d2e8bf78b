"""/healthz, /readyz, /metrics and the console's system status page (issue 14)."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from . import metrics
from .access import metrics_allowed
from .health import readiness, readiness_document
from .selectors import backlogs, broker_queue_depth, periodic_runs


@never_cache
@require_GET
def healthz(request):
    """The process answers; nothing else is asked (no database), so a slow database never
    gets a healthy process restarted."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    ready, checks = readiness()
    return JsonResponse(readiness_document(ready, checks), status=200 if ready else 503)


@never_cache
@require_GET
def metrics_view(request):
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)


def may_see_system_status(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm("ops.view_system_status"))


def system_status(request):
    """Queues, backlogs, failures and the periodic tasks' last runs, for service managers."""
    if not may_see_system_status(request.user):
        raise PermissionDenied
    now = timezone.now()
    b = backlogs()
    context = {
        **admin.site.each_context(request),
        "title": "System status",
        "now": now,
        "backlogs": b,
        "outbox_oldest_age": _age(b.outbox_oldest, now),
        "triage_oldest_age": _age(b.triage_oldest, now),
        "queues": broker_queue_depth(),
        "periodic": periodic_runs(now=now),
    }
    return render(request, "admin/ops/system_status.html", context)


def _age(value, now) -> str:
    """ "4 min", "2 h 5 min": how long something has waited, for people."""
    if value is None:
        return ""
    seconds = max(int((now - value).total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days"
