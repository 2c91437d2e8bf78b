"""The major-incident pages fit a laptop window and a phone and have no critical or serious
axe-core finding (issue 11 with issue 10's checks): the public status pages for someone not
signed in, and the console's candidate queue and review, war room, comms composer, circulars,
post-incident review and its printable view for the Major Incident Manager — with long,
realistic words in them."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from comms.lists import distribution_list_member_add
from comms.models import DistributionList
from incidents.services import incident_transition, incident_work_note_add
from major_incidents.circulars import circular_draft, circular_publish
from major_incidents.comms import comms_send
from major_incidents.models import CommsMessage, MajorIncident, PostIncidentReview
from major_incidents.promotion import candidate_propose
from major_incidents.public import public_update_publish
from major_incidents.reviews import review_action_add
from tests.e2e.pages import VIEWPORTS, agent_page, open_page, overflow, serious_axe_violations
from tests.factories.cases import CaseFactory
from tests.factories.incidents import opened_major_incident, raised_incident
from tickets.models import Service

LONG = (
    "Settlement data for the Volume Allocation Service run of Tuesday is delayed because the "
    "Data Integration Platform queues messages from every supplier and distribution operator"
)


@pytest.fixture
def pages(org_user, agent, incident_manager, service_manager, resolver_group):
    """One active and one resolved major incident, a pending candidate and a circular."""
    distribution_list_member_add(
        distribution_list=DistributionList.objects.get(name="Major Incident comms"),
        actor=service_manager,
        user=org_user,
    )
    candidate_incident = raised_incident(
        caller=org_user,
        agent=agent,
        resolver_group=resolver_group,
        case=CaseFactory(caller=org_user, short_description=LONG[:150]),
    )
    candidate = candidate_propose(incident=candidate_incident, actor=agent, reason=LONG)

    active = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    incident_work_note_add(incident=active, actor=agent, body=LONG)
    major = opened_major_incident(
        incident=active,
        actor=agent,
        manager=incident_manager,
        services=("dip", "vas", "settlement-operations"),
        public_title=LONG[:150],
    )
    comms_send(
        major_incident=major,
        actor=incident_manager,
        kind=CommsMessage.Kind.INITIAL,
        subject=LONG[:150],
        body=LONG,
    )
    public_update_publish(
        major_incident=major,
        actor=incident_manager,
        status=MajorIncident.PublicStatus.INVESTIGATING,
        body=LONG,
    )
    circular = circular_draft(
        actor=incident_manager,
        title=LONG[:150],
        body=LONG,
        services=list(Service.objects.filter(code="dip")),
        major_incident=major,
    )
    circular = circular_publish(circular=circular, actor=incident_manager)

    resolved = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    resolved_major = opened_major_incident(
        incident=resolved, actor=agent, manager=incident_manager, public_title=LONG[:150]
    )
    incident_transition(incident=resolved, actor=agent, name="resolve", notes=LONG, code="solved")
    review = PostIncidentReview.objects.get(major_incident=resolved_major)
    review_action_add(
        review=review,
        actor=incident_manager,
        owner=incident_manager,
        action=LONG,
        due_on=date.today() + timedelta(days=7),
    )

    war_room = reverse("admin:major_incidents_majorincident_change", args=[major.pk])
    review_url = reverse("admin:major_incidents_postincidentreview_change", args=[review.pk])
    public = {
        "status page": "/status/",
        "circulars": "/status/circulars/",
        "circular": f"/status/circulars/{circular.number}/",
        "major incident": f"/status/incidents/{major.number}/",
    }
    console = {
        "candidate queue": reverse("admin:major_incidents_majorincidentcandidate_changelist"),
        "candidate review": reverse(
            "admin:major_incidents_majorincidentcandidate_change", args=[candidate.pk]
        ),
        "major incidents": reverse("admin:major_incidents_majorincident_changelist"),
        "war room": war_room,
        "comms composer": reverse("admin:major_incidents_majorincident_comms", args=[major.pk])
        + "?kind=update",
        "circulars": reverse("admin:major_incidents_industrycircular_changelist"),
        "review": review_url,
        "review actions": reverse("admin:major_incidents_postincidentreview_actions"),
    }
    return public, console


def _problems(page, base: str, paths: dict[str, str]) -> list[str]:
    found = []
    for size, (width, height) in VIEWPORTS.items():
        page.set_viewport_size({"width": width, "height": height})
        for name, path in paths.items():
            open_page(page, f"{base}{path}")
            wide = overflow(page)
            if wide:
                found.append(f"{name} at {size}: too wide: {wide}")
            found += [f"{name} at {size}: {line}" for line in serious_axe_violations(page)]
    return found


def test_public_status_pages_fit_a_phone_and_pass_axe(browser, live_server, pages):
    public, _ = pages
    page = browser.new_context().new_page()
    page.set_default_timeout(15_000)

    problems = _problems(page, live_server.url, public)

    assert not problems, "\n".join(problems)


def test_major_incident_console_pages_fit_a_phone_and_pass_axe(
    browser, live_server, pages, incident_manager
):
    _, console = pages
    page = agent_page(browser, live_server.url, incident_manager.email)

    problems = _problems(page, live_server.url, console)

    assert not problems, "\n".join(problems)
