"""Changes in the console (§8, §9): the list, the page with its buttons and approval form,
raising (directly, from an incident, from the catalogue), editing, and the lists of review
items and external notifications."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from changes.models import Change, ChangeApproval, ExternalChangeNotification
from changes.services import change_assess, change_submit, external_change_notification_submit
from tests.changes.conftest import london, raise_change
from tests.conftest import mfa_client
from tests.factories.cases import category
from tests.factories.incidents import raised_incident
from tickets.models import Service, TicketLink

CHANGELIST = "admin:changes_change_changelist"
IN_HOURS = london(2027, 2, 3, 10, 0)


def _change_url(change) -> str:
    return reverse("admin:changes_change_change", args=[change.pk])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("size", [2, 20])
def test_change_changelist_query_count_is_constant(change_manager_client, service_owner, size):
    """CONVENTIONS §7: the list joins its assignee; filter choices and the page are fixed."""
    for _ in range(size):
        raise_change(service_owner)
    change_manager_client.get(reverse(CHANGELIST))  # warm the access cache
    # session, user, filter choices (resolver groups; categories are kept by the process),
    # page count (capped), the page of changes joined with the assignee, its SLA clocks.
    with CaptureQueriesContext(connection) as captured:
        response = change_manager_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert len(captured) == 6, [q["sql"][:150] for q in captured.captured_queries]
    assert len(response.context["cl"].result_list) == size


def test_empty_change_list_says_how_changes_are_raised(change_manager_client):
    response = change_manager_client.get(reverse(CHANGELIST))
    assert "No changes yet" in response.content.decode()
    response = change_manager_client.get(reverse(CHANGELIST), {"q": "nothing"})
    assert "No changes match" in response.content.decode()


def test_changelist_filters_by_cab_and_searches(change_manager_client, service_owner):
    raise_change(service_owner)
    cab = raise_change(service_owner, probability=1, short_description="Database migration")
    response = change_manager_client.get(reverse(CHANGELIST), {"cab_required__exact": "1"})
    assert list(response.context["cl"].result_list) == [cab]
    response = change_manager_client.get(reverse(CHANGELIST), {"q": "migration"})
    assert list(response.context["cl"].result_list) == [cab]


def test_raising_a_change_from_the_console(service_owner):
    """§8.2, §8.3: raised as a draft with its fields; the times are UK time."""
    client = mfa_client(service_owner)
    response = client.post(
        reverse("admin:changes_change_add"),
        {
            "change_type": "normal",
            "short_description": "Patch the broker",
            "description": "Vendor patch.",
            "category": category("Market Systems").pk,
            "probability": "3",
            "impact": "2",
            "planned_start": "2027-07-01T22:00",
            "planned_end": "2027-07-01T23:00",
            "services": [Service.objects.get(code="dip").pk],
        },
    )
    change = Change.objects.get()
    assert response.status_code == 302 and response.url == _change_url(change)
    assert change.risk == 3 and change.cab_required is True  # Medium impact needs CAB
    assert change.planned_start == london(2027, 7, 1, 22, 0)  # BST: 21:00 UTC
    assert change.requested_by == service_owner


def test_raising_with_errors_shows_them_next_to_the_fields(service_owner):
    client = mfa_client(service_owner)
    response = client.post(
        reverse("admin:changes_change_add"),
        {
            "change_type": "normal",
            "short_description": "Patch",
            "description": "Vendor patch.",
            "planned_start": "2027-07-01T22:00",
            "planned_end": "2027-07-01T21:00",
        },
    )
    assert response.status_code == 200
    assert "planned end must be after" in str(response.context["form"].errors["planned_end"])
    assert Change.objects.count() == 0


def test_raise_change_from_an_incident_links_it(service_owner, org_user, agent, resolver_group):
    """§5.5 steps 11–13: the incident page offers "Raise change"; the change is linked."""
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    client = mfa_client(service_owner)
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert "Raise change" in page.content.decode()
    url = f"{reverse('admin:changes_change_add')}?incident={incident.pk}"
    form = client.get(url)
    assert (
        form.context["form"].initial["short_description"].startswith(f"Fix for {incident.number}")
    )
    response = client.post(
        url,
        {
            "change_type": "emergency",
            "short_description": "Restart the adapter",
            "description": "Restart to clear the stuck queue.",
        },
    )
    change = Change.objects.get()
    assert response.status_code == 302
    assert TicketLink.objects.filter(kind="incident_change", to_id=change.pk).exists()
    page = client.get(reverse("admin:incidents_incident_change", args=[incident.pk]))
    assert change.number in page.content.decode()


def test_change_page_offers_the_decision_under_the_right_authority(
    service_owner, change_manager, change_manager_client
):
    """§8.7: a Low/Low change in Authorise offers the Change Manager's authority only; the
    decision moves it to Scheduled."""
    change = raise_change(service_owner)
    with time_machine.travel(IN_HOURS, tick=False):
        change = change_submit(change=change, actor=service_owner)
    change = change_assess(change=change, actor=change_manager)
    page = change_manager_client.get(_change_url(change))
    assert page.status_code == 200
    form = page.context["approval_form"]
    assert [value for value, _ in form.fields["kind"].choices] == ["change_manager"]
    assert "console-transition-authorise" not in page.content.decode()
    response = change_manager_client.post(
        reverse("admin:changes_change_approval", args=[change.pk]),
        {"kind": "change_manager", "decision": "approve"},
        follow=True,
    )
    assert any("now Scheduled" in message for message in _messages(response))
    change.refresh_from_db()
    assert change.state == Change.State.SCHEDULED
    assert ChangeApproval.objects.get().approver == change_manager


def test_submit_button_runs_the_lead_time_check(service_owner):
    """§8.7: the Submit button refuses a late change without a justification, next to the
    field, and accepts it with one."""
    change = raise_change(service_owner, planned_start=london(2027, 2, 4, 10, 0))
    url = reverse("admin:changes_change_transition", args=[change.pk, "submit"])
    with time_machine.travel(IN_HOURS, tick=True):
        client = mfa_client(service_owner)
        response = client.post(url, {"expected_state": "new"})
        assert response.status_code == 200
        assert "late" in str(response.context["form"].errors["justification"])
        response = client.post(url, {"expected_state": "new", "justification": "Vendor fix."})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.state == Change.State.ASSESS and change.is_late


def test_edit_form_saves_and_shows_errors_next_to_fields(service_owner):
    """§8.3: the change is edited while New; bad input comes back next to its field."""
    change = raise_change(service_owner)
    client = mfa_client(service_owner)
    url = reverse("admin:changes_change_update", args=[change.pk])
    response = client.post(
        url,
        {
            "short_description": change.short_description,
            "description": change.description,
            "planned_start": "2027-03-01T22:00",
            "planned_end": "2027-03-01T21:00",
        },
    )
    assert response.status_code == 200
    assert "planned_end" in response.context["update_form"].errors
    response = client.post(
        url,
        {
            "short_description": "Patch the DIP broker (v2)",
            "description": change.description,
            "test_plan": "Full regression.",
        },
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.short_description == "Patch the DIP broker (v2)"


def test_change_manager_sees_external_notifications(org, change_manager_client):
    """§8.12: external notifications appear in the Change Manager's console list."""
    from accounts import roles
    from tests.factories.accounts import UserFactory

    admin = UserFactory(
        email="ada.admin@example.com", organisation=org, roles=[roles.ORGANISATION_ADMIN]
    )
    external_change_notification_submit(
        actor=admin,
        title="DCC adapter upgrade",
        description="Saturday night.",
        planned_start=london(2027, 3, 6, 22, 0),
        planned_end=london(2027, 3, 7, 2, 0),
    )
    response = change_manager_client.get(
        reverse("admin:changes_externalchangenotification_changelist")
    )
    assert "DCC adapter upgrade" in response.content.decode()
    notification = ExternalChangeNotification.objects.get()
    change_manager_client.post(
        reverse("admin:changes_externalchangenotification_changelist"),
        {"action": "acknowledge", "_selected_action": [notification.pk]},
    )
    notification.refresh_from_db()
    assert notification.state == "acknowledged"


