"""The status page's Atom feed (§5.22): public updates and published circulars, newest
first; `?service=<code>` narrows it to one service. Public text only (`selectors.feed_items`)."""

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from . import selectors


class StatusFeed(Feed):
    feed_type = Atom1Feed
    subtitle = "Major incident updates and industry circulars from the MHHS Service Desk."
    author_name = "MHHS Service Desk"

    def get_object(self, request):
        code = request.GET.get("service")
        if code is None:
            return None
        service = selectors.status_services().filter(code=code[:40]).first()
        if service is None:
            raise Http404("No service on the status page has that code.")
        return service

    def title(self, service):
        if service is None:
            return "MHHS service status"
        return f"MHHS service status: {service.name}"

    def link(self, service):
        return reverse("status_page:index")

    def items(self, service):
        return selectors.feed_items(service=service)

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.body

    def item_link(self, item):
        if item.kind == "circular":
            return reverse("status_page:circular", args=[item.number])
        return reverse("status_page:incident", args=[item.number]) + f"#update-{item.pk}"

    def item_guid(self, item):
        # A tag URI (RFC 4151): the same entry keeps the same id whatever its text or link.
        return f"tag:mhhs-service-desk,{item.published_at:%Y-%m-%d}:status/{item.kind}/{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.published_at
