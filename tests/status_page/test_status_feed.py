"""The status page's Atom feed (§5.22): public updates and published circulars, newest first,
each with a stable id and a link; `?service=<code>` narrows it."""

import xml.etree.ElementTree as ET

from django.test import Client

from major_incidents.circulars import circular_draft, circular_publish
from tests.status_page.conftest import publish_update
from tickets.models import Service

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(url: str):
    response = Client().get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    return [
        {
            "title": entry.find(f"{ATOM}title").text,
            "id": entry.find(f"{ATOM}id").text,
            "link": entry.find(f"{ATOM}link").get("href"),
            "summary": entry.find(f"{ATOM}summary").text,
        }
        for entry in root.iter(f"{ATOM}entry")
    ]


def test_the_feed_lists_updates_and_circulars_newest_first(make_major, incident_manager):
    major = make_major()
    publish_update(major, "First words.", minutes_ago=30)
    circular = circular_publish(
        circular=circular_draft(
            actor=incident_manager,
            title="Delays",
            body="Circular words.",
            services=[Service.objects.get(code="dip")],
        ),
        actor=incident_manager,
    )
    publish_update(major, "Latest words.", status="monitoring")
    entries = _entries("/status/feed/")
    assert [e["summary"] for e in entries] == ["Latest words.", "Circular words.", "First words."]
    assert entries[0]["title"] == "DIP messages delayed: Fix applied — monitoring"
    assert entries[1]["title"] == f"Industry circular {circular.number}: Delays"
    assert entries[1]["link"].endswith(f"/status/circulars/{circular.number}/")
    assert f"/status/incidents/{major.number}/#update-" in entries[0]["link"]


def test_entry_ids_are_stable(make_major):
    major = make_major()
    update = publish_update(major, "Words.")
    first = _entries("/status/feed/")[0]["id"]
    update.body = "Corrected words."
    update.save()
    again = _entries("/status/feed/")[0]
    assert again["id"] == first
    assert first.startswith("tag:") and first.endswith(f"/update/{update.pk}")


def test_the_feed_can_follow_one_service(make_major):
    dip = make_major(services={"dip": "degraded"}, public_title="DIP trouble")
    lss = make_major(services={"lss": "degraded"}, public_title="LSS trouble")
    publish_update(dip, "About DIP.")
    publish_update(lss, "About LSS.")
    assert [e["summary"] for e in _entries("/status/feed/?service=lss")] == ["About LSS."]
    assert len(_entries("/status/feed/")) == 2


def test_an_unknown_service_in_the_feed_is_not_found(db):
    assert Client().get("/status/feed/?service=nope").status_code == 404
