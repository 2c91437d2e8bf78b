"""Distribution lists (§5.19, §5.21): asking to join or leave raises a service request, the
desk approves or rejects it, approval changes the membership; sending reaches members by the
list's delivery method."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.db import IntegrityError
from django.test import RequestFactory
from django.urls import include, path, reverse

from cases.models import Case
from comms.admin_lists import ListMembershipRequestAdmin
from comms.lists import (
    CAB_MEMBERS,
    MAJOR_INCIDENT_COMMS,
    distribution_list_approve,
    distribution_list_member_add,
    distribution_list_reject,
    distribution_list_request_membership,
    distribution_list_send,
    distribution_lists_for,
)
from comms.models import (
    DistributionList,
    DistributionListMember,
    ListMembershipRequest,
    Notification,
    OutboundMessage,
)
from comms.sms import LocmemSmsBackend
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from mhhs_portal.urls import urlpatterns as root_urlpatterns
from tests.conftest import login_client
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory

# The comms pages (and, for the console, the admin built after `comms.admin_lists` has
# registered) are routed here until the root URLconf and comms/admin.py include them. The
# first "admin" namespace wins when reversing.
urlpatterns = [
    path("admin/", admin.site.urls),
    *root_urlpatterns,
    *(
        []
        if any(getattr(p, "namespace", None) == "comms" for p in root_urlpatterns)
        else [path("", include("comms.urls"))]
    ),
]
pytestmark = pytest.mark.urls(__name__)

ADD = ListMembershipRequest.Action.ADD
REMOVE = ListMembershipRequest.Action.REMOVE


@pytest.fixture
def mi_list(db):
    return DistributionList.objects.get(name=MAJOR_INCIDENT_COMMS)


def _ask(user, distribution_list, action=ADD):
    return distribution_list_request_membership(
        actor=user, distribution_list=distribution_list, action=action
    )


def test_default_lists_exist(db):
    """§5.19, §8.9.7: the Major Incident comms list and the CAB list exist by default; only
    the first is open to requests from the portal (§5.21)."""
    lists = {dl.name: dl for dl in DistributionList.objects.all()}
    assert lists[MAJOR_INCIDENT_COMMS].open_to_requests
    assert not lists[CAB_MEMBERS].open_to_requests
    assert all(dl.active for dl in lists.values())


def test_asking_to_join_raises_a_service_request_for_triage(
    org_user, mi_list, django_capture_on_commit_callbacks, settings
):
    """§5.21: "raise a request in the Elexon Support Portal to be added" — the request is a
    service request the desk sees in its triage queue, and the requester is acknowledged."""
    with django_capture_on_commit_callbacks(execute=True):
        request = _ask(org_user, mi_list)
    assert request.state == ListMembershipRequest.State.PENDING
    case = request.case
    assert case.category.name == "MHHS Service Request" and case.category.is_service_request
    assert case.short_description == "Add me to the Major Incident comms list"
    assert case.caller == org_user and case.organisation == org_user.organisation
    assert case.state == Case.State.NEW and case.triage_outcome == ""
    sent = set(OutboundMessage.objects.values_list("template", "to_email"))
    assert sent == {
        ("case_acknowledged", org_user.email),
        ("case_new_alert", settings.SERVICE_MANAGEMENT_EMAIL),
    }
    assert not DistributionListMember.objects.filter(user=org_user).exists()


def test_approval_adds_the_member_and_resolves_the_service_request(
    org_user, agent, mi_list, django_capture_on_commit_callbacks
):
    """§5.21: an agent approves; the requester is on the list and the case is resolved with
    notes, so they are invited to confirm it (§10.3)."""
    request = _ask(org_user, mi_list)
    with django_capture_on_commit_callbacks(execute=True):
        decided = distribution_list_approve(membership_request=request, actor=agent)
    assert decided.state == ListMembershipRequest.State.APPROVED
    assert decided.decided_by == agent and decided.decided_at is not None
    assert mi_list.members.filter(user=org_user).exists()
    case = Case.objects.get(pk=request.case_id)
    assert case.state == Case.State.RESOLVED
    assert case.triage_outcome == Case.TriageOutcome.REQUEST
    assert case.request_type == Case.RequestType.STANDARD
    assert "added to the Major Incident comms list" in case.resolution_notes
    assert OutboundMessage.objects.filter(
        template="case_resolved", to_email=org_user.email
    ).exists()
    row = distribution_lists_for(org_user).get(pk=mi_list.pk)
    assert row.is_member and row.pending_action is None


def test_rejection_leaves_membership_unchanged_and_gives_the_reason(org_user, agent, mi_list):
    """§5.21: a rejected request changes nothing; the requester reads why on the case."""
    request = _ask(org_user, mi_list)
    with pytest.raises(ValidationFailed):
        distribution_list_reject(membership_request=request, actor=agent, reason="  ")
    decided = distribution_list_reject(
        membership_request=request, actor=agent, reason="Use your organisation's shared mailbox"
    )
    assert decided.state == ListMembershipRequest.State.REJECTED
    assert not mi_list.members.filter(user=org_user).exists()
    case = Case.objects.get(pk=request.case_id)
    assert case.state == Case.State.RESOLVED
    assert "shared mailbox" in case.resolution_notes and "not approved" in case.resolution_notes


def test_asking_to_leave_removes_the_member_once_approved(org_user, agent, mi_list, settings):
    """§5.21: "the process is the same to be removed from the list"."""
    DistributionListMember.objects.create(distribution_list=mi_list, user=org_user)
    DistributionListMember.objects.create(distribution_list=mi_list, email=org_user.email.upper())
    request = _ask(org_user, mi_list, REMOVE)
    assert request.case.short_description == "Remove me from the Major Incident comms list"
    distribution_list_approve(membership_request=request, actor=agent)
    assert not mi_list.members.filter(user=org_user).exists()
    assert not mi_list.members.filter(email__iexact=org_user.email).exists()


def test_an_approval_works_on_a_case_already_triaged(org_user, agent, mi_list):
    """The desk may have triaged the request first; approval still resolves it."""
    from cases.services import case_convert_to_request

    request = _ask(org_user, mi_list)
    case_convert_to_request(case=request.case, actor=agent, request_type=Case.RequestType.STANDARD)
    distribution_list_approve(membership_request=request, actor=agent)
    assert Case.objects.get(pk=request.case_id).state == Case.State.RESOLVED


def test_only_the_desk_can_decide(org_user, other_org_user, resolver, mi_list):
    """§5.21: approval is the desk's; a participant or a resolver is refused, nothing changes."""
    request = _ask(org_user, mi_list)
    for outsider in (org_user, other_org_user, resolver):
        with pytest.raises(ActionNotPermitted):
            distribution_list_approve(membership_request=request, actor=outsider)
        with pytest.raises(ActionNotPermitted):
            distribution_list_reject(membership_request=request, actor=outsider, reason="no")
    request.refresh_from_db()
    assert request.state == ListMembershipRequest.State.PENDING
    assert not mi_list.members.exists()


