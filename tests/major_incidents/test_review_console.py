"""The post-incident review in the console (§5.23, Appendix E): the list, the review page with
its milestones in UK time, the forms that call the services, the printable view, the open
actions list, and constant query counts however long the timeline or the action list."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents.services import incident_transition
from major_incidents.models import PostIncidentReview, ReviewAction, ReviewTimelineRow
from major_incidents.reviews import review_milestone_complete, review_update
from tests.conftest import mfa_client
from tests.factories.incidents import opened_major_incident, raised_incident

RESOLVED_AT = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
NOW = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)
CHANGELIST = "admin:major_incidents_postincidentreview_changelist"
ACTIONS = "admin:major_incidents_postincidentreview_actions"

# Appendix E's headings, in the template's order.
APPENDIX_E_HEADINGS = [
    "Post Incident Review",
    "Incident Details",
    "Incident Title",
    "Incident Ref",
    "Incident Report Ref",
    "Service Affected",
    "Date/Time Service Impacted",
    "Date/Time Service Restored",
    "Major Incident Manager(s)",
    "Incident Description",
    "Business Impact",
    "Incident Summary &amp; Action Performed",
    "Incident Resolution",
    "Affected Services",
    "Affected Users",
    "Major Activities and Timeline of Events",
    "Date &amp; Time",
    "Event",
    "Comments",
    "Root Cause Analysis",
    "Root Cause (if known)",
    "Follow-up Actions",
    "Owner",
    "Action",
    "Due",
    "Process Review",
    "Additional Notes",
]


def _review(org_user, agent, resolver_group, incident_manager) -> PostIncidentReview:
    with time_machine.travel(RESOLVED_AT - timedelta(hours=3)):
        incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        incident = incident_transition(incident=incident, actor=agent, name="start")
        major = opened_major_incident(incident=incident, actor=agent, manager=incident_manager)
    with time_machine.travel(RESOLVED_AT, tick=False):
        incident_transition(
            incident=incident, actor=agent, name="resolve", notes="Fixed.", code="solved"
        )
    return PostIncidentReview.objects.get(major_incident=major)


@pytest.fixture
def review(org_user, agent, resolver_group, incident_manager):
    return _review(org_user, agent, resolver_group, incident_manager)


@pytest.fixture
def manager_client(incident_manager):
    return mfa_client(incident_manager)


def _page(review):
    return reverse("admin:major_incidents_postincidentreview_change", args=[review.pk])


def _url(name, review, *args):
    return reverse(f"admin:major_incidents_postincidentreview_{name}", args=[review.pk, *args])


def _grow(review, owner, n):
    ReviewTimelineRow.objects.bulk_create(
        ReviewTimelineRow(review=review, occurred_at=RESOLVED_AT, event=f"Event {i}")
        for i in range(n)
    )
    ReviewAction.objects.bulk_create(
        ReviewAction(review=review, owner=owner, action=f"Action {i}", due_on=date(2026, 4, 3))
        for i in range(n)
    )


def test_review_page_shows_milestones_in_uk_time_with_badges(review, manager_client):
    """§5.23: the 2-hour step of a review resolved at 23:30 UTC on 28 March is due at 01:30 UTC,
    which is 02:30 BST (the clocks went forward at 01:00 UTC); at 09:00 UTC the early steps are
    overdue."""
    with time_machine.travel(NOW, tick=False):
        response = manager_client.get(_page(review))
    assert response.status_code == 200
    html = response.content.decode()
    assert "29 Mar 2026, 02:30" in html
    assert "Overdue" in html and "Upcoming" in html
    assert "Initial incident summary and context" in html
    assert "Follow-up review meeting" in html
    assert review.incident_ref in html


def test_review_page_query_count_is_constant(
    org_user, agent, resolver_group, incident_manager, django_assert_num_queries
):
    """A review with 1 or 50 timeline rows and actions costs the same queries."""
    client = mfa_client(incident_manager)
    for n in (1, 50):
        review = _review(org_user, agent, resolver_group, incident_manager)
        _grow(review, incident_manager, n)
        client.get(_page(review))  # warm: session and the access cache
        # 1 session; 2 user; 3 the review with its major incident, incident and signer; 4–7 its
        # services, timeline rows, milestones and actions (prefetched); 8 the actions' owners;
        # 9 the owners to choose from (once for every action form); 10 the services to choose.
        with django_assert_num_queries(10):
            response = client.get(_page(review))
        assert response.status_code == 200
        assert response.content.decode().count("Event ") >= n


def test_saving_the_review_form_updates_the_sections(review, manager_client):
    data = {
        "incident_title": "DIP unavailable",
        "major_incident_managers": "Ian Incident",
        "business_impact": "Settlement delayed.",
        "root_cause": "Disk full.",
        "services": [],
    }
    response = manager_client.post(_page(review), data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.business_impact, review.root_cause) == ("Settlement delayed.", "Disk full.")


def test_a_refused_save_shows_the_error_on_the_form(review, manager_client):
    response = manager_client.post(
        _page(review), {"incident_title": "", "major_incident_managers": "x"}
    )
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_milestone_and_action_buttons_call_the_services(review, manager_client, incident_manager):
    milestone = review.milestones.get(code="initial_summary")
    response = manager_client.post(_url("milestone", review, milestone.pk), {"do": "done"})
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.completed_by == incident_manager
    response = manager_client.post(
        _url("milestone", review, review.milestones.get(code="impact_analysis").pk),
        {"do": "skip", "reason": ""},
    )
    assert response.status_code == 302
    assert review.milestones.get(code="impact_analysis").completed_at is None
    due = (date.today() + timedelta(days=5)).isoformat()
    response = manager_client.post(
        _url("action_add", review),
        {
            "new-action-owner": incident_manager.pk,
            "new-action-action": "Alerting",
            "new-action-due_on": due,
        },
    )
    assert response.status_code == 302
    action = review.actions.get()
    response = manager_client.post(
        _url("action", review, action.pk), {"do": "done", "note": "Live"}
    )
    action.refresh_from_db()
    assert action.done_note == "Live"
    response = manager_client.post(
        _url("timeline_add", review),
        {"new-row-occurred_at": "2026-03-28T22:00", "new-row-event": "Bridge opened"},
    )
    assert review.timeline_rows.filter(event="Bridge opened").exists()


def test_sign_off_button_only_for_a_service_manager(review, manager_client, service_manager):
    """The Major Incident Manager sees no sign-off button and is refused; the service manager
    signs off once the rules are met (§5.23)."""
    html = manager_client.get(_page(review)).content.decode()
    assert "Sign off the review" not in html
    review_update(review=review, actor=service_manager, root_cause="Disk full.")
    for milestone in review.milestones.exclude(code__in=("signoff", "follow_up_meeting")):
        review_milestone_complete(milestone=milestone, actor=service_manager)
    manager_client.post(_url("sign_off", review))
    review.refresh_from_db()
    assert review.state == PostIncidentReview.State.DRAFT
    lead = mfa_client(service_manager)
    assert "Sign off the review" in lead.get(_page(review)).content.decode()
    assert lead.post(_url("sign_off", review)).status_code == 302
    review.refresh_from_db()
    assert review.state == PostIncidentReview.State.SIGNED_OFF
    html = lead.get(_page(review)).content.decode()
    assert "Save the review" not in html
    assert "Distribute the final PIR" in html


def test_printable_view_has_every_appendix_e_heading_in_order(review, manager_client):
    """Appendix E: every section, in the template's order, without the console's chrome."""
    response = manager_client.get(_url("print", review))
    assert response.status_code == 200
    html = response.content.decode()
    # Each heading is looked for after the one before it: found means present and in order.
    position = 0
    for heading in APPENDIX_E_HEADINGS:
        found = html.find(f">{heading}<", position)
        assert found >= 0, f"{heading} missing or out of order"
        position = found
    assert 'id="header"' not in html and "nav-sidebar" not in html
    assert "review_print.css" in html


def test_review_list_filters_and_searches(review, manager_client):
    with time_machine.travel(NOW, tick=False):
        response = manager_client.get(reverse(CHANGELIST), {"overdue": "yes"})
    assert review.incident_ref in response.content.decode()
    response = manager_client.get(reverse(CHANGELIST), {"q": review.incident_ref})
    assert response.status_code == 200
    assert review.incident_ref in response.content.decode()
    response = manager_client.get(reverse(CHANGELIST), {"q": "INC9999999"})
    assert review.incident_ref not in re.sub(r'value="[^"]*"', "", response.content.decode())


def test_open_actions_list_filters_and_keeps_its_query_count(
    org_user, agent, resolver_group, incident_manager, resolver, django_assert_num_queries
):
    """Appendix E actions tracked to done across reviews: by owner, overdue, paginated."""
    client = mfa_client(incident_manager)
    for n in (1, 50):
        review = _review(org_user, agent, resolver_group, incident_manager)
        _grow(review, resolver, n)
        client.get(reverse(ACTIONS))
        # 1 session; 2 user; 3 the capped count; 4 the page of actions with owner, review and
        # major incident joined; 5 the owners for the filter.
        with django_assert_num_queries(5):
            response = client.get(reverse(ACTIONS), {"owner": resolver.pk})
        assert response.status_code == 200
    with time_machine.travel(datetime(2026, 4, 10, 9, 0, tzinfo=UTC)):
        html = client.get(reverse(ACTIONS), {"overdue": "1"}).content.decode()
    assert "Overdue" in html
    html = client.get(reverse(ACTIONS), {"owner": incident_manager.pk}).content.decode()
    assert "No open follow-up actions match these filters" in html


def test_a_participant_cannot_open_the_review(review, org_user):
    from tests.conftest import login_client

    response = login_client(org_user).get(_page(review))
    assert response.status_code in (302, 403)


def test_review_list_query_count_is_constant(
    org_user, agent, resolver_group, incident_manager, django_assert_num_queries
):
    """The list of reviews reads one page with the overdue flag annotated, not per row."""
    client = mfa_client(incident_manager)
    for n in (1, 3):
        while PostIncidentReview.objects.count() < n:
            _review(org_user, agent, resolver_group, incident_manager)
        client.get(reverse(CHANGELIST))
        # 1 session; 2 user; 3 the capped count; 4 the page of reviews with their major
        # incident and the overdue flag.
        with django_assert_num_queries(4):
            response = client.get(reverse(CHANGELIST))
        assert response.status_code == 200
        assert "Open follow-up actions" in response.content.decode()


@pytest.mark.parametrize("junk", ["2/change/widgets.css", "²", "99999999999999999999"])
def test_a_review_address_that_is_no_id_is_not_found(junk, incident_manager):
    """A mistyped or relative address under a review is a 404, never a 500."""
    from tests.conftest import mfa_client

    client = mfa_client(incident_manager)
    response = client.get(f"/admin/major_incidents/postincidentreview/{junk}/change/")
    assert response.status_code == 404
    response = client.get(f"/admin/major_incidents/majorincidentcandidate/{junk}/change/")
    assert response.status_code in (302, 404)
