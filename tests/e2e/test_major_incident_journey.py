"""A major incident from proposal to problem, in a real browser (§5.5 step 3, §5.8–5.11,
§5.17–5.23, Appendix E): an agent proposes an incident as a candidate; the Major Incident
Manager promotes it on two validity criteria; the initial notification goes to the comms list
and onto the public status page and its Atom feed; an update follows; the incident is
resolved; the post-incident review appears with its milestone due times; a problem is raised
from the review."""

import re
from datetime import timedelta

from comms.lists import distribution_list_member_add
from comms.models import DistributionList, DistributionListMessage
from incidents.services import incident_work_note_add
from major_incidents.models import (
    CommsMessage,
    MajorIncident,
    MajorIncidentCandidate,
    PostIncidentReview,
)
from problems.models import Problem
from tests.e2e.browser import sign_in_with_totp
from tests.factories.cases import CaseFactory
from tests.factories.incidents import raised_incident
from tickets.models import Service

PUBLIC_TITLE = "Data Integration Platform messages delayed"
INITIAL_TEXT = "Messages through the Data Integration Platform are delayed; we are investigating."
UPDATE_TEXT = "The cause is identified; messages are flowing again for most participants."
WORK_NOTE = "dip-adaptor-7f9c OOM on node 2, heap raised"


def test_a_candidate_is_promoted_communicated_resolved_reviewed_and_a_problem_raised(
    browser, live_server, org_user, agent, incident_manager, service_manager, resolver_group
):
    base = live_server.url
    case = CaseFactory(caller=org_user, short_description="DIP messages rejected since 09:00")
    incident = raised_incident(
        caller=org_user, agent=agent, resolver_group=resolver_group, case=case
    )
    incident.services.add(Service.objects.get(code="dip"))
    incident_work_note_add(incident=incident, actor=agent, body=WORK_NOTE)
    # A participant on the Major Incident comms list (§5.21).
    distribution_list_member_add(
        distribution_list=DistributionList.objects.get(name="Major Incident comms"),
        actor=service_manager,
        user=org_user,
    )
    incident_url = f"{base}/admin/incidents/incident/{incident.pk}/change/"

    # 1. The agent proposes the incident as a major-incident candidate, with a reason.
    desk = browser.new_context().new_page()
    sign_in_with_totp(desk, base, agent.email)
    desk.goto(incident_url)
    desk.get_by_label("Why this may be a major incident").fill(
        "Every supplier's DIP messages are queued; settlement data will be late."
    )
    desk.get_by_role("button", name="Propose as major incident").click()
    desk.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    assert "awaiting the Major Incident Manager" in desk.content()
    candidate = MajorIncidentCandidate.objects.get(incident=incident)

    # 2. The Major Incident Manager finds it in the queue and promotes it on two criteria.
    manager = browser.new_context().new_page()
    sign_in_with_totp(manager, base, incident_manager.email)
    manager.goto(f"{base}/admin/major_incidents/majorincidentcandidate/")
    manager.locator(f'tr[data-candidate="{candidate.pk}"]').get_by_role(
        "link", name="Review"
    ).click()
    manager.wait_for_url(re.compile(rf"/majorincidentcandidate/{candidate.pk}/"))
    met = {
        "critical_process": "DIP message processing for settlement is stopped.",
        "downtime": "No DIP messages delivered for 40 minutes.",
    }
    for radio in manager.locator("#criteria input[type=radio][value=no]").all():
        radio.check()
    for criterion, evidence in met.items():
        manager.locator(f"input[name={criterion}][value=yes]").check()
        manager.fill(f"textarea[name={criterion}_evidence]", evidence)
    manager.fill("input[name=public_title]", PUBLIC_TITLE)
    manager.select_option("select[name=triage_lead]", value=str(agent.pk))
    manager.get_by_role("button", name="Promote to major incident").click()
    manager.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    major = MajorIncident.objects.get(incident=incident)
    incident.refresh_from_db()
    assert incident.priority == 1
    assert set(
        major.candidate.assessments.filter(met=True).values_list("criterion", flat=True)
    ) == set(met)
    assert major.next_comms_due_at <= major.promoted_at + timedelta(minutes=15)

    # 3. From the war room, the initial notification goes to the comms list and the status page.
    manager.get_by_role("link", name="Open the war room").click()
    manager.wait_for_url(re.compile(rf"/admin/major_incidents/majorincident/{major.pk}/change/"))
    manager.get_by_role("link", name="Initial notification").first.click()
    manager.get_by_label("Message").fill(INITIAL_TEXT)
    manager.get_by_label("Also publish these words on the public status page").check()
    manager.get_by_role("button", name="Send to the Major Incident comms list").click()
    manager.wait_for_url(re.compile(rf"/majorincident/{major.pk}/change/"))
    initial = CommsMessage.objects.get(major_incident=major, kind=CommsMessage.Kind.INITIAL)
    assert initial.list_message.kind == DistributionListMessage.Kind.INITIAL

    # 4. The public status page and its Atom feed show it, without signing in, and never the
    # internal notes.
    public = browser.new_context().new_page()
    public.goto(f"{base}/status/")
    page = public.content()
    assert PUBLIC_TITLE in page and INITIAL_TEXT in page
    assert WORK_NOTE not in page and case.description not in page
    feed = public.request.get(f"{base}/status/feed/")
    assert feed.ok and "application/atom+xml" in feed.headers["content-type"]
    assert INITIAL_TEXT in feed.text()

    # 5. An update follows (§5.19.1).
    manager.get_by_role("link", name="Update", exact=True).click()
    manager.get_by_label("Message").fill(UPDATE_TEXT)
    manager.get_by_role("button", name="Send to the Major Incident comms list").click()
    manager.wait_for_url(re.compile(rf"/majorincident/{major.pk}/change/"))
    assert CommsMessage.objects.filter(major_incident=major, kind=CommsMessage.Kind.UPDATE).exists()

    # 6. The incident is resolved in the console, with its notes and close code.
    manager.goto(incident_url)
    manager.locator("a.console-transition-resolve").click()
    manager.fill("textarea[name=notes]", "Message adaptor restarted with more memory.")
    manager.locator("select[name=code]").select_option(value="solved")
    manager.locator("form [type=submit].default").click()
    manager.wait_for_url(re.compile(r"/admin/incidents/incident/\d+/change/"))
    major.refresh_from_db()
    assert major.state == MajorIncident.State.RESOLVED

    # 7. The review is there, reached from the war room, with its §5.23 milestone due times.
    review = PostIncidentReview.objects.get(major_incident=major)
    manager.goto(f"{base}/admin/major_incidents/majorincident/{major.pk}/change/")
    manager.get_by_role("link", name=re.compile("Post-incident review of")).click()
    manager.wait_for_url(re.compile(rf"/postincidentreview/{review.pk}/change/"))
    milestones = manager.locator("#milestones tr[data-milestone]")
    assert milestones.count() == review.milestones.count() >= 7
    two_hours = review.milestones.get(hours_after_resolution=2)
    assert two_hours.due_at == review.resolved_at + timedelta(hours=2)
    assert manager.locator(f'tr[data-milestone="{two_hours.code}"] time').count() >= 1

    # 8. A problem is raised from the review, linked to the incident.
    manager.get_by_role("link", name="Raise a problem from this review").click()
    manager.get_by_role("button", name="Raise problem").click()
    manager.wait_for_url(re.compile(r"/admin/problems/problem/\d+/change/"))
    problem = Problem.objects.get()
    assert problem.number in manager.content()
    public.goto(f"{base}/status/")
    assert WORK_NOTE not in public.content()
