"""No email can carry an MPAN, whatever a user typed (§10.5.5).

Every template under comms/templates/comms/email is rendered through the real notification
functions with an MPAN (valid check digit; contiguous, grouped and 21-digit forms) planted in
every field a user can type. None may appear in any message or portal notification. Where
reference data the templates do show (a desk's name, a resolver group's name, a list's
name) holds one, the outbox refuses the message and records why. The form and API fields
meant for MPANs are tested at the end.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django import forms
from django.urls import include, path
from django.utils import timezone
from rest_framework import serializers

import comms
from accounts import roles
from accounts.models import ServiceDesk
from accounts.services import (
    registration_approve,
    registration_refuse,
    registration_request_create,
)
from cases.models import Case, ReopenRequest
from cases.reopening import reopen_request_raise_case, reopen_request_reopen
from cases.services import (
    case_comment_add,
    case_create,
    case_raise_incident,
    case_reject_resolution,
    case_reroute,
    case_transition,
)
from changes.models import ChangeReport
from changes.services import (
    cab_action_add,
    cab_meeting_for_day,
    cab_meeting_record_minutes,
    cab_meeting_send,
    change_report_subscription_add,
    change_reports_issue,
)
from comms import notifications
from comms.centre import SAFE_TITLE
from comms.lists import (
    MAJOR_INCIDENT_COMMS,
    distribution_list_member_add,
    distribution_list_message_send,
    distribution_list_send,
)
from comms.models import DistributionList, Notification, OutboundMessage
from comms.mpan import contains_mpan, find_mpans
from comms.mpan_fields import MpanFormField, MpanSerializerField
from comms.services import outbound_message_queue
from incidents.services import (
    incident_assign,
    incident_classify,
    incident_engage,
    incident_transition,
)
from knowledge.reviews import article_review_reminders_send
from knowledge.services import (
    article_approve,
    article_create,
    article_governance_set,
    article_reject,
    article_submit,
)
from major_incidents.models import PostIncidentReview, ValidityCriterion
from major_incidents.promotion import candidate_accept, candidate_propose, candidate_reject
from major_incidents.reminders import comms_reminders_sweep
from major_incidents.reviews import review_action_add, review_milestone_remind_due
from mhhs_portal.urls import urlpatterns as root_urlpatterns
from problems.services import problem_progress_update_add, problem_raise_from_incident
from tests.changes.cab_helpers import awaiting_cab
from tests.changes.conftest import london
from tests.changes.schedule_support import scheduled_now
from tests.factories.accounts import OrganisationFactory, ResolverGroupFactory, UserFactory
from tests.factories.cases import category
from tests.factories.incidents import opened_major_incident
from tickets.models import Service

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

EMAIL_DIR = Path(comms.__file__).parent / "templates" / "comms" / "email"
EMAIL_TEMPLATES = sorted(
    path.name.removesuffix(".subject.txt") for path in EMAIL_DIR.glob("*.subject.txt")
)
CORE = "1234567890126"
MPAN_FORMS = [
    CORE,
    "12 3456 7890 126",
    "1234-5678-9012-6",
    "01 801 100 1234567890126",
    "S 01 801 100 12 3456 7890 126",
]


def test_the_planted_values_are_mpans():
    """The test data itself: every planted form is read as the same valid core."""
    for written in MPAN_FORMS:
        assert find_mpans(f"meter {written} is stuck") == [CORE]


def _assert_clean(messages, notices):
    assert messages, "nothing was rendered"
    for message in messages:
        assert message.status != OutboundMessage.Status.REFUSED, (
            message.template,
            message.last_error,
        )
        assert not contains_mpan(message.subject, message.body_text, message.body_html), (
            message.template
        )
    for notice in notices:
        assert not contains_mpan(notice.title, notice.link), notice.event


def _drive_every_template(*, mpan, caller, agent, resolver, groups, django_capture):
    """Run every notification the portal sends, with `mpan` in everything a user typed."""
    typed = f"Meter {mpan} stopped; MPAN {mpan}"
    url = f"https://portal.example.com/meters/{CORE}?mpan={CORE}"
    first_group, second_group = groups

    def raise_case(**overrides):
        fields = {
            "actor": caller,
            "organisation": caller.organisation,
            "category": category(),
            "short_description": typed[:160],
            "description": typed,
            "party_id": CORE,
            "unregistered_organisation_name": f"Trading as {mpan}",
            "market_participant_id": CORE,
            # A choice now (§3.2), so no MPAN can be typed into it; the free-text name of the
            # person asking can hold one (§11.2.1, §14.2).
            "cra_market_role": "supplier",
            "requested_by": f"On behalf of meter {mpan}",
            "related_url": url,
        }
        fields.update(overrides)
        return case_create(**fields)

    with django_capture(execute=True):
        case = raise_case()
        case_comment_add(case=case, actor=agent, body=typed)
        case = case_transition(case=case, actor=agent, name="start", note=typed)
        case = case_transition(
            case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER, note=typed
        )
        case_comment_add(case=case, actor=caller, body=typed)
        case.refresh_from_db()
        case = case_transition(case=case, actor=agent, name="resolve", notes=typed)
        notifications.case_resolution_reminder(case, 1)
        case = case_reject_resolution(case=case, actor=caller, reason=typed)
        case = case_transition(case=case, actor=agent, name="resolve", notes=typed)
        case = case_transition(case=case, actor=caller, name="close")
        # §10.3: words on a Closed case ask to reopen it; the desk reopens it, then answers a
        # second request with a new linked case.
        case_comment_add(case=case, actor=caller, body=typed)
        case = reopen_request_reopen(request=ReopenRequest.objects.get(case=case), actor=agent)
        case = case_transition(case=case, actor=agent, name="resolve", notes=typed)
        case = case_transition(case=case, actor=caller, name="close")
        case_comment_add(case=case, actor=caller, body=typed)
        reopen_request_raise_case(
            request=ReopenRequest.objects.get(case=case, status=ReopenRequest.Status.PENDING),
            actor=agent,
        )

        rerouted = raise_case(no_party_id=True, party_id="")
        case_reroute(case=rerouted, actor=agent, desk=ServiceDesk.objects.first(), note=typed)

        source = raise_case()
        notifications.triage_overdue(source, 15)
        incident = case_raise_incident(
            case=source, actor=agent, assignment_group=first_group, impact=2, urgency=2
        )
        incident = incident_assign(
            incident=incident, actor=agent, assignment_group=second_group, assigned_to=resolver
        )
        notifications.incident_reassigned(incident, first_group)
        # §5.17: a product owner engaged is told, and a new priority is announced to the
        # group and the product owners; notes and contacts people typed are never sent.
        incident_engage(
            incident=incident, actor=agent, role="product_owner", person=resolver, note=typed
        )
        incident_engage(
            incident=incident,
            actor=agent,
            role="service_user_support",
            contact_name=typed,
            contact_details=typed,
        )
        incident = incident_classify(incident=incident, actor=agent, impact=1, urgency=1)
        # The resolution, typed by a resolver, is proposed to the desk (Appendix G).
        incident = incident_transition(incident=incident, actor=agent, name="start")
        # A major incident over it: resolving opens its post-incident review (§5.23).
        major = opened_major_incident(
            incident=incident, actor=agent, manager=resolver, title=typed[:160]
        )
        # Its comms fall due and then late (§5.19.1): the manager and the desk leads are told.
        UserFactory(email="lead@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER])
        comms_reminders_sweep(now=timezone.now() + timedelta(hours=2))
        incident = incident_transition(
            incident=incident, actor=agent, name="resolve", notes=typed, code="solved"
        )
        review_milestone_remind_due(now=timezone.now() + timedelta(days=30))
        notifications.ticket_assigned_to_person(incident)
        # A problem raised from it, with the incident's words (§5.5 step 17).
        problem = problem_raise_from_incident(incident=incident, actor=agent, root_cause=typed)
        # A problem manager's progress update tells the agent who raised it (§6.4 step 7).
        problem_progress_update_add(
            problem=problem,
            actor=UserFactory(
                email="pm@mhhs.example", is_staff=True, roles=[roles.PROBLEM_MANAGER]
            ),
            body=typed,
        )
        deadline = timezone.now() + timedelta(minutes=30)
        notifications.sla_at_risk(incident, "Resolution", deadline)
        notifications.sla_breached(incident, "Resolution", deadline)
        notifications.report_update_due(source, due_at=deadline)
        notifications.account_security_notice(caller, change="an authenticator app was added")

        # Registrations (§10.1): names, the organisation not listed and the refusal's reason
        # are typed by people.
        for n, decide in enumerate(("approve", "refuse")):
            person = UserFactory(email=f"reg{n}@example.com")
            TOTP.activate(person, "JBSWY3DPEHPK3PXP")
            registration = registration_request_create(
                user=person,
                full_name=f"Reg {mpan}",
                organisation=None,
                organisation_name=f"Meters {mpan} Ltd",
            )
            if decide == "approve":
                registration_approve(
                    registration=registration, actor=agent, organisation=caller.organisation
                )
            else:
                registration_refuse(registration=registration, actor=agent, reason=typed)

        # The defaults for a ticket type that declares no notifications, on the real types:
        # participant-visible (a case) and staff-only (an incident).
        notifications.ticket_raised(case)
        notifications.ticket_raised(incident)
        notifications.ticket_status_changed(case, old_state=Case.State.RESOLVED)
        notifications.ticket_status_changed(incident, old_state=Case.State.ON_HOLD)
        notifications.ticket_comment_added(case, by_desk=True, author=agent)
        notifications.ticket_comment_added(case, by_desk=False, author=caller)

        # Major-incident promotion (§5.11 steps 3–7): reasons, evidence and titles are typed.
        manager = UserFactory(
            email="mia.manager@mhhs.example",
            full_name=f"Manager {mpan}",
            is_staff=True,
            roles=[roles.INCIDENT_MANAGER],
        )
        for decision in ("accept", "reject"):
            open_incident = case_raise_incident(
                case=raise_case(), actor=agent, assignment_group=first_group, impact=2, urgency=2
            )
            candidate = candidate_propose(incident=open_incident, actor=agent, reason=typed)
            if decision == "reject":
                candidate_reject(candidate=candidate, actor=manager, reason=typed)
                continue
            candidate_accept(
                candidate=candidate,
                actor=manager,
                assessments={
                    c.value: {"met": c == ValidityCriterion.DOWNTIME, "evidence": typed}
                    for c in ValidityCriterion
                },
                manager=manager,
                triage_lead=agent,
                public_title=typed[:160],
                services=list(Service.objects.filter(code="dip")),
                service_status="major_outage",
                note=typed,
            )

        mi_list = DistributionList.objects.get(name=MAJOR_INCIDENT_COMMS)
        mi_list.members.create(user=caller)
        mi_list.members.create(email="plain.address@example.com")
        distribution_list_send(
            distribution_list=mi_list, actor=None, kind="update", ticket=incident
        )
        sender = UserFactory(
            email="ivy.incident@mhhs.example", is_staff=True, roles=[roles.INCIDENT_MANAGER]
        )
        distribution_list_message_send(
            distribution_list=mi_list,
            actor=sender,
            kind="resolution",
            subject="DIP service restored",
            body="Messages are flowing again; no action is needed.",
        )
        review_action_add(
            review=PostIncidentReview.objects.get(major_incident=major),
            actor=sender,
            owner=resolver,
            action=typed,
            due_on=timezone.localdate() + timedelta(days=7),
        )

        # Knowledge (§11, §12): titles, texts, change summaries and comments are typed.
        knowledge_manager = UserFactory(
            email="kim.knowledge@mhhs.example", is_staff=True, roles=[roles.KNOWLEDGE_MANAGER]
        )
        article = article_create(
            actor=agent, title=typed[:200], body=typed, change_summary=typed, summary=typed[:300]
        )
        article_governance_set(
            actor=knowledge_manager,
            article=article,
            is_controlled_document=True,
            approvers=[knowledge_manager],
        )
        version = article_submit(actor=agent, version=article.versions.get())
        article_reject(actor=knowledge_manager, version=version, comment=typed)
        article_submit(actor=agent, version=version)
        article_approve(actor=knowledge_manager, version=version, comment=typed)
        article_review_reminders_send(today=timezone.localdate() + timedelta(days=80))
        article_review_reminders_send(today=timezone.localdate() + timedelta(days=120))

        # The Monday change reports (§8.10): a change's subject and reason are typed; the
        # emailed issue of both reports leaves them to the portal.
        reports_manager = UserFactory(
            email="cora.reports@mhhs.example", is_staff=True, roles=[roles.CHANGE_MANAGER]
        )
        planned = timezone.localtime(timezone.now() + timedelta(days=21)).replace(
            hour=22, minute=0, second=0, microsecond=0
        )
        scheduled_now(
            reports_manager,
            reports_manager,
            short_description=typed[:160],
            description=typed,
            reason=typed,
            planned_start=planned,
        )
        for report in ChangeReport.values:
            change_report_subscription_add(
                actor=reports_manager, report=report, email="cab.member@example.com"
            )
        monday = planned.date() - timedelta(days=planned.weekday())
        change_reports_issue(week_of=monday)
        change_reports_issue(week_of=monday + timedelta(days=7))

        # The CAB pack (§8.9.6): the agenda lists typed change subjects, the minutes, outcome and
        # actions are typed by the chair; the email carries headings, counts and numbers only.
        cab_chair = UserFactory(
            email="cora.chair@mhhs.example", is_staff=True, roles=[roles.CHANGE_MANAGER]
        )
        awaiting_cab(
            cab_chair,
            cab_chair,
            london(2027, 2, 1, 10, 0),
            short_description=typed[:160],
            description=typed,
            reason=typed,
            planned_start=london(2027, 2, 20, 22, 0),
        )
        cab = cab_meeting_for_day(day=london(2027, 2, 9, 12, 0).date())
        cab_list = DistributionList.objects.get(name="CAB members")
        lists_manager = UserFactory(
            email="lena.lists@mhhs.example", is_staff=True, roles=[roles.SERVICE_MANAGER]
        )
        distribution_list_member_add(distribution_list=cab_list, actor=lists_manager, user=resolver)
        cab_meeting_send(meeting=cab, actor=cab_chair, what="agenda")
        cab = cab_meeting_record_minutes(meeting=cab, actor=cab_chair, outcome=typed, minutes=typed)
        cab_action_add(
            meeting=cab,
            actor=cab_chair,
            description=typed,
            owner=agent,
            due_on=london(2027, 2, 16, 12, 0).date(),
        )
        cab_meeting_send(meeting=cab, actor=cab_chair, what="minutes")


@pytest.fixture
def planted_people(parent_org, agent):
    """People and organisations whose names are typed by users; filled per MPAN form."""

    def build(mpan):
        org = OrganisationFactory(name=f"Supplier {mpan} Ltd", parent=parent_org, party_id=CORE)
        caller = UserFactory(
            email="meter.reader@example.com",
            full_name=f"Reader {mpan}",
            phone=mpan,
            organisation=org,
            roles=[roles.SERVICE_USER],
        )
        resolver = UserFactory(
            email="res.olver@mhhs.example",
            full_name=f"Resolver {mpan}",
            is_staff=True,
            roles=[roles.RESOLVER],
        )
        agent.full_name = f"Agent {mpan}"
        agent.save()
        groups = (
            ResolverGroupFactory(name="DIP Technical Support", email="dip@mhhs.example"),
            ResolverGroupFactory(name="Settlement Resolvers", email="", members=[resolver]),
        )
        return caller, resolver, groups

    return build


@pytest.mark.parametrize("mpan", MPAN_FORMS)
def test_no_template_emails_an_mpan_a_user_typed(
    mpan, planted_people, agent, django_capture_on_commit_callbacks, mailoutbox
):
    """§10.5.5: subject, description, comments, notes, names, organisation, party ID, URL —
    none reaches any email or notification, in any written form of the MPAN."""
    caller, resolver, groups = planted_people(mpan)
    _drive_every_template(
        mpan=mpan,
        caller=caller,
        agent=agent,
        resolver=resolver,
        groups=groups,
        django_capture=django_capture_on_commit_callbacks,
    )
    messages = list(OutboundMessage.objects.all())
    assert sorted({m.template for m in messages}) == EMAIL_TEMPLATES, "every template rendered"
    _assert_clean(messages, Notification.objects.all())
    assert len(mailoutbox) == len(messages)
    for sent in mailoutbox:
        bodies = [sent.subject, sent.body, *(alt[0] for alt in sent.alternatives)]
        assert not contains_mpan(*bodies)


@pytest.mark.parametrize("mpan", [CORE, "01 801 100 12 3456 7890 126"])
def test_reference_data_holding_an_mpan_is_refused_by_the_outbox(
    mpan, org_user, agent, django_capture_on_commit_callbacks, mailoutbox
):
    """§10.5.5: where a template does show reference data (a desk, a resolver group, a
    list), an MPAN in it makes the outbox refuse the message, record why and never send it;
    the portal notification gets a neutral title."""
    desk = ServiceDesk.objects.create(
        name=f"Meter desk {mpan}", owner="Owner", query_types="Meters", phone=mpan
    )
    group = ResolverGroupFactory(name=f"Resolvers {mpan}", email="grp@mhhs.example")
    mi_list = DistributionList.objects.create(name=f"List {mpan}", recipient_group="All")
    mi_list.members.create(user=org_user)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_create(
            actor=org_user,
            organisation=org_user.organisation,
            category=category(),
            short_description="Meter stuck",
            description="Meter stuck",
            party_id="NPSU",
        )
        case_reroute(case=case, actor=agent, desk=desk)
        other = case_create(
            actor=org_user,
            organisation=org_user.organisation,
            category=category(),
            short_description="Meter stuck",
            description="Meter stuck",
            party_id="NPSU",
        )
        case_raise_incident(case=other, actor=agent, assignment_group=group, impact=3, urgency=3)
        distribution_list_send(distribution_list=mi_list, actor=None, kind="initial")
    refused = OutboundMessage.objects.filter(status=OutboundMessage.Status.REFUSED)
    assert sorted(refused.values_list("template", flat=True)) == [
        "case_rerouted",
        "distribution_list_update",
        "incident_assigned",
    ]
    for message in refused:
        assert "MPAN" in message.last_error and "must never be emailed" in message.last_error
    for sent in mailoutbox:
        assert not contains_mpan(sent.subject, sent.body)
    assert refused.count() + len(mailoutbox) == OutboundMessage.objects.count()
    titles = Notification.objects.filter(event__in=["case_rerouted", "distribution_list_update"])
    assert {n.title for n in titles} == {SAFE_TITLE}


def _hostile_context(mpan: str) -> dict:
    """Every variable any email template uses, each holding an MPAN."""
    return {
        "number": mpan,
        "status": mpan,
        "old_status": mpan,
        "link": f"https://portal.example.com/{mpan}",
        "group": mpan,
        "old_group": mpan,
        "desk_name": mpan,
        "desk_contacts": [mpan],
        "days_left": mpan,
        "minutes": mpan,
        "due": mpan,
        "subject": mpan,
        "body": mpan,
        "directory_link": f"https://portal.example.com/{mpan}",
        "target": mpan,
        "deadline": mpan,
        "kind": mpan,
        "ticket_kind": mpan,
        "list_name": mpan,
        "change": mpan,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
@pytest.mark.parametrize("mpan", MPAN_FORMS)
def test_outbox_refuses_any_template_that_would_carry_an_mpan(template, mpan, mailoutbox):
    """§10.5.5: the outbox is the last line — any template with an MPAN in its output is
    stored as refused, with the reason, and never delivered."""
    message = outbound_message_queue(
        template=template, to_email="x@example.com", context=_hostile_context(mpan)
    )
    assert message.status == OutboundMessage.Status.REFUSED, template
    assert "MPAN" in message.last_error
    assert mailoutbox == []


# --- the second half of the guard: fields meant for MPANs ------------------------------------


class MeterForm(forms.Form):
    mpan = MpanFormField()
    second_mpan = MpanFormField(required=False)


class MeterSerializer(serializers.Serializer):
    mpan = MpanSerializerField()
    second_mpan = MpanSerializerField(required=False, allow_blank=True)


@pytest.mark.parametrize(
    ("written", "digits"),
    [
        (CORE, CORE),
        ("12 3456 7890 126", CORE),
        ("1234-5678-9012-6", CORE),
        ("01 801 100 1234567890126", "01801100" + CORE),
        ("S 01 801 100 / 12 3456 7890 126", "01801100" + CORE),
    ],
)
def test_mpan_fields_accept_valid_mpans_as_digits(written, digits):
    """§10.5.5: a valid core or full MPAN, however grouped, is stored as its digits."""
    form = MeterForm(data={"mpan": written})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["mpan"] == digits and form.cleaned_data["second_mpan"] == ""
    serializer = MeterSerializer(data={"mpan": written})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["mpan"] == digits


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("1234567890127", "check digit should be 6"),
        ("123456789012", "it has 12 digits"),
        ("12345678901a6", "use only digits"),
        ("99 801 100 1234567890126", "profile class 99"),
    ],
)
def test_mpan_fields_reject_invalid_mpans_with_a_clear_message(written, says):
    """§10.5.5: a wrong check digit, length, character or profile class is refused."""
    form = MeterForm(data={"mpan": written})
    assert not form.is_valid()
    assert says in form.errors["mpan"][0]
    serializer = MeterSerializer(data={"mpan": written})
    assert not serializer.is_valid()
    assert says in str(serializer.errors["mpan"][0])


def test_mpan_form_field_is_required_and_numeric_on_phones():
    form = MeterForm(data={})
    assert not form.is_valid() and form.errors["mpan"] == ["Enter the MPAN."]
    html = str(form["mpan"])
    assert 'inputmode="numeric"' in html and 'autocomplete="off"' in html
