"""The notification centre (§5.17 "email and portal notification", §7.3, §10.2): the bell's
unread count, the list, opening marks read, and email preferences — optional events can be
switched off for email, mandatory ones cannot."""

import copy

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import include, path, reverse

from cases.models import Case
from cases.services import case_comment_add, case_transition
from comms.centre import (
    EVENTS,
    notification_deliver,
    notification_mark_all_read,
    notification_open,
    notification_preference_set,
    notification_preferences_for,
    notification_unread_count_for,
)
from comms.context_processors import notifications as bell_context
from comms.models import Notification, NotificationPreference, OutboundMessage
from core.errors import ValidationFailed
from mhhs_portal.urls import urlpatterns as root_urlpatterns
from tests.conftest import login_client, mfa_client
from tests.factories.cases import CaseFactory

# The comms pages are routed here until the root URLconf includes them.
urlpatterns = [
    *root_urlpatterns,
    *(
        []
        if any(getattr(p, "namespace", None) == "comms" for p in root_urlpatterns)
        else [path("", include("comms.urls"))]
    ),
]
pytestmark = pytest.mark.urls(__name__)


def _notify(user, count: int) -> list[Notification]:
    return Notification.objects.bulk_create(
        Notification(
            user=user,
            event="case_status_changed",
            title=f"[CS{n:07d}] Status changed to In Progress",
            link=f"/cases/CS{n:07d}/",
            ticket_ref=f"CS{n:07d}",
        )
        for n in range(1, count + 1)
    )


def test_every_email_to_a_user_also_lands_in_their_notification_centre(
    org_user, agent, django_capture_on_commit_callbacks
):
    """§5.17: "Method: Email and portal notification" — the same events, both channels."""
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseFactory(caller=org_user)
        case = case_transition(case=case, actor=agent, name="start")
        case_comment_add(case=case, actor=agent, body="Looking into it")
        case = case_transition(case=case, actor=agent, name="resolve", notes="Done")
    emailed = list(
        OutboundMessage.objects.filter(to_email=org_user.email)
        .order_by("pk")
        .values_list("template", flat=True)
    )
    told = list(
        Notification.objects.filter(user=org_user).order_by("pk").values_list("event", flat=True)
    )
    assert (
        emailed
        == told
        == [
            "case_acknowledged",
            "case_status_changed",
            "case_comment_added",
            "case_resolved",
        ]
    )
    assert notification_unread_count_for(org_user) == 4
    latest = Notification.objects.filter(user=org_user).latest("pk")
    assert latest.title == f"[{case.number}] Your case has been resolved"
    assert latest.link == f"/cases/{case.number}/" and latest.ticket_ref == case.number


