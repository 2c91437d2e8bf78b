"""REST API v1 (namespace `api`), included at /api/v1/; each app's endpoints live in its api.py."""

from django.urls import path

from cases.api import urlpatterns as case_urls
from comms.inbound_api import InboundEmailApi
from incidents.api import urlpatterns as incident_urls
from sla.api import urlpatterns as sla_urls

app_name = "api"

urlpatterns = [
    *case_urls,
    *incident_urls,
    *sla_urls,
    path("inbound-email/", InboundEmailApi.as_view(), name="inbound-email"),
]