def test_a_decided_request_cannot_be_decided_again(org_user, agent, mi_list):
    request = _ask(org_user, mi_list)
    distribution_list_approve(membership_request=request, actor=agent)
    with pytest.raises(TransitionNotAllowed, match="already approved"):
        distribution_list_reject(membership_request=request, actor=agent, reason="changed mind")


@pytest.mark.parametrize(
    ("situation", "error"),
    [
        ("already_member", ValidationFailed),
        ("not_member_leaving", ValidationFailed),
        ("pending", ValidationFailed),
        ("closed_list", ActionNotPermitted),
        ("unattached", ActionNotPermitted),
        ("bad_action", ValidationFailed),
    ],
)
def test_requests_that_make_no_sense_are_refused_plainly(org_user, mi_list, situation, error):
    """§5.21: one waiting request per list; you join lists you are not on and leave ones you are."""
    user, distribution_list, action = org_user, mi_list, ADD
    if situation == "already_member":
        DistributionListMember.objects.create(distribution_list=mi_list, user=org_user)
    elif situation == "not_member_leaving":
        action = REMOVE
    elif situation == "pending":
        _ask(org_user, mi_list)
    elif situation == "closed_list":
        distribution_list = DistributionList.objects.get(name=CAB_MEMBERS)
    elif situation == "unattached":
        user = UserFactory(email="new.joiner@example.com")
    elif situation == "bad_action":
        action = "promote"
    before = Case.objects.count()
    with pytest.raises(error):
        distribution_list_request_membership(
            actor=user, distribution_list=distribution_list, action=action
        )
    assert Case.objects.count() == before


def test_a_member_is_a_user_or_an_address_never_both(mi_list, org_user):
    """§5.19: the database holds the rule, whatever writes the row."""
    with pytest.raises(IntegrityError):
        DistributionListMember.objects.create(
            distribution_list=mi_list, user=org_user, email="x@example.com"
        )


def test_a_member_needs_a_user_or_an_address(mi_list):
    with pytest.raises(IntegrityError):
        DistributionListMember.objects.create(distribution_list=mi_list)


