"""The CAB pages in the console (§8.9, §9.4): meeting list, agenda, workbench, print, ECAB;
who may open them, decisions recorded through the workbench form, and constant query counts."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from changes.models import CabMeeting, Change
from changes.services import cab_meeting_for_day
from tests.changes.cab_helpers import awaiting_cab
from tests.changes.conftest import london
from tests.conftest import mfa_client
from tests.factories.incidents import opened_major_incident, raised_incident

THIS = date(2027, 2, 9)
MONDAY = london(2027, 2, 1, 10, 0)


@pytest.fixture
def meeting(db):
    return cab_meeting_for_day(day=THIS)


def _proposals(service_owner, change_manager, count: int) -> list[Change]:
    return [
        awaiting_cab(
            service_owner,
            change_manager,
            MONDAY,
            planned_start=london(2027, 2, 20 + index % 5, 22, 0),
            short_description=f"DIP change {index}",
        )
        for index in range(count)
    ]


@pytest.mark.django_db
def test_cab_pages_are_for_cab_members_only(meeting, cab_member, agent, org_user):
    """§8.9.7: CAB members see the CAB pages; other staff get 403, participants the sign-in."""
    member = mfa_client(cab_member)
    for name in ("list", "detail", "workbench", "print"):
        args = [] if name == "list" else [meeting.pk]
        assert member.get(reverse(f"changes_cab:{name}", args=args)).status_code == 200
    assert mfa_client(agent).get(reverse("changes_cab:list")).status_code == 403
    assert mfa_client(org_user).get(reverse("changes_cab:list")).status_code == 302
    assert member.get(reverse("changes_cab:detail", args=[99999])).status_code == 404


@pytest.mark.django_db
def test_workbench_records_a_decision_with_a_comment(
    meeting, service_owner, change_manager, cab_member
):
    """§8.9.4, §8.9.5: the member approves the change shown, with a comment; a rejection
    without one is refused next to the comment field."""
    change = _proposals(service_owner, change_manager, 1)[0]
    client = mfa_client(cab_member)
    url = reverse("changes_cab:workbench", args=[meeting.pk])
    page = client.get(url, {"change": change.number})
    assert change.implementation_plan in page.content.decode()
    refused = client.post(url, {"change": change.number, "decision": "reject", "comment": ""})
    assert refused.status_code == 200
    assert "A comment is required to reject" in refused.content.decode()
    done = client.post(url, {"change": change.number, "decision": "approve", "comment": "Fine."})
    assert done.status_code == 302
    change.refresh_from_db()
    assert change.state == Change.State.SCHEDULED


@pytest.mark.django_db
@pytest.mark.parametrize("size", [2, 20])
def test_workbench_query_count_does_not_grow_with_the_agenda(
    meeting, service_owner, change_manager, cab_member, size
):
    """§8.9.5 workbench: the same number of queries with 2 or 20 changes on the agenda."""
    changes = _proposals(service_owner, change_manager, size)
    client = mfa_client(cab_member)
    url = reverse("changes_cab:workbench", args=[meeting.pk])
    client.get(url, {"change": changes[0].number})  # warm the per-process caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"change": changes[-1].number})
    assert response.status_code == 200
    assert response.content.decode().count('href="?change=') == size
    # 1 session, 2 user, 3 meeting, 4 the queue of changes, 5 decisions taken here, 6 the
    # current change with category/requester/assignee/template, 7 its services, 8 its
    # approvals with approvers, 9 its journal, 10 conflicting changes: none per queued change.
    assert len(queries) == 10


@pytest.mark.django_db
def test_meeting_list_filters_and_counts(meeting, change_manager, cab_member):
    """§8.9: the list filters by kind; an ECAB convened from the page shows there."""
    client = mfa_client(change_manager)
    response = client.post(
        reverse("changes_cab:ecab_convene"), {"reason": "Emergency DIP rollback."}
    )
    assert response.status_code == 302
    ecab = CabMeeting.objects.get(kind=CabMeeting.Kind.ECAB)
    listed = client.get(reverse("changes_cab:list"), {"kind": "ecab"}).content.decode()
    assert f'data-meeting="{ecab.pk}"' in listed
    assert f'data-meeting="{meeting.pk}"' not in listed
    refused = client.post(reverse("changes_cab:ecab_convene"), {"reason": ""})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert (
        mfa_client(cab_member).post(reverse("changes_cab:ecab_convene"), {"reason": "x"})
    ).status_code == 200
    assert CabMeeting.objects.filter(kind=CabMeeting.Kind.ECAB).count() == 1


@pytest.mark.django_db
def test_console_lists_cab_meetings_with_links_to_their_pages(meeting, cab_member, agent):
    """§8.9: the console's CAB meetings list, filterable, linking to agenda and workbench; staff
    who are not on the CAB do not see it."""
    client = mfa_client(cab_member)
    url = reverse("admin:changes_cabmeeting_changelist")
    page = client.get(url, {"kind__exact": "cab"})
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("changes_cab:workbench", args=[meeting.pk]) in body
    assert client.get(url, {"q": "nothing like this"}).status_code == 200
    assert mfa_client(agent).get(url).status_code == 403


@pytest.mark.django_db
def test_cab_members_have_a_cab_entry_in_the_staff_nav(cab_member, agent):
    """§8.9.7: CAB members reach the CAB from the navigation; other staff do not see it."""
    link = f'href="{reverse("changes_cab:list")}"'
    assert link in mfa_client(cab_member).get(reverse("knowledge:search")).content.decode()
    assert link not in mfa_client(agent).get(reverse("knowledge:search")).content.decode()


@pytest.mark.django_db
def test_chair_records_minutes_and_an_action_then_closes_on_the_meeting_page(
    meeting, change_manager, cab_member
):
    """§8.9.6: the chair's forms on the meeting page; a refused field shows its error next to
    it; the printed pack carries the minutes and actions."""
    client = mfa_client(change_manager)
    url = reverse("changes_cab:detail", args=[meeting.pk])
    early = client.post(
        url,
        {
            "form": "action",
            "description": "Check the window",
            "owner": cab_member.pk,
            "due_on": "2027-02-01",
        },
    )
    assert early.status_code == 200
    assert "The due date cannot be before the meeting." in early.content.decode()
    refused = client.post(url, {"form": "close"})
    assert refused.status_code == 200
    assert "Record the outcome and the minutes" in refused.content.decode()
    client.post(url, {"form": "minutes", "outcome": "One approved.", "minutes": "Discussed DIP."})
    client.post(
        url,
        {
            "form": "action",
            "description": "Check the window",
            "owner": cab_member.pk,
            "due_on": "2027-02-12",
        },
    )
    assert client.post(url, {"form": "close"}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == CabMeeting.State.CLOSED
    printed = client.get(reverse("changes_cab:print", args=[meeting.pk])).content.decode()
    assert "Discussed DIP." in printed and "Check the window" in printed
    # A CAB member who is not the chair sees no chair forms.
    member_page = mfa_client(cab_member).get(url).content.decode()
    assert 'id="cab-minutes-form"' not in member_page


@pytest.mark.django_db
def test_ecab_is_convened_from_a_major_incidents_war_room(
    org_user, agent, resolver_group, incident_manager
):
    """§9.4.2, §8.9.8: "Emergency CAB ... may take place during a MIM Bridge call": the war room
    offers Convene ECAB, and the ECAB records the major incident it is for."""
    incident = raised_incident(caller=org_user, agent=agent, resolver_group=resolver_group)
    major = opened_major_incident(
        incident=incident,
        actor=agent,
        manager=incident_manager,
        public_summary="Suppliers cannot submit settlement data through the DIP.",
    )
    client = mfa_client(incident_manager)
    war_room = client.get(reverse("admin:major_incidents_majorincident_change", args=[major.pk]))
    convene = f"{reverse('changes_cab:ecab_convene')}?major_incident={major.number}"
    assert convene in war_room.content.decode()
    assert major.number in client.get(convene).content.decode()
    response = client.post(
        reverse("changes_cab:ecab_convene"),
        {"reason": "Authorise the DIP rollback.", "major_incident": major.number},
    )
    assert response.status_code == 302
    ecab = CabMeeting.objects.get(kind=CabMeeting.Kind.ECAB)
    assert ecab.major_incident == major and ecab.convened_by == incident_manager
    unknown = client.get(reverse("changes_cab:ecab_convene"), {"major_incident": "MI9999999"})
    assert unknown.status_code == 404


@pytest.mark.django_db
def test_workbench_flags_changes_whose_windows_overlap_on_a_service(
    meeting, service_owner, change_manager, cab_member
):
    """§8.9.4 "timing", §8.9.5: the workbench shows the change under review the others that
    touch its services in an overlapping planned window, naming the shared service."""
    first, second = (
        awaiting_cab(
            service_owner,
            change_manager,
            MONDAY,
            planned_start=london(2027, 2, 20, 22, 0),
            short_description=subject,
        )
        for subject in ("Patch the broker", "Resize the broker disks")
    )
    url = reverse("changes_cab:workbench", args=[meeting.pk])
    page = mfa_client(cab_member).get(url, {"change": first.number})
    assert [conflict.number for conflict in page.context["bench"].conflicts] == [second.number]
    html = page.content.decode()
    conflicts = html[html.index('id="cab-conflicts"') :]
    assert second.number in conflicts and "Resize the broker disks" in conflicts
    assert "on Data Integration Platform" in conflicts
