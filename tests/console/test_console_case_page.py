"""The case page in the console: lifecycle buttons, classification and the journal.

State moves only through the transition service with the state the agent saw (docs/conventions.md §3);
a refusal is a message or a form error, never a 500.
"""

import re
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.utils import flatten_fieldsets
from django.urls import reverse
from django.utils import timezone

from accounts.models import ServiceDesk
from cases.admin import CaseAdmin, CaseClassificationForm
from cases.console_page import select_html
from cases.models import Case
from cases.services import case_comment_add, case_raise_incident, case_reroute, case_transition
from comms.models import OutboundMessage
from incidents.services import incident_create
from tests.conftest import mfa_client
from tests.factories.cases import CaseFactory, text_upload
from tickets.models import JournalEntry, TicketLink
from tickets.priority import Priority
from tickets.selectors import attachments_for, journal_for
from tickets.services import ticket_link

UK = ZoneInfo("Europe/London")


@pytest.fixture
def case(org_user):
    return CaseFactory(caller=org_user)


def _change_url(case) -> str:
    return reverse("admin:cases_case_change", args=[case.pk])


def _transition_url(case, name: str) -> str:
    return reverse("admin:cases_case_transition", args=[case.pk, name])


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_case_page_offers_the_transitions_available_to_the_agent(agent_client, case):
    """§5.12: a New case can be started, resolved or cancelled; state itself is read-only."""
    response = agent_client.get(_change_url(case))

    assert response.status_code == 200
    names = [button["name"] for button in response.context["transitions"]]
    assert names == ["start", "resolve", "cancel"]
    html = response.content.decode()
    assert f"{_transition_url(case, 'start')}?expected_state=new" in html
    assert 'name="state"' not in html
    assert "state" not in response.context["adminform"].form.fields