# --- the portal page -------------------------------------------------------------------------


def test_lists_page_shows_open_lists_and_where_requests_stand(org_user, org_client, mi_list):
    """§5.21: a service user sees the lists they can join, and their waiting request."""
    response = org_client.get(reverse("comms:list_index"))
    assert response.status_code == 200
    assert MAJOR_INCIDENT_COMMS in response.text and CAB_MEMBERS not in response.text
    assert 'value="add"' in response.text
    _ask(org_user, mi_list)
    response = org_client.get(reverse("comms:list_index"))
    assert "Asked to join" in response.text and 'value="add"' not in response.text


def test_asking_from_the_page_raises_the_request(org_user, org_client, mi_list):
    response = org_client.post(
        reverse("comms:list_request", args=[mi_list.pk]), {"action": "add"}, follow=True
    )
    request = ListMembershipRequest.objects.get(requester=org_user)
    assert request.case.number in response.text
    assert request.state == ListMembershipRequest.State.PENDING


def test_asking_from_the_page_with_bad_input_explains(org_user, org_client, mi_list):
    response = org_client.post(
        reverse("comms:list_request", args=[mi_list.pk]), {"action": "promote"}, follow=True
    )
    assert "Choose whether to join or leave" in response.text
    assert not ListMembershipRequest.objects.exists()


def test_a_list_closed_to_requests_cannot_be_asked_for(org_client):
    cab = DistributionList.objects.get(name=CAB_MEMBERS)
    response = org_client.post(reverse("comms:list_request", args=[cab.pk]), {"action": "add"})
    assert response.status_code == 404
    assert not ListMembershipRequest.objects.exists()


