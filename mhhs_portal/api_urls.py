"""REST API v1 (namespace `api`), included at /api/v1/.

Ticket routes come from the ticket-type registry: for each registered type with an API slug,
its own routes, one route per lifecycle action it offers (`tickets.api_common.ticket_type_urls`)
and the routes other apps add to every type (`tickets.extensions`: the SLA clocks). Then the
endpoints that are not about one ticket type.
"""

from django.urls import path

from changes.cab_api import urlpatterns as cab_urls
from changes.schedule_api import urlpatterns as change_schedule_urls
from comms.inbound_api import InboundEmailApi
from knowledge.api import urlpatterns as knowledge_urls
from major_incidents.api import urlpatterns as major_incident_urls
from major_incidents.api_promotion import urlpatterns as promotion_urlpatterns
from major_incidents.review_api import urlpatterns as review_urlpatterns
from status_page.api import StatusApi
from tickets.api_common import ticket_type_urls
from tickets.extensions import api_routes_for
from tickets.registry import ticket_types

app_name = "api"

urlpatterns = [
    *(
        pattern
        for ticket_type in ticket_types()
        for pattern in (*ticket_type_urls(ticket_type), *api_routes_for(ticket_type))
    ),
    path("inbound-email/", InboundEmailApi.as_view(), name="inbound-email"),
    path("status/", StatusApi.as_view(), name="status"),
    *major_incident_urls,
    # Major-incident candidates: propose, review queue, accept and reject (§5.8–5.11).
    *promotion_urlpatterns,
    *review_urlpatterns,
    # The knowledge base: search, read by audience, feedback (§11).
    *knowledge_urls,
    # CAB and Emergency CAB meetings with their agendas (§8.9, §9.4), read only.
    *cab_urls,
    # The change schedule with its conflicts (§8.9.4, §8.9.6).
    *change_schedule_urls,
]
