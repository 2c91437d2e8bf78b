"""Staff write to a distribution list from the console (§5.19, §5.19.1): how many it reaches
is shown first, the message goes through the outbox by the list's method, is recorded, and its
members read it in the portal. No MPAN is ever emailed (§10.5.5)."""

import pytest
from django.urls import reverse

from accounts import roles
from comms.lists import (
    MAJOR_INCIDENT_COMMS,
    distribution_list_message_send,
    distribution_list_reach,
)
from comms.models import DistributionList, DistributionListMessage, Notification, OutboundMessage
from comms.sms import LocmemSmsBackend
from core.errors import ActionNotPermitted, ValidationFailed
from tests.conftest import login_client, mfa_client
from tests.factories.accounts import UserFactory

MPAN = "1200023305967"


@pytest.fixture
def mi_list(db):
    return DistributionList.objects.get(name=MAJOR_INCIDENT_COMMS)


@pytest.fixture
def members(mi_list, org_user, sibling_user):
    mi_list.members.create(user=org_user)
    mi_list.members.create(user=sibling_user)
    mi_list.members.create(email="ops@supplier.example")
    mi_list.members.create(email="night@supplier.example")
    return mi_list


def _send(mi_list, actor, **overrides):
    values = {
        "distribution_list": mi_list,
        "actor": actor,
        "kind": "update",
        "subject": "DIP message delays",
        "body": "Messages are delayed by up to 20 minutes.\nNext update at 14:00.",
        **overrides,
    }
    return distribution_list_message_send(**values)


def test_message_is_emailed_notified_and_recorded(
    members, incident_manager, org_user, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _send(members, incident_manager)

    assert (message.emailed, message.texted, message.notified) == (4, 0, 2)
    assert message.sent_by == incident_manager and message.kind == "update"
    rows = OutboundMessage.objects.filter(template="distribution_list_message")
    assert rows.count() == 4 and len(mailoutbox) == 4
    sent = mailoutbox[0]
    assert sent.subject == "DIP message delays"
    assert "Messages are delayed by up to 20 minutes." in sent.body
    link = reverse("comms:list_message", args=[message.pk])
    assert link in sent.body
    notification = Notification.objects.get(user=org_user, event="distribution_list_update")
    assert notification.link == link
    assert "delayed" not in notification.title  # titles hold fixed words only


def test_reach_counts_each_address_once_and_leaves_out_inactive_people(
    members, sibling_user, org_user
):
    members.members.create(email=org_user.email.upper())
    sibling_user.is_active = False
    sibling_user.save()

    reach = distribution_list_reach(members)

    assert (reach.emailed, reach.texted, reach.notified) == (3, 0, 1)


def test_sms_list_texts_the_subject_and_link(
    org_user, incident_manager, settings, django_capture_on_commit_callbacks
):
    settings.SMS_BACKEND = "comms.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    sms_list = DistributionList.objects.create(
        name="On-call SMS", recipient_group="Managers", delivery_method="sms"
    )
    sms_list.members.create(user=org_user, phone="07700900001")

    with django_capture_on_commit_callbacks(execute=True):
        message = _send(sms_list, incident_manager)

    assert message.texted == 1 and message.emailed == 0
    ((to, body),) = LocmemSmsBackend.outbox
    assert to == "07700900001" and body.startswith("DIP message delays ")
    assert reverse("comms:list_message", args=[message.pk]) in body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "  "}, "subject"),
        ({"subject": "x" * 151}, "subject"),
        ({"body": ""}, "body"),
        ({"body": "x" * 5001}, "body"),
        ({"kind": "gossip"}, "kind"),
        ({"body": f"Affects MPAN {MPAN} only."}, "body"),
        ({"subject": f"Meter {MPAN}"}, "subject"),
    ],
)
def test_bad_message_is_refused_on_its_field_and_nothing_is_sent(
    members, incident_manager, overrides, field
):
    with pytest.raises(ValidationFailed) as refused:
        _send(members, incident_manager, **overrides)

    assert field in refused.value.field_errors
    assert not DistributionListMessage.objects.exists()
    assert not OutboundMessage.objects.filter(template="distribution_list_message").exists()