def test_hold_needs_a_reason_and_then_holds(agent_client, agent, case):
    """§5.12: On Hold carries one of the hold reasons."""
    case_transition(case=case, actor=agent, name="start")
    url = _transition_url(case, "hold")

    refused = agent_client.post(url, {"expected_state": "in_progress", "reason": ""})
    assert refused.status_code == 200
    assert refused.context["form"].errors["reason"] == ["Choose a hold reason."]

    response = agent_client.post(
        url, {"expected_state": "in_progress", "reason": Case.HoldReason.AWAITING_VENDOR}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.ON_HOLD
    assert case.hold_reason == Case.HoldReason.AWAITING_VENDOR


def test_resolve_without_notes_shows_an_error_not_500(agent_client, agent, case):
    """§10.3: resolving needs resolution notes; the form says so and nothing changes."""
    case_transition(case=case, actor=agent, name="start")

    response = agent_client.post(
        _transition_url(case, "resolve"), {"expected_state": "in_progress", "notes": "  "}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["notes"] == ["Resolution notes are required."]
    assert "Write resolution notes before resolving." in _messages(response)
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS


def test_resolve_with_notes_and_code_resolves(agent_client, agent, case):
    """§10.3: resolved with notes (and a code); the caller is notified."""
    case_transition(case=case, actor=agent, name="start")

    response = agent_client.post(
        _transition_url(case, "resolve"),
        {"expected_state": "in_progress", "notes": "Certificate renewed.", "code": "solved"},
        follow=True,
    )

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.state == Case.State.RESOLVED
    assert (case.resolution_notes, case.resolution_code) == ("Certificate renewed.", "solved")
    assert "Solved — fix applied" in response.content.decode()
    assert f"{case.number} is now Resolved." in _messages(response)


def test_cancel_needs_a_reason(agent_client, case):
    """DESIGN §2: any open ticket may be cancelled, with a reason."""
    response = agent_client.post(_transition_url(case, "cancel"), {"expected_state": "new"})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"] == ["Choose a cancel reason."]

    agent_client.post(
        _transition_url(case, "cancel"), {"expected_state": "new", "reason": "duplicate"}
    )
    case.refresh_from_db()
    assert case.state == Case.State.CANCELLED and case.cancel_reason == "duplicate"


def test_transition_not_allowed_from_this_state_shows_a_message_not_500(agent_client, case):
    """§5.12: only an On Hold ticket resumes; a crafted POST on a New case is refused."""
    response = agent_client.post(
        _transition_url(case, "resume"), {"expected_state": "new"}, follow=True
    )

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == _change_url(case)
    assert any("can't resume" in message for message in _messages(response))
    case.refresh_from_db()
    assert case.state == Case.State.NEW


def test_unknown_transition_shows_a_message_not_500(agent_client, case):
    response = agent_client.post(
        _transition_url(case, "explode"), {"expected_state": "new"}, follow=True
    )

    assert response.status_code == 200
    assert any("not something a case can do" in message for message in _messages(response))


def test_stale_expected_state_is_changed_by_someone_else(agent_client, agent, case):
    """docs/conventions.md §3: the agent saw New, a colleague started it meanwhile; the hold is
    refused as "changed by someone else", and the case keeps the colleague's change."""
    page = agent_client.get(_change_url(case))
    seen = page.context["original"].state
    case_transition(case=case, actor=agent, name="start")

    response = agent_client.post(
        _transition_url(case, "cancel"),
        {"expected_state": seen, "reason": "raised_in_error"},
        follow=True,
    )

    assert response.status_code == 200
    assert any("changed by someone else" in message for message in _messages(response))
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS


def test_setting_impact_and_urgency_shows_the_computed_priority(agent_client, case):
    """§3.8: impact High and urgency Medium give P2; the desk sets them, the matrix decides."""
    response = agent_client.post(_change_url(case), {"impact": 1, "urgency": 2, "_continue": "1"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.impact, case.urgency, case.priority) == (1, 2, Priority.P2)
    page = agent_client.get(response["Location"])
    html = page.content.decode()
    assert "P2 — 1 day" in html
    assert any("P2 — 1 day" in message for message in _messages(page))
    entry = journal_for(case, include_work_notes=True).filter(kind=JournalEntry.Kind.SYSTEM).last()
    assert "Priority set to P2" in entry.body


def test_impact_without_urgency_is_refused_on_the_form(agent_client, case):
    """§3.8: priority comes from impact and urgency together."""
    response = agent_client.post(_change_url(case), {"impact": 1, "urgency": ""})

    assert response.status_code == 200
    assert "Set both impact and urgency" in response.content.decode()
    case.refresh_from_db()
    assert case.priority is None


def test_participant_fields_are_read_only(agent_client, case):
    """§3.2: what the participant wrote stays theirs; a POST cannot change it."""
    agent_client.post(
        _change_url(case),
        {"impact": 3, "urgency": 3, "short_description": "Changed", "state": "closed"},
    )

    case.refresh_from_db()
    assert case.short_description != "Changed"
    assert case.state == Case.State.NEW
    assert case.priority == Priority.P4


def test_work_note_stays_with_the_desk_and_comment_reaches_the_caller(
    agent_client, case, django_capture_on_commit_callbacks
):
    """Appendix G: customer-visible comments notify the caller; work notes never leave the desk."""
    url = reverse("admin:cases_case_comment", args=[case.pk])
    before = OutboundMessage.objects.filter(template="case_comment_added").count()

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"kind": "work_note", "body": "Checked DIP logs: cert expired."})
    assert OutboundMessage.objects.filter(template="case_comment_added").count() == before

    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(url, {"kind": "comment", "body": "We are renewing the certificate."})
    assert (
        OutboundMessage.objects.filter(
            template="case_comment_added", to_email=case.caller.email
        ).count()
        == before + 1
    )

    entries = journal_for(case, include_work_notes=True)
    assert entries.get(kind=JournalEntry.Kind.WORK_NOTE).body == "Checked DIP logs: cert expired."
    assert entries.get(kind=JournalEntry.Kind.COMMENT).body == "We are renewing the certificate."
    page = agent_client.get(_change_url(case)).content.decode()
    assert "journal-work_note" in page and "Work note (desk only)" in page
    assert "journal-comment" in page and "Customer-visible comment" in page


def test_empty_comment_shows_a_message_not_500(agent_client, case):
    response = agent_client.post(
        reverse("admin:cases_case_comment", args=[case.pk]),
        {"kind": "comment", "body": ""},
        follow=True,
    )

    assert response.status_code == 200
    assert "Write something before adding it." in _messages(response)


def test_history_lists_changes_and_offers_no_revert(agent_client, agent, case):
    """§10.5.3: every change is audited; the console shows history but never reverts state."""
    case_transition(case=case, actor=agent, name="start")

    response = agent_client.get(reverse("admin:cases_case_history", args=[case.pk]))

    assert response.status_code == 200
    assert response.context["revert_disabled"] is True
    records = list(response.context["page_obj"].object_list)
    assert len(records) >= 2
    assert "In Progress" in response.content.decode()
    version = case.history.earliest()
    url = reverse("admin:cases_case_simple_history", args=[case.pk, version.history_id])
    assert agent_client.post(url, {"impact": 1, "urgency": 1}).status_code == 403
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS
    # A version is still drawn from the admin's fieldsets, display columns included.
    version_page = agent_client.get(url)
    assert version_page.status_code == 200
    assert "Linked incidents" in version_page.content.decode()


# --- the page's facts (cases/console_page.py) and what it costs ---


def _dd(html: str, name: str) -> str:
    """The `<dd>` of one fact on the case page."""
    start = html.index(f'<dd class="field-{name}">')
    return html[start : html.index("</dd>", start)]


def test_case_page_shows_every_field_of_the_fieldsets(agent_client, agent, org_user):
    """§3.2, §3.8, §4.1, §5.12: every field the admin declares is on the page, labelled, with
    relations linked to their console pages and times in UK time."""
    case = CaseFactory(caller=org_user, mpan="1234567890126", uploads=[text_upload("dip.log")])
    case_transition(case=case, actor=agent, name="start")
    case.refresh_from_db()

    html = agent_client.get(_change_url(case)).content.decode()

    for name in flatten_fieldsets(CaseAdmin.fieldsets):
        assert f'class="field-{name}"' in html, name
    for heading in (
        "Raised by the participant",
        "Classification",
        "Triage",
        "Progress and resolution",
    ):
        assert heading in html
    organisation_url = reverse("admin:accounts_organisation_change", args=[case.organisation_id])
    assert f'<a href="{organisation_url}">{case.organisation.name}</a>' in _dd(html, "organisation")
    assert reverse("admin:accounts_user_change", args=[org_user.pk]) in _dd(html, "caller")
    assert reverse("admin:accounts_user_change", args=[org_user.pk]) in _dd(html, "opened_by")
    assert _dd(html, "assigned_to").endswith("-")
    assert _dd(html, "state").endswith("In Progress")
    assert _dd(html, "channel").endswith("Portal")
    assert _dd(html, "no_party_id").endswith("No")
    assert case.mpan in _dd(html, "mpan") and "13-digit MPAN core" in _dd(html, "mpan")
    attachment = attachments_for(case).get()
    download = _dd(html, "attachment_links")
    assert reverse("portal:attachment_download", args=[attachment.pk]) in download
    assert "dip.log" in download
    assert "Not set: choose impact and urgency, then save." in _dd(html, "computed_priority")
    # The one date format of the portal and the console (`core.dates`): "1 Jul 2026, 14:05".
    updated = timezone.localtime(case.updated_at, UK)
    assert f"{updated.day} {updated:%b %Y, %H:%M}" in _dd(html, "updated_at")
    assert _dd(html, "resolved_at").endswith("-")


def test_case_page_links_the_incidents_raised_from_it(agent_client, agent, resolver_group, case):
    """§4.1 step 4: the incident raised at triage is listed on the case, linked."""
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )

    html = agent_client.get(_change_url(case)).content.decode()

    linked = _dd(html, "linked_incidents")
    assert reverse("admin:incidents_incident_change", args=[incident.pk]) in linked
    assert incident.number in linked and "DIP Technical Support" in linked
    assert reverse("admin:accounts_user_change", args=[agent.pk]) in _dd(html, "triaged_by")


