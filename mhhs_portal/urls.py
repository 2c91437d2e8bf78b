"""URL map: portal pages, sign-in, the agent console, the API and its documentation."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts.mfa import EnrolmentTOTPView
from knowledge.glossary_urls import suggest_urlpatterns

urlpatterns = [
    # Browsers ask for /favicon.ico on their own (pages also link static/favicon.svg).
    path(
        "favicon.ico",
        serve,
        {"path": "favicon.ico", "document_root": settings.BASE_DIR / "static"},
        name="favicon",
    ),
    # allauth's TOTP set-up page, in front of allauth's own: a stable pending secret, and `next`
    # after enrolment (§10.5.2).
    path("accounts/2fa/totp/activate/", EnrolmentTOTPView.as_view(), name="mfa_activate_totp"),
    path("", include("cases.urls")),
    path("", include("comms.urls")),
    path("status/", include("status_page.urls")),
    path("knowledge/glossary/", include("knowledge.glossary_urls")),
    path("knowledge/suggest/", include((suggest_urlpatterns, "knowledge_suggest"))),
    path("knowledge/", include("knowledge.urls")),
    # The change calendar, its iCalendar feed, the Monday reports and the metrics (§8.9–§8.11).
    path("changes/schedule/", include("changes.schedule_urls")),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("access.urls")),
    path("console/cab/", include("changes.cab_urls")),
    # Issue 14: the system status page; /healthz, /readyz and /metrics at the root.
    path("console/system/", include("ops.console_urls")),
    path("", include("ops.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("mhhs_portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