def test_cab_member_records_the_review_on_the_change_page(
    service_owner, change_manager, cab_member
):
    """§8.9.9: a change closed as Unauthorised has an open review; a CAB member records the
    lessons on its page (an empty one is refused next to the field)."""
    from changes.models import ChangeReviewItem
    from changes.services import change_mark_unauthorised

    change = change_mark_unauthorised(
        change=raise_change(service_owner), actor=change_manager, notes="Done without approval."
    )
    client = mfa_client(cab_member)
    page = client.get(_change_url(change))
    assert "Record the review" in page.content.decode()
    url = reverse("admin:changes_change_review", args=[change.pk])
    response = client.post(url, {"lessons": ""})
    assert response.status_code == 200 and "lessons" in response.context["review_form"].errors
    response = client.post(url, {"lessons": "Brief the team on the change process."})
    assert response.status_code == 302
    item = ChangeReviewItem.objects.get(change=change)
    assert not item.is_open and item.reviewed_by == cab_member


def test_standard_change_page_edits_only_timing_and_people(
    service_owner, template, change_manager_client
):
    """§8.1.2: a Standard change's page offers its timing and people to edit, not its plans."""
    from tests.changes.conftest import raise_standard

    change = raise_standard(service_owner, template)
    page = change_manager_client.get(_change_url(change))
    assert page.status_code == 200
    fields = set(page.context["update_form"].fields)
    assert "planned_start" in fields and "implementation_plan" not in fields
    assert "Pre-approved (standard change)" in page.content.decode()