def test_case_page_shows_where_a_rerouted_case_went(agent_client, agent, case):
    """§4.1 step 2: a re-routed case names the desk it was sent to (read by id, not joined)."""
    desk = ServiceDesk.objects.get(name="DCC Service Desk")
    case_reroute(case=case, actor=agent, desk=desk)

    html = agent_client.get(_change_url(case)).content.decode()

    desk_url = reverse("admin:accounts_servicedesk_change", args=[desk.pk])
    assert f'<a href="{desk_url}">DCC Service Desk</a>' in _dd(html, "rerouted_to")
    assert _dd(html, "state").endswith("Resolved")
    assert reverse("admin:accounts_user_change", args=[agent.pk]) in _dd(html, "triaged_by")


def test_classification_field_errors_stand_next_to_the_field(agent_client, case):
    """§3.8: a bad impact is refused on the form, by the field, and nothing is saved."""
    response = agent_client.post(_change_url(case), {"impact": 9, "urgency": 2})

    assert response.status_code == 200
    impact = _dd(response.content.decode(), "impact")
    assert 'id="id_impact_error"' in impact and "Select a valid choice" in impact
    assert 'aria-invalid="true"' in impact
    case.refresh_from_db()
    assert case.impact is None


def test_classification_selects_are_drawn_as_django_draws_them(case):
    """The case page writes the impact and urgency selects itself (cases/console_page.py); they
    must be what Django's `Select` widget draws, selected option, errors and all."""

    def squeeze(html) -> str:
        return re.sub(r">\s+<", "><", str(html)).strip()

    forms = [
        CaseClassificationForm(instance=case),
        CaseClassificationForm(instance=Case(impact=2, urgency=1)),
        CaseClassificationForm({"impact": "1", "urgency": ""}, instance=case),
        CaseClassificationForm({"impact": "9", "urgency": "x"}, instance=case),
    ]
    for form in forms:
        form.is_valid()
        for name in ("impact", "urgency"):
            assert squeeze(select_html(form[name])) == squeeze(form[name])