def test_opening_a_notification_marks_it_read_and_goes_to_its_link(org_user, org_client):
    """Marked read when opened."""
    first, second = _notify(org_user, 2)
    response = org_client.get(reverse("comms:notification_open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == first.link
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    read_at = first.read_at
    org_client.get(reverse("comms:notification_open", args=[first.pk]))
    first.refresh_from_db()
    assert first.read_at == read_at, "the first opening is the one recorded"
    assert notification_unread_count_for(org_user) == 1


def test_another_users_notification_cannot_be_opened(org_user, other_org_user):
    """§10.4: one user's notifications are invisible to everyone else (404, unchanged)."""
    (notification,) = _notify(org_user, 1)
    response = login_client(other_org_user).get(
        reverse("comms:notification_open", args=[notification.pk])
    )
    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_a_notification_never_redirects_off_site(org_user, org_client):
    notification = Notification.objects.create(
        user=org_user, event="case_closed", title="Closed", link="https://evil.example/phish"
    )
    response = org_client.get(reverse("comms:notification_open", args=[notification.pk]))
    assert response["Location"] == reverse("comms:notification_list")


def test_mark_all_read(org_user, org_client):
    _notify(org_user, 3)
    response = org_client.post(reverse("comms:notification_mark_all_read"), follow=True)
    assert "3 notifications marked as read" in response.text
    assert notification_unread_count_for(org_user) == 0


def test_list_page_shows_notifications_newest_first_and_paginates(org_user, org_client):
    _notify(org_user, 30)
    response = org_client.get(reverse("comms:notification_list"))
    assert response.status_code == 200
    assert "Showing 1–25 of 30 notifications" in response.text
    assert response.text.index("CS0000030") < response.text.index("CS0000029")
    assert "CS0000001" not in response.text
    page_two = org_client.get(reverse("comms:notification_list") + "?page=2")
    assert "CS0000001" in page_two.text


def test_list_page_has_an_empty_state(org_client):
    response = org_client.get(reverse("comms:notification_list"))
    assert "You have no notifications yet" in response.text


def test_list_page_needs_sign_in(client):
    response = client.get(reverse("comms:notification_list"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("size", [2, 20])
def test_list_page_query_count_is_constant(org_user, size, django_assert_num_queries):
    """docs/conventions.md §7: session, user, count, page; the nav's organisation-admin check
    and the bell's unread count come from the cache once warm (issue 9)."""
    _notify(org_user, size)
    client = login_client(org_user)
    client.get(reverse("comms:notification_list"))  # warm the session and the access cache
    with django_assert_num_queries(4):
        response = client.get(reverse("comms:notification_list"))
    assert response.status_code == 200


# --- the bell --------------------------------------------------------------------------------


def test_bell_counts_unread_with_one_query_and_none_when_not_drawn(
    org_user, django_assert_num_queries
):
    """The context processor is lazy: pages without the bell pay nothing; the bell one COUNT,
    and the next page none (the count is kept in the cache, issue 9)."""
    _notify(org_user, 3)
    notification_open(user=org_user, notification_id=Notification.objects.first().pk)
    request = RequestFactory().get("/")
    request.user = org_user
    with django_assert_num_queries(0):
        bell = bell_context(request)["notification_bell"]
    with django_assert_num_queries(1):
        assert bell.unread == 2
        assert bell.unread == 2
    with django_assert_num_queries(0):
        assert bell_context(request)["notification_bell"].unread == 2


@pytest.mark.parametrize(
    "change",
    ["a new notification", "one opened", "all marked read", "one deleted"],
)
def test_the_kept_count_follows_every_change_to_the_users_notifications(org_user, change):
    _notify(org_user, 3)
    assert notification_unread_count_for(org_user) == 3  # kept from here on
    if change == "a new notification":
        notification_deliver(
            user=org_user, event="case_status_changed", context={}, link="/", email=False
        )
        expected = 4
    elif change == "one opened":
        notification_open(user=org_user, notification_id=Notification.objects.first().pk)
        expected = 2
    elif change == "all marked read":
        notification_mark_all_read(user=org_user)
        expected = 0
    else:
        Notification.objects.first().delete()
        expected = 2
    assert notification_unread_count_for(org_user) == expected


def test_one_users_change_leaves_anothers_count_alone(org_user, other_org_user):
    _notify(org_user, 2)
    _notify(other_org_user, 1)
    assert notification_unread_count_for(other_org_user) == 1
    notification_mark_all_read(user=org_user)
    assert notification_unread_count_for(org_user) == 0
    assert notification_unread_count_for(other_org_user) == 1


def test_bell_partial_shows_the_unread_count(org_user, settings):
    """The partial the portal and console headers include."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["context_processors"].append("comms.context_processors.notifications")
    settings.TEMPLATES = templates
    _notify(org_user, 4)
    request = RequestFactory().get("/")
    request.user = org_user
    html = render_to_string("comms/_notification_bell.html", request=request)
    assert "data-unread-count>4<" in html and reverse("comms:notification_list") in html
    notification_mark_all_read(user=org_user)
    request.user = type(org_user).objects.get(pk=org_user.pk)
    html = render_to_string("comms/_notification_bell.html", request=request)
    assert "data-unread-count" not in html and "none unread" in html


def test_bell_is_zero_for_anonymous_visitors(db, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert bell_context(request)["notification_bell"].unread == 0


# --- preferences -----------------------------------------------------------------------------


def test_optional_events_can_be_switched_off_for_email_but_stay_in_the_portal(
    org_user, agent, django_capture_on_commit_callbacks
):
    """Comment emails are optional; the portal entry still appears. Status changes are always
    emailed (§10.2), so switching them off is refused and the email still goes."""
    case = CaseFactory(caller=org_user)
    notification_preference_set(user=org_user, event="case_comment_added", email_enabled=False)
    with pytest.raises(ValidationFailed, match="cannot be switched off"):
        notification_preference_set(user=org_user, event="case_status_changed", email_enabled=False)
    OutboundMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_transition(case=case, actor=agent, name="start")
        case_comment_add(case=case, actor=agent, body="An update")
        case = case_transition(
            case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER
        )
    assert list(OutboundMessage.objects.order_by("pk").values_list("template", flat=True)) == [
        "case_status_changed",
        "case_information_requested",
    ]
    assert list(
        Notification.objects.filter(user=org_user).order_by("pk").values_list("event", flat=True)
    ) == [
        "case_acknowledged",
        "case_status_changed",
        "case_comment_added",
        "case_information_requested",
    ]


@pytest.mark.parametrize(
    "event",
    [
        "case_acknowledged",
        "case_status_changed",
        "ticket_status_changed",
        "case_information_requested",
        "case_resolved",
        "case_closed",
        "account_security",
    ],
)
def test_mandatory_events_cannot_be_switched_off(org_user, event):
    """Acknowledgement (§3.1), every status update (§10.2), request for information and
    resolution (§10.2, §10.3), closure and security notices are always emailed."""
    assert EVENTS[event].mandatory
    with pytest.raises(ValidationFailed, match="cannot be switched off"):
        notification_preference_set(user=org_user, event=event, email_enabled=False)
    assert not NotificationPreference.objects.exists()


def test_a_stored_opt_out_of_a_mandatory_event_is_ignored(
    org_user, agent, django_capture_on_commit_callbacks
):
    """Even a row written behind the service's back cannot stop a resolution email."""
    NotificationPreference.objects.create(user=org_user, event="case_resolved", email_enabled=False)
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, actor=agent, name="resolve", notes="Done")
    assert OutboundMessage.objects.filter(
        template="case_resolved", to_email=org_user.email
    ).exists()


def test_participants_see_only_their_events_and_cannot_set_desk_ones(org_user, agent):
    participant_keys = {row.event.key for row in notification_preferences_for(org_user)}
    staff_keys = {row.event.key for row in notification_preferences_for(agent)}
    assert "case_caller_replied" not in participant_keys and "case_caller_replied" in staff_keys
    assert "case_comment_added" in participant_keys
    with pytest.raises(ValidationFailed):
        notification_preference_set(user=org_user, event="case_caller_replied", email_enabled=False)
    with pytest.raises(ValidationFailed):
        notification_preference_set(user=org_user, event="no_such_event", email_enabled=False)


@pytest.mark.usefixtures("portal_ticket_types")
def test_preferences_page_saves_optional_choices_and_locks_mandatory_ones(org_user, org_client):
    """Optional emails are checkboxes; the ones always sent are no choice at all: listed apart,
    each with why, in plain words (§10.2)."""
    url = reverse("comms:notification_preferences")
    page = org_client.get(url)
    assert page.status_code == 200
    assert 'name="case_comment_added"' in page.text
    assert 'name="case_resolved"' not in page.text
    assert 'name="case_status_changed"' not in page.text
    always = page.text.split('id="always-emailed"', 1)[1].split("</section>", 1)[0]
    assert "Always emailed" in always
    assert "<dt>A case&#x27;s status changes</dt>" in always
    assert EVENTS["case_status_changed"].why in always
    assert "the service desk emails you every time its status changes" in always
    # Unticking everything, and trying to switch status emails off: optional ones are saved
    # off, the status change is not a field of the form and is ignored.
    response = org_client.post(url, {"case_status_changed": ""}, follow=True)
    assert "preferences are saved" in response.text
    saved = dict(
        NotificationPreference.objects.filter(user=org_user).values_list("event", "email_enabled")
    )
    assert saved == {"case_comment_added": False, "case_resolution_reminder": False}
    response = org_client.post(url, {"case_comment_added": "on"})
    saved = dict(
        NotificationPreference.objects.filter(user=org_user).values_list("event", "email_enabled")
    )
    assert saved == {"case_comment_added": True, "case_resolution_reminder": False}


def test_every_mandatory_event_says_why_it_is_always_emailed():
    """The preferences page explains each email that cannot be switched off (issue 10)."""
    for event in EVENTS.values():
        assert bool(event.why) == event.mandatory, event.key
        assert "§" not in event.why and "§" not in event.label


def test_a_stored_opt_out_of_status_emails_is_ignored(
    org_user, agent, django_capture_on_commit_callbacks
):
    """§10.2: a status-update opt-out stored while they were optional (or written behind the
    service's back) stops neither the case's nor another ticket type's status email."""
    for event in ("case_status_changed", "ticket_status_changed"):
        NotificationPreference.objects.create(user=org_user, event=event, email_enabled=False)
    case = CaseFactory(caller=org_user)
    OutboundMessage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        case_transition(case=case, actor=agent, name="start")
    assert OutboundMessage.objects.filter(
        template="case_status_changed", to_email=org_user.email
    ).exists()
    assert {row.event.key: row.email_enabled for row in notification_preferences_for(org_user)}[
        "case_status_changed"
    ]


def test_the_migration_resets_stored_status_opt_outs(org_user):
    """Opt-outs of status emails stored while they were optional are dropped; other choices
    stay (comms migration 0008)."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("comms.migrations.0011_status_emails_always")
    for event, enabled in (
        ("case_status_changed", False),
        ("ticket_status_changed", False),
        ("case_comment_added", False),
    ):
        NotificationPreference.objects.create(user=org_user, event=event, email_enabled=enabled)
    migration.reset_status_opt_outs(apps, None)
    assert list(
        NotificationPreference.objects.filter(user=org_user).values_list("event", "email_enabled")
    ) == [("case_comment_added", False)]


def test_staff_reach_the_centre_from_the_console(agent):
    """The console bell leads to the same pages; desk events appear in their preferences."""
    client = mfa_client(agent)
    assert client.get(reverse("comms:notification_list")).status_code == 200
    page = client.get(reverse("comms:notification_preferences"))
    assert 'name="case_caller_replied"' in page.text
