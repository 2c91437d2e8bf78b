"""Industry circulars in the console (§5.11 steps 11–12 and 18–19, §5.20): drafted from the
war room with the major incident prefilled, edited while a draft, published after a
confirmation, read-only afterwards."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from major_incidents.circulars import circular_draft, circular_publish
from major_incidents.models import IndustryCircular, TimelineEntry
from tests.conftest import mfa_client
from tests.factories.incidents import opened_major_incident, raised_incident
from tickets.models import Service

ADD = reverse("admin:major_incidents_industrycircular_add")
LIST = reverse("admin:major_incidents_industrycircular_changelist")


@pytest.fixture
def major(org_user, agent, resolver_group, incident_manager):
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    return opened_major_incident(
        incident=incident,
        actor=agent,
        manager=incident_manager,
        services=("dip", "lss"),
        public_summary="Messages are delayed.",
    )


def _publish_url(circular):
    return reverse("admin:major_incidents_industrycircular_publish", args=[circular.pk])


def test_drafting_from_the_war_room_prefills_the_major_incident(major, incident_manager):
    """The war room links to the add page with ?major_incident=<pk>."""
    client = mfa_client(incident_manager)
    page = client.get(f"{ADD}?major_incident={major.pk}")
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert str(form.initial["major_incident"]) == str(major.pk)
    assert form.initial["title"] == "Data Integration Platform unavailable"
    assert form.initial["body"] == "Messages are delayed."
    assert set(form.initial["services"]) == set(
        Service.objects.filter(code__in=("dip", "lss")).values_list("pk", flat=True)
    )


def test_an_incident_manager_drafts_edits_and_publishes_a_circular(major, incident_manager):
    client = mfa_client(incident_manager)
    dip = Service.objects.get(code="dip")
    response = client.post(
        ADD,
        {
            "major_incident": major.pk,
            "title": "DIP delays",
            "body": "Messages are delayed.",
            "services": [dip.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    circular = IndustryCircular.objects.get()
    assert (circular.state, circular.major_incident, circular.drafted_by) == (
        "draft",
        major,
        incident_manager,
    )
    change = reverse("admin:major_incidents_industrycircular_change", args=[circular.pk])
    assert "Publish" in client.get(change).content.decode()
    client.post(
        change, {"title": "DIP delays (update)", "body": "Still delayed.", "services": [dip.pk]}
    )
    circular.refresh_from_db()
    assert circular.title == "DIP delays (update)"

    confirm = client.get(_publish_url(circular))
    assert confirm.status_code == 200
    assert "Publish circular" in confirm.content.decode()
    circular.refresh_from_db()
    assert circular.state == "draft"  # the GET only asks
    assert client.post(_publish_url(circular)).status_code == 302
    circular.refresh_from_db()
    assert circular.state == "published" and circular.number.startswith("IC-")
    assert major.timeline.filter(kind=TimelineEntry.Kind.CIRCULAR).exists()

    # Published: read-only, and a second publish is refused in words.
    page = client.get(change)
    assert "can no longer be changed" in page.content.decode()
    client.post(change, {"title": "Changed", "body": "x", "services": [dip.pk]})
    circular.refresh_from_db()
    assert circular.title == "DIP delays (update)"
    again = client.post(_publish_url(circular))
    assert again.status_code == 409


def test_a_draft_without_services_shows_the_services_refusal_on_the_form(incident_manager):
    response = mfa_client(incident_manager).post(ADD, {"title": "T", "body": "B", "services": []})
    assert response.status_code == 200
    assert "Choose the services the circular is about." in response.content.decode()
    assert not IndustryCircular.objects.exists()


def test_a_desk_agent_cannot_publish(agent, incident_manager):
    circular = circular_draft(
        actor=incident_manager,
        title="T",
        body="B",
        services=[Service.objects.get(code="dip")],
    )
    client = mfa_client(agent)
    assert client.post(_publish_url(circular)).status_code == 403
    assert client.get(ADD).status_code == 403
    circular.refresh_from_db()
    assert circular.state == "draft"


def _list_queries(client, url) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_circular_list_filters_searches_and_costs_the_same_queries(incident_manager, major):
    """The changelist: a fixed number of queries for 1 or 12 circulars (session, user, the
    permission cache, count, page with its major incident joined)."""
    client = mfa_client(incident_manager)
    dip = [Service.objects.get(code="dip")]
    circular_draft(
        actor=incident_manager, title="First", body="B", services=dip, major_incident=major
    )
    small = _list_queries(client, LIST)
    for n in range(11):
        draft = circular_draft(
            actor=incident_manager,
            title=f"Circular {n}",
            body="B",
            services=dip,
            major_incident=major,
        )
        if n % 2:
            circular_publish(circular=draft, actor=incident_manager)
    assert _list_queries(client, LIST) == small
    published = client.get(f"{LIST}?state__exact=published").content.decode()
    assert "Circular 1<" in published and "Circular 2<" not in published
    found = client.get(f"{LIST}?q=Circular+10").content.decode()
    assert "Circular 10" in found and "First" not in found


def test_an_empty_list_says_what_to_do_next(incident_manager):
    html = mfa_client(incident_manager).get(LIST).content.decode()
    assert "No industry circulars yet. Draft one" in html
    assert (
        "No circulars match." in mfa_client(incident_manager).get(f"{LIST}?q=zzz").content.decode()
    )