def test_view_only_staff_see_the_facts_but_no_form(change_manager, case):
    """§10.4: a change manager may read cases but not classify them: the values are shown,
    there is nothing to save and no comment form."""
    client = mfa_client(change_manager)
    response = client.get(_change_url(case))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<select" not in _dd(html, "impact") and _dd(html, "impact").endswith("-")
    assert 'name="_save"' not in html and 'class="closelink"' in html
    assert 'id="add-comment"' not in html
    assert 'id="sla-panel"' in html and 'id="journal"' in html


@pytest.mark.parametrize("size", [2, 20])
def test_case_page_query_count_is_constant(
    agent_client, agent, org_user, resolver_group, size, django_assert_num_queries
):
    """docs/conventions.md §7: the case page costs the same queries with 2 or 20 journal
    entries, attachments and linked incidents."""
    case = CaseFactory(
        caller=org_user, uploads=[text_upload(f"log-{index}.txt") for index in range(size)]
    )
    case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    for index in range(size - 1):
        incident = incident_create(
            actor=agent,
            short_description=f"Related fault {index}",
            description="Seen on the same DIP channel.",
            category=case.category,
            assignment_group=resolver_group,
            impact=3,
            urgency=3,
        )
        ticket_link(from_ticket=case, to_ticket=incident, kind=TicketLink.Kind.CASE_INCIDENT)
    for index in range(size):
        case_comment_add(case=case, actor=agent, body=f"Checked log {index}.", work_note=True)
    agent_client.get(_change_url(case))  # warm the session and the access cache
    # session, user; the case joined with organisation and category; the people it names
    # (caller, opener, triager, assignee) by id (a resolver group or re-routing desk would be
    # one more each; these cases have none); its attachments; its incident links; those
    # incidents with their resolver group; the journal with authors; the SLA clocks with their
    # definitions and events in one query; the updates its incidents propose for the caller,
    # awaiting review (read only for a case triaged to an incident, as this one is).
    # Permissions, whether the agent has TOTP and the bell's unread count come from the cache;
    # the category form's choices from the process (tickets.reference_cache).
    with django_assert_num_queries(10):
        response = agent_client.get(_change_url(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert _dd(html, "linked_incidents").count("<li>") == size
    assert _dd(html, "attachment_links").count("<li>") == size
    assert len(response.context["journal"]) >= size
