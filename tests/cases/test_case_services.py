"""Raising a case (§3.2), comments, and what the caller is told (§3.1, §10.2, §10.5.5)."""

import pytest

from cases.models import Case
from cases.services import case_comment_add, case_create, case_transition
from comms.models import OutboundMessage
from core.errors import ActionNotPermitted, TransitionNotAllowed, ValidationFailed
from tests.factories.accounts import UserFactory
from tests.factories.cases import CaseFactory, category
from tickets.models import JournalEntry
from tickets.selectors import journal_for

SECRET_DESCRIPTION = "Our DIP certificate thumbprint is 9F:AA:17 and the password is hunter2"


def _create(actor, **overrides):
    fields = {
        "organisation": actor.organisation,
        "category": category(),
        "short_description": "DIP messages rejected",
        "description": "Rejected with E123",
        "party_id": "NPSU",
    }
    fields.update(overrides)
    return case_create(actor=actor, **fields)


def test_case_gets_a_reference_and_an_acknowledgement(
    org_user, django_capture_on_commit_callbacks, mailoutbox
):
    """§3.1: every case gets a reference number and an acknowledgement email."""
    with django_capture_on_commit_callbacks(execute=True):
        case = _create(org_user)
    assert case.number.startswith("CS") and len(case.number) == 9
    assert case.state == Case.State.NEW and case.caller == org_user
    acknowledgement = [m for m in mailoutbox if m.to == [org_user.email]]
    assert len(acknowledgement) == 1
    assert case.number in acknowledgement[0].subject


def test_new_case_alerts_service_management(
    org_user, settings, django_capture_on_commit_callbacks, mailoutbox
):
    """§5.17: an automated alert tells the service management team of a new case."""
    with django_capture_on_commit_callbacks(execute=True):
        case = _create(org_user)
    alerts = [m for m in mailoutbox if m.to == [settings.SERVICE_MANAGEMENT_EMAIL]]
    assert len(alerts) == 1 and case.number in alerts[0].subject


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"short_description": "  "}, "short_description"),
        ({"description": ""}, "description"),
        ({"category": None}, "category"),
        ({"party_id": "", "no_party_id": False}, "party_id"),
        ({"party_id": "NPSU", "no_party_id": True}, "party_id"),
        ({"related_url": "javascript:alert(1)"}, "related_url"),
        ({"short_description": "x" * 161}, "short_description"),
    ],
)
def test_mandatory_and_paired_fields_are_validated(org_user, overrides, field):
    """§3.2: Category, Subject and Description are mandatory; Party ID or the checkbox."""
    with pytest.raises(ValidationFailed) as error:
        _create(org_user, **overrides)
    assert field in error.value.field_errors
    assert not Case.objects.exists()


def test_no_party_id_checkbox_is_accepted(org_user):
    case = _create(
        org_user, party_id="", no_party_id=True, unregistered_organisation_name="New Entrant Ltd"
    )
    assert case.no_party_id and case.unregistered_organisation_name == "New Entrant Ltd"


def test_cannot_raise_for_a_sibling_or_unrelated_organisation(org_user, sibling_org, unrelated_org):
    for organisation in (sibling_org, unrelated_org):
        with pytest.raises(ValidationFailed) as error:
            _create(org_user, organisation=organisation)
        assert "organisation" in error.value.field_errors


def test_parent_user_can_raise_for_a_child(parent_user, org):
    assert _create(parent_user, organisation=org).organisation == org


def test_unattached_user_cannot_raise_a_case(db):
    user = UserFactory(email="new.joiner@example.com")
    with pytest.raises(ActionNotPermitted, match="not yet attached"):
        _create(user, organisation=None)


def test_inactive_category_is_refused(org_user):
    retired = category("Communications")
    retired.active = False
    retired.save()
    with pytest.raises(ValidationFailed, match="check the highlighted"):
        _create(org_user, category=retired)