def test_a_list_with_nobody_or_not_in_use_is_refused(mi_list, incident_manager):
    with pytest.raises(ValidationFailed, match="nobody to send to"):
        _send(mi_list, incident_manager)
    mi_list.members.create(email="ops@supplier.example")
    mi_list.active = False
    mi_list.save()
    with pytest.raises(ValidationFailed, match="not in use"):
        _send(mi_list, incident_manager)


def test_only_staff_allowed_to_send_may_write_to_a_list(members, agent, org_user, cab_member):
    for actor in (agent, org_user, cab_member, None):
        with pytest.raises(ActionNotPermitted):
            _send(members, actor)
    assert not DistributionListMessage.objects.exists()


# --- the portal: members read the message ----------------------------------------------------


def test_members_read_the_message_in_the_portal(members, incident_manager, org_user, org_client):
    message = _send(members, incident_manager)

    response = org_client.get(reverse("comms:list_message", args=[message.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "DIP message delays" in html and "Next update at 14:00." in html


def test_people_not_on_the_list_do_not_see_it(members, incident_manager, other_org_user):
    message = _send(members, incident_manager)

    response = login_client(other_org_user).get(reverse("comms:list_message", args=[message.pk]))

    assert response.status_code == 404


# --- the console -------------------------------------------------------------------------------


@pytest.fixture
def manager_client(incident_manager):
    return mfa_client(incident_manager)


def _send_url(distribution_list):
    return reverse("admin:comms_distributionlist_send", args=[distribution_list.pk])


def test_list_page_offers_sending_to_those_allowed(members, manager_client, agent_client):
    change = reverse("admin:comms_distributionlist_change", args=[members.pk])

    assert _send_url(members) in manager_client.get(change).content.decode()
    assert _send_url(members) not in agent_client.get(change).content.decode()


def test_send_page_previews_how_many_it_reaches(members, manager_client):
    response = manager_client.get(_send_url(members))

    assert response.status_code == 200
    html = response.content.decode()
    assert "4 emails, 0 text messages and 2 portal notifications" in html


def test_console_sends_and_records_the_message(
    members, manager_client, incident_manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(
            _send_url(members),
            {"kind": "resolution", "subject": "DIP restored", "body": "All flows are normal."},
        )

    assert response.status_code == 302
    message = DistributionListMessage.objects.get()
    assert (message.subject, message.kind, message.sent_by) == (
        "DIP restored",
        "resolution",
        incident_manager,
    )
    assert OutboundMessage.objects.filter(template="distribution_list_message").count() == 4
    listing = manager_client.get(reverse("admin:comms_distributionlistmessage_changelist"))
    assert "DIP restored" in listing.content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"kind": "update", "subject": "", "body": "Words"}, "subject", "required"),
        (
            {"kind": "update", "subject": "Delay", "body": f"MPAN {MPAN} is affected"},
            "body",
            "Remove the MPAN",
        ),
    ],
)
def test_console_errors_are_shown_next_to_their_fields(
    members, manager_client, data, field, message
):
    response = manager_client.post(_send_url(members), data)

    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors)
    html = response.content.decode()
    row = html[: html.index(f'id="id_{field}"')].rsplit('<div class="form-row', 1)[1]
    assert row.startswith(" errors")
    assert not DistributionListMessage.objects.exists()


def test_console_refuses_staff_without_the_send_permission(members, agent_client):
    response = agent_client.post(
        _send_url(members), {"kind": "update", "subject": "x", "body": "y"}
    )

    assert response.status_code == 403
    assert not DistributionListMessage.objects.exists()


def test_service_manager_may_send(members):
    manager = UserFactory(email="sm@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER])
    assert _send(members, manager).emailed == 4
