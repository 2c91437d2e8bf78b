"""The public status page and its circulars (§5.21, §5.22): no sign-in, public text only,
and a constant number of queries however much there is to show."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from major_incidents.circulars import circular_draft, circular_publish
from tests.conftest import login_client
from tests.status_page.conftest import SECRETS, publish_update, resolve
from tickets.models import Service


def _publish_circular(actor, major=None, title="DIP delays", body="Public circular words."):
    draft = circular_draft(
        actor=actor,
        title=title,
        body=body,
        services=[Service.objects.get(code="dip")],
        major_incident=major,
    )
    return circular_publish(circular=draft, actor=actor)


def _text(response) -> str:
    return response.content.decode()


def test_anyone_can_read_the_status_page_without_signing_in(make_major, incident_manager):
    """§5.22: the status website is public."""
    major = make_major(services={"dip": "major_outage"})
    publish_update(major, "We are investigating delays.", minutes_ago=10)
    publish_update(major, "The cause is identified.", status="identified")
    response = Client().get("/status/")
    assert response.status_code == 200
    html = _text(response)
    assert "DIP messages delayed" in html
    assert "Messages are delayed by up to an hour." in html
    assert html.index("The cause is identified.") < html.index("We are investigating delays.")
    assert "Major outage" in html
    assert 'id="service-dip"' in html
    assert "<main" in html and 'aria-label="Service status"' in html


def test_the_history_strip_is_told_in_words_as_well_as_colour(make_major):
    make_major(services={"dip": "partial_outage"})
    html = _text(Client().get("/status/"))
    assert re.search(
        r"1 of the last 90 days with disruption: Partial outage on \d+ \w+ \d{4}", html
    )
    assert "No disruption in the last 90 days." in html


def test_public_pages_never_show_internal_text(make_major, incident_manager):
    """Issue 11: nothing from the major incident's internal title, bridge, timeline, the
    incident, its work notes or the case reaches a public page."""
    major = make_major()
    publish_update(major, "Public update words.")
    circular = _publish_circular(incident_manager, major)
    resolved = make_major(public_title="Earlier trouble")
    resolve(resolved)
    client = Client()
    pages = [
        "/status/",
        f"/status/incidents/{major.number}/",
        f"/status/incidents/{resolved.number}/",
        "/status/circulars/",
        f"/status/circulars/{circular.number}/",
        "/status/feed/",
        "/status/feed/?service=dip",
        "/api/v1/status/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        for secret in SECRETS:
            assert secret not in _text(response), (page, secret)
    assert "Public update words." in _text(client.get(f"/status/incidents/{major.number}/"))


def test_a_participant_and_desk_staff_see_the_same_public_page(make_major, org_user, agent):
    from tests.conftest import mfa_client

    make_major()
    for client in (login_client(org_user), mfa_client(agent)):
        response = client.get("/status/")
        assert response.status_code == 200
        assert "SECRET-MI-TITLE" not in _text(response)


def test_an_unknown_incident_or_circular_is_not_found(db):
    client = Client()
    assert client.get("/status/incidents/MI9999999/").status_code == 404
    assert client.get("/status/circulars/IC-2026-999/").status_code == 404


def test_a_draft_circular_is_not_public(incident_manager):
    circular_draft(
        actor=incident_manager,
        title="Not yet",
        body="Draft words",
        services=[Service.objects.get(code="dip")],
    )
    assert "Not yet" not in _text(Client().get("/status/circulars/"))
    assert "Not yet" not in _text(Client().get("/status/"))


def test_published_circulars_are_listed_newest_first_and_paginated(incident_manager):
    circulars = [
        _publish_circular(incident_manager, title=f"Circular number {n}", body=f"Words {n}")
        for n in range(22)
    ]
    client = Client()
    first = _text(client.get("/status/circulars/"))
    assert first.index("Circular number 21") < first.index("Circular number 20")
    assert "Circular number 1:" not in first and "Circular number 1<" not in first
    second = _text(client.get("/status/circulars/?page=2"))
    assert "Circular number 0<" in second
    detail = client.get(f"/status/circulars/{circulars[0].number}/")
    assert detail.status_code == 200
    assert "Words 0" in _text(detail)
    assert Service.objects.get(code="dip").name in _text(detail)


def _queries(url) -> int:
    client = Client()
    client.get(url)  # warm: content types, sessions
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["/status/", "/status/feed/", "/status/circulars/", "/api/v1/status/"]
)
def test_public_pages_cost_the_same_queries_however_much_there_is(
    url, make_major, incident_manager
):
    """Issue 11: constant queries. /status/: services, major incidents of the last 90 days,
    their impacts, the active ones' updates, recent circulars (5). The feed: updates,
    circulars (2). Circulars: count, page (2). The JSON: as the page (5)."""
    major = make_major()
    publish_update(major, "One.")
    _publish_circular(incident_manager, major)
    small = _queries(url)
    for n in range(3):
        Service.objects.create(name=f"Extra service {n}", code=f"extra-{n}", kind="new")
    for n in range(4):
        more = make_major(services={"dip": "degraded", "lss": "major_outage"}, public_title=f"M{n}")
        for m in range(3):
            publish_update(more, f"Update {m}")
        if n % 2:
            resolve(more)
        _publish_circular(incident_manager, more)
    assert _queries(url) == small


def test_signed_out_visitors_pass_the_sign_in_gates_on_every_public_page(make_major):
    """The staff two-factor and registration gates (accounts.middleware) act only on
    signed-in people: every status page answers a visitor who never signed in."""
    major = make_major()
    client = Client()
    for url in (
        "/status/",
        f"/status/incidents/{major.number}/",
        "/status/circulars/",
        "/status/feed/",
        "/status/subscribe/sent/",
        "/api/v1/status/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_a_major_incidents_public_page_costs_the_same_queries_however_many_updates(make_major):
    """The incident, its impacts, its updates (3), whatever the number of updates."""
    major = make_major(services={"dip": "degraded", "lss": "major_outage"})
    publish_update(major, "One.")
    url = f"/status/incidents/{major.number}/"
    small = _queries(url)
    for n in range(10):
        publish_update(major, f"Update {n}.", minutes_ago=n)
    assert _queries(url) == small
    html = _text(Client().get(url))
    assert html.count('class="status-update"') == 11
    assert (
        html.count(major.public_title) >= 1
        and "<h3" not in html.split("<main")[1].split("status-updates")[0]
    )


def test_people_whose_account_is_not_ready_still_read_the_status_page(make_major, org_user):
    """The status page is public (§5.22): staff not yet enrolled in two-factor and people
    whose registration awaits approval read it like anyone else, not a set-up page."""
    from accounts import roles
    from tests.factories.accounts import UserFactory

    make_major()
    staff_without_totp = UserFactory(
        email="new.agent@mhhs.example", is_staff=True, roles=[roles.SERVICE_DESK_AGENT]
    )
    unattached = UserFactory(email="pending@example.com", organisation=None)
    for person in (staff_without_totp, unattached):
        response = login_client(person).get("/status/")
        assert response.status_code == 200, person
        assert "SECRET-MI-TITLE" not in _text(response)