def test_lists_page_needs_sign_in(client):
    response = client.get(reverse("comms:list_index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_lists_page_query_count_is_constant(org_user, django_assert_num_queries):
    """docs/conventions.md §7: session, user, the annotated lists; the nav's organisation-admin
    check and the bell's unread count come from the cache once warm (issue 9)."""
    for n in range(3):
        DistributionList.objects.create(name=f"Extra list {n}", recipient_group="All")
    client = login_client(org_user)
    client.get(reverse("comms:list_index"))  # warm the session and the access cache
    with django_assert_num_queries(3):
        client.get(reverse("comms:list_index"))
    for n in range(3, 20):
        DistributionList.objects.create(name=f"Extra list {n}", recipient_group="All")
    with django_assert_num_queries(3):
        client.get(reverse("comms:list_index"))


# --- the console actions ---------------------------------------------------------------------


def _admin_request(user, data=None):
    request = RequestFactory().post("/admin/comms/listmembershiprequest/", data or {})
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_console_approve_action_calls_the_service(org_user, agent, mi_list):
    """§5.21: the agent approves in the console; refusals come back as messages."""
    _ask(org_user, mi_list)
    model_admin = ListMembershipRequestAdmin(ListMembershipRequest, admin.site)
    assert model_admin.has_view_permission(_admin_request(agent))
    model_admin.approve_selected(_admin_request(agent), ListMembershipRequest.objects.all())
    assert mi_list.members.filter(user=org_user).exists()
    http = _admin_request(agent)
    model_admin.approve_selected(http, ListMembershipRequest.objects.all())
    assert any("already approved" in str(m) for m in http._messages)


def test_console_reject_action_asks_for_a_reason(org_user, agent, mi_list):
    request = _ask(org_user, mi_list)
    model_admin = ListMembershipRequestAdmin(ListMembershipRequest, admin.site)
    queryset = ListMembershipRequest.objects.all()
    page = model_admin.reject_selected(_admin_request(agent), queryset)
    assert page.status_code == 200 and "reason" in page.rendered_content
    model_admin.reject_selected(
        _admin_request(agent, {"apply": "1", "reason": "Duplicate of your colleague's"}), queryset
    )
    request.refresh_from_db()
    assert request.state == ListMembershipRequest.State.REJECTED


@pytest.mark.parametrize("size", [2, 20])
def test_console_request_queue_query_count_is_constant(
    size, org, mi_list, agent_client, django_assert_num_queries
):
    """docs/conventions.md §7: session, user (TOTP from the access cache), the list
    filter's choices, the count, the page with requester, list, case and decider joined
    (permissions and the bell's unread count from the cache)."""
    for n in range(size):
        requester = UserFactory(email=f"requester{n}@example.com", organisation=org)
        _ask(requester, mi_list)
    url = reverse("admin:comms_listmembershiprequest_changelist")
    agent_client.get(url)
    with django_assert_num_queries(5):
        response = agent_client.get(url)
    assert response.status_code == 200 and "Approve selected requests" in response.text


def test_console_hides_requests_from_participants(org_user):
    model_admin = ListMembershipRequestAdmin(ListMembershipRequest, admin.site)
    assert not model_admin.has_view_permission(_admin_request(org_user))


# --- sending ---------------------------------------------------------------------------------


@pytest.fixture
def sender(incident_manager):
    incident_manager.user_permissions.add(Permission.objects.get(codename="send_distributionlist"))
    return type(incident_manager).objects.get(pk=incident_manager.pk)


def test_email_list_reaches_users_and_plain_addresses(
    org_user, sibling_user, sender, mi_list, django_capture_on_commit_callbacks, mailoutbox
):
    """§5.19: members are users or plain addresses; users also see it in the portal."""
    mi_list.members.create(user=org_user)
    mi_list.members.create(user=sibling_user)
    mi_list.members.create(email="ops@supplier.example")
    case = CaseFactory(caller=org_user)
    OutboundMessage.objects.all().delete()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = distribution_list_send(
            distribution_list=mi_list, actor=sender, kind="initial", ticket=case
        )
    assert (result.emailed, result.notified, result.texted) == (3, 2, 0)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [org_user.email, sibling_user.email, "ops@supplier.example"]
    )
    assert all(case.number in m.subject and "Initial notification" in m.subject for m in mailoutbox)
    assert set(
        Notification.objects.filter(event="distribution_list_update").values_list(
            "user__email", flat=True
        )
    ) == {org_user.email, sibling_user.email}


def test_portal_list_notifies_users_and_emails_only_plain_addresses(
    org_user, sender, django_capture_on_commit_callbacks
):
    """§5.19 "Communication Methods": a portal list puts it in the notification centre."""
    portal_list = DistributionList.objects.create(
        name="Portal list", recipient_group="All", delivery_method="portal"
    )
    portal_list.members.create(user=org_user)
    portal_list.members.create(email="ops@supplier.example")
    with django_capture_on_commit_callbacks(execute=True):
        result = distribution_list_send(distribution_list=portal_list, actor=sender, kind="update")
    assert (result.emailed, result.notified) == (1, 1)
    assert list(OutboundMessage.objects.values_list("to_email", flat=True)) == [
        "ops@supplier.example"
    ]
    assert Notification.objects.get(user=org_user).event == "distribution_list_update"


def test_sms_list_texts_after_commit_through_the_backend(
    org_user, sibling_user, sender, settings, django_capture_on_commit_callbacks
):
    """§5.19: SMS goes through the pluggable backend; a member without a number is emailed."""
    settings.SMS_BACKEND = "comms.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    sms_list = DistributionList.objects.create(
        name="On-call SMS", recipient_group="Incident managers", delivery_method="sms"
    )
    sms_list.members.create(user=org_user, phone="07700900001")
    sms_list.members.create(user=sibling_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = distribution_list_send(distribution_list=sms_list, actor=sender, kind="escalation")
    assert LocmemSmsBackend.outbox == [], "nothing is texted before commit"
    for callback in callbacks:
        callback()
    assert [to for to, _body in LocmemSmsBackend.outbox] == ["07700900001"]
    assert "Escalation notification" in LocmemSmsBackend.outbox[0][1]
    assert (result.texted, result.emailed, result.notified) == (1, 1, 2)
    assert list(OutboundMessage.objects.values_list("to_email", flat=True)) == [sibling_user.email]


def test_only_permitted_staff_send_to_lists(org_user, cab_member, mi_list):
    """Sending is for the Major Incident Manager and service managers (§5.11 step 8)."""
    for actor in (org_user, cab_member):
        with pytest.raises(ActionNotPermitted):
            distribution_list_send(distribution_list=mi_list, actor=actor, kind="update")


def test_list_owners_add_members_through_the_service(org_user, agent, mi_list, db):
    """§5.19 "Managing the Distribution List": only list managers change members directly."""
    with pytest.raises(ActionNotPermitted):
        distribution_list_member_add(distribution_list=mi_list, actor=agent, user=org_user)
    manager = UserFactory(email="sm@mhhs.example", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="change_distributionlist"))
    manager = type(manager).objects.get(pk=manager.pk)
    with pytest.raises(ValidationFailed):
        distribution_list_member_add(distribution_list=mi_list, actor=manager)
    member = distribution_list_member_add(
        distribution_list=mi_list, actor=manager, email=" Ops@Supplier.Example "
    )
    assert member.email == "ops@supplier.example" and member.user is None
