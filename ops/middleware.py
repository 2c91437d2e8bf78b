"""Request id and request metrics (issue 14); both sit at the top of MIDDLEWARE so that every
answer, a redirect by a later middleware included, carries an id and is counted."""

import time

from django.db import connection

from . import metrics
from .context import current_request_var, request_id_from, request_id_var

REQUEST_ID_HEADER = "X-Request-ID"
# Any other method a client sends is counted as "other", so a client cannot add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID (a proxy's, a client's) or makes one, puts it in the
    logging context for this request and the tasks it enqueues, and echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        request_token = current_request_var.set(request)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(id_token)
            current_request_var.reset(request_token)
        response[REQUEST_ID_HEADER] = request_id
        return response


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def route_name(request) -> str:
    """The resolver's name for the view (`cases:detail`), or its pattern when unnamed; never
    the raw path, whose numbers would make a series per ticket."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


class MetricsMiddleware:
    """Counts each request, its latency and its database queries by route and status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = _QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_name(request)
        method = request.method if request.method in _METHODS else "other"
        labels = {"route": route, "method": method, "status": str(response.status_code)}
        metrics.HTTP_REQUESTS.labels(**labels).inc()
        metrics.HTTP_LATENCY.labels(**labels).observe(elapsed)
        metrics.HTTP_DB_QUERIES.labels(route=route).observe(counter.count)
        return response


class ProbeMiddleware:
    """Answers /healthz and /readyz before host validation and HTTPS redirects: probes call
    the container by its address (Docker, Kubernetes), not by a name in ALLOWED_HOSTS."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in PROBE_PATHS:
            from django.urls import resolve

            request.resolver_match = resolve(request.path)
            return request.resolver_match.func(request)
        return self.get_response(request)


PROBE_PATHS = frozenset({"/healthz", "/readyz"})