def test_emails_never_contain_what_the_user_typed(
    org_user, agent, django_capture_on_commit_callbacks, mailoutbox
):
    """§10.5.5: emails carry number, status and a link — never description or comments."""
    comment = "Please use account 4471-2231 and call Jo on 07700 900123"
    with django_capture_on_commit_callbacks(execute=True):
        case = _create(
            org_user, description=SECRET_DESCRIPTION, short_description="Thumbprint 9F:AA:17 leak"
        )
    with django_capture_on_commit_callbacks(execute=True):
        case_comment_add(case=case, actor=agent, body=comment)
    with django_capture_on_commit_callbacks(execute=True):
        case = case_transition(case=case, actor=agent, name="start")
        case = case_transition(
            case=case, actor=agent, name="resolve", notes="Rotated certificate 9F:AA:17"
        )
    assert len(mailoutbox) >= 5
    for message in mailoutbox:
        bodies = [message.subject, message.body] + [alt[0] for alt in message.alternatives]
        for text in bodies:
            for secret in (
                "9F:AA:17",
                "hunter2",
                "4471-2231",
                "07700 900123",
                "Rejected with E123",
            ):
                assert secret not in text, (message.subject, secret)
        assert case.number in message.subject
        assert f"/cases/{case.number}/" in message.body or "/admin/" in message.body


def test_desk_comment_notifies_the_caller_but_work_note_does_not(
    org_user, agent, django_capture_on_commit_callbacks, mailoutbox
):
    """Appendix G: customer-visible comments email the caller; work notes never leave the desk."""
    case = CaseFactory(caller=org_user)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_comment_add(case=case, actor=agent, body="Internal: vendor ticket 88", work_note=True)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        case_comment_add(case=case, actor=agent, body="We are looking at it")
    assert [m.to for m in mailoutbox] == [[org_user.email]]


def test_participant_cannot_add_work_notes(org_user):
    case = CaseFactory(caller=org_user)
    with pytest.raises(ActionNotPermitted):
        case_comment_add(case=case, actor=org_user, body="secret", work_note=True)


def test_caller_reply_takes_awaiting_caller_hold_back_to_in_progress(org_user, agent):
    """§5.12: a reply to an Awaiting Caller hold resumes work automatically."""
    case = CaseFactory(caller=org_user)
    case = case_transition(case=case, actor=agent, name="start")
    case = case_transition(
        case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER
    )
    case_comment_add(case=case, actor=org_user, body="Here are the logs you asked for")
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.hold_reason == ""


def test_caller_reply_does_not_resume_a_vendor_hold(org_user, agent):
    case = CaseFactory(caller=org_user)
    case = case_transition(case=case, actor=agent, name="start")
    case = case_transition(
        case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_VENDOR
    )
    case_comment_add(case=case, actor=org_user, body="Any news?")
    case.refresh_from_db()
    assert case.state == Case.State.ON_HOLD


def test_closed_case_takes_no_more_comments(org_user, agent):
    case = CaseFactory(caller=org_user)
    case = case_transition(
        case=case, actor=agent, name="cancel", reason=Case.CancelReason.RAISED_IN_ERROR
    )
    with pytest.raises(TransitionNotAllowed, match="new case"):
        case_comment_add(case=case, actor=org_user, body="Hello?")


def test_every_status_change_emails_the_caller(
    org_user, agent, django_capture_on_commit_callbacks, mailoutbox
):
    """§10.2: status updates send an automated email to the participant."""
    case = CaseFactory(caller=org_user)
    steps = [
        ("start", {}),
        ("hold", {"reason": Case.HoldReason.AWAITING_CALLER}),
        ("resume", {}),
        ("resolve", {"notes": "Fixed"}),
        ("close", {}),
    ]
    templates = []
    for name, arguments in steps:
        with django_capture_on_commit_callbacks(execute=True):
            case = case_transition(case=case, actor=agent, name=name, **arguments)
        templates.append(
            OutboundMessage.objects.filter(to_email=org_user.email).latest("id").template
        )
    assert templates == [
        "case_status_changed",
        "case_information_requested",
        "case_status_changed",
        "case_resolved",
        "case_closed",
    ]


def test_comment_is_journalled_as_customer_visible(org_user):
    case = CaseFactory(caller=org_user)
    case_comment_add(case=case, actor=org_user, body="More detail")
    assert (
        journal_for(case, include_work_notes=False).filter(kind=JournalEntry.Kind.COMMENT).count()
        == 1
    )