def _page_queries(client, change) -> int:
    client.get(_change_url(change))  # warm the caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(_change_url(change))
    assert response.status_code == 200
    return len(captured)


def test_change_page_query_count_does_not_grow_with_links(
    service_owner, change_manager_client, org_user, agent, resolver_group
):
    """CONVENTIONS §7: linked incidents are one query however many there are."""
    from changes.services import change_link_incident

    change = raise_change(service_owner)
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    change_link_incident(change=change, incident=incident, actor=service_owner)
    one = _page_queries(change_manager_client, change)
    for _ in range(4):
        incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
        change_link_incident(change=change, incident=incident, actor=service_owner)
    assert _page_queries(change_manager_client, change) == one


def test_change_page_flags_schedule_conflicts_on_both_changes(service_owner, change_manager_client):
    """§8.9.4 "timing": two changes on the DIP with overlapping planned windows are each shown
    the other; a change on another service, or one that follows on, is not."""
    start = london(2027, 3, 1, 22, 0)
    first = raise_change(service_owner, planned_start=start, short_description="Patch broker")
    second = raise_change(
        service_owner,
        planned_start=start + timedelta(hours=1),
        short_description="Rotate broker keys",
    )
    after = raise_change(service_owner, planned_start=start + timedelta(hours=3))
    elsewhere = raise_change(
        service_owner, planned_start=start, services=Service.objects.filter(code="isd")
    )
    for this, other in ((first, second), (second, first)):
        page = change_manager_client.get(_change_url(this))
        conflicts = page.context["conflicts"]
        assert [conflict.number for conflict in conflicts] == [other.number]
        html = page.content.decode()
        assert "1 other change shares a service" in html
        assert _change_url(other) in html
    for alone in (after, elsewhere):
        page = change_manager_client.get(_change_url(alone))
        assert page.context["conflicts"] == []
        assert "No other change touches this change" in page.content.decode()


def test_change_page_query_count_does_not_grow_with_conflicts(service_owner, change_manager_client):
    """CONVENTIONS §7: the conflicts are one query however many changes overlap."""
    start = london(2027, 3, 1, 22, 0)
    change = raise_change(service_owner, planned_start=start)
    raise_change(service_owner, planned_start=start)
    one = _page_queries(change_manager_client, change)
    for _ in range(5):
        raise_change(service_owner, planned_start=start + timedelta(minutes=30))
    assert _page_queries(change_manager_client, change) == one
    assert len(change_manager_client.get(_change_url(change)).context["conflicts"]) == 6
