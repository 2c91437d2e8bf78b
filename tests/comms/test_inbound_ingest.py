"""Reply by email (§10.2, §10.3): real-world shaped messages become comments on the right
case, with the state effects of the lifecycle; anything else is refused and logged."""

from pathlib import Path

import pytest

from cases.models import Case, ReopenRequest
from cases.services import case_raise_incident, case_transition
from comms.inbound import inbound_email_process
from comms.models import InboundEmail, OutboundMessage
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry, TicketLink
from tickets.selectors import attachments_for, journal_for

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def eml(name: str, **values: str) -> bytes:
    text = (FIXTURES / name).read_text()
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text.encode()


def sent_id(case: Case, template: str | None = None) -> str:
    """The Message-ID of the latest email the case sent its caller (what a reply names)."""
    rows = OutboundMessage.objects.filter(ticket_id=case.pk, to_email=case.caller.email)
    if template:
        rows = rows.filter(template=template)
    return rows.order_by("-id").values_list("message_id", flat=True).first()


def reply(name: str, case: Case, *, sender=None, template: str | None = None, **values) -> bytes:
    sender = sender or case.caller
    return eml(
        name,
        CASE=case.number,
        FROM=sender.email,
        IN_REPLY_TO=sent_id(case, template) or "<unknown@elsewhere.example>",
        **values,
    )


def iphone(case: Case, body: str, *, subject: str, sender=None) -> bytes:
    return reply(
        "iphone_reply.eml",
        case,
        sender=sender,
        SUBJECT=f"[{case.number}] {subject}",
        BODY=body,
        STATUS=case.get_state_display(),
    )


def comments(case: Case):
    return list(
        journal_for(case, include_work_notes=True)
        .filter(kind=JournalEntry.Kind.COMMENT)
        .order_by("id")
    )


def awaiting_caller(case: Case, agent) -> Case:
    case = case_transition(case=case, actor=agent, name="start")
    return case_transition(
        case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER
    )


def resolved(case: Case, agent) -> Case:
    case = case_transition(case=case, actor=agent, name="start")
    return case_transition(case=case, actor=agent, name="resolve", notes="Certificate renewed.")


def closed(case: Case, agent) -> Case:
    return case_transition(case=resolved(case, agent), actor=agent, name="close")


# --- accepted replies ------------------------------------------------------------------------


def test_gmail_reply_to_awaiting_caller_resumes_the_case(org_user, agent):
    """§5.12/§10.2: the caller's reply to a request for information is a customer-visible
    comment and takes the case from On Hold — Awaiting Caller back to In Progress. The MPAN
    in it is fine: the portal is where MPANs belong (§10.5.5)."""
    case = awaiting_caller(CaseFactory(caller=org_user), agent)
    outcome = inbound_email_process(
        raw=reply("gmail_multipart_reply.eml", case, template="case_information_requested")
    )
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.hold_reason == ""
    [comment] = comments(case)
    assert comment.author == org_user
    assert comment.body == (
        "Hi,\n\nThe rejected messages were for MPAN 1800123456784, all sent between 09:00 and "
        "09:40.\nThe DIP error code was E123 each time.\n\nThanks,\nSam"
    )
    record = InboundEmail.objects.get()
    assert outcome.status == record.status == InboundEmail.Status.ATTACHED
    assert outcome.ticket_number == case.number and record.ticket == case
    assert record.journal_entry_id == comment.pk == outcome.journal_entry_id
    assert record.from_address == org_user.email and record.raw_size > 0
    assert "Awaiting Caller → In Progress" in record.reason
    # Whoever works the case hears the caller replied; that email holds no reply text.
    alert = OutboundMessage.objects.filter(ticket_id=case.pk, template="case_caller_replied").get()
    assert "1800123456784" not in alert.body_text


def test_html_only_reply_becomes_a_text_comment(org_user, agent):
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    outcome = inbound_email_process(raw=reply("html_only_reply.eml", case))
    assert outcome.status == InboundEmail.Status.ATTACHED
    [comment] = comments(case)
    assert comment.body.startswith("Hello,\n\nWe have re-sent the rejected messages & they")
    assert "<" not in comment.body and "now In Progress" not in comment.body


def test_outlook_reply_matched_by_subject_alone(org_user):
    """Old Outlook clients send no In-Reply-To: the [CS…] reference in the subject is enough."""
    case = CaseFactory(caller=org_user)
    outcome = inbound_email_process(raw=reply("outlook_original_message.eml", case))
    assert outcome.status == InboundEmail.Status.ATTACHED
    [comment] = comments(case)
    assert comment.body.endswith("We restarted them at 08:55.\n\nSam")
    assert "Original Message" not in comment.body


def test_reply_matched_by_headers_alone_when_the_subject_lost_its_number(org_user):
    case = CaseFactory(caller=org_user)
    raw = iphone(case, "Any update on this?", subject="ignored").replace(
        f"[{case.number}] ignored".encode(), b"DIP problem"
    )
    outcome = inbound_email_process(raw=raw)
    assert outcome.status == InboundEmail.Status.ATTACHED and outcome.ticket_number == case.number


def test_forward_from_a_parent_organisation_user_is_accepted(org_user, parent_user):
    """§10.4: a user of an ancestor organisation may reply; a forward keeps what it passes on."""
    case = CaseFactory(caller=org_user)
    outcome = inbound_email_process(
        raw=reply("forwarded_by_colleague.eml", case, sender=parent_user)
    )
    assert outcome.status == InboundEmail.Status.ATTACHED
    [comment] = comments(case)
    assert comment.author == parent_user
    assert "From: DIP Operations <dip.ops@example.com>" in comment.body
    assert "queue drained by 17:03" in comment.body
    assert "Can you restart the adapter" not in comment.body


def test_sender_is_matched_case_insensitively(org_user):
    case = CaseFactory(caller=org_user)
    raw = reply("outlook_original_message.eml", case).replace(
        org_user.email.encode(), org_user.email.upper().encode()
    )
    assert inbound_email_process(raw=raw).status == InboundEmail.Status.ATTACHED


def test_png_attachment_is_kept_and_exe_refused_without_losing_the_comment(org_user, agent):
    """Attachments get the upload validation; a refused one is named in a system entry."""
    case = awaiting_caller(CaseFactory(caller=org_user), agent)
    outcome = inbound_email_process(raw=reply("reply_with_attachments.eml", case))
    case.refresh_from_db()
    assert outcome.status == InboundEmail.Status.ATTACHED
    assert case.state == Case.State.IN_PROGRESS
    [attachment] = attachments_for(case)
    assert attachment.original_name == "dip-console.png" and attachment.mime_type == "image/png"
    assert attachment.uploaded_by == org_user
    [comment] = comments(case)
    assert (
        comment.body == "Screenshot of the DIP console attached, plus the tool our vendor sent us."
    )
    system = journal_for(case, include_work_notes=False).filter(kind=JournalEntry.Kind.SYSTEM)
    refused = [entry.body for entry in system if "dip-fix-tool.exe" in entry.body]
    assert refused and "not a type we accept" in refused[0]
    assert "1 attachment(s) kept" in outcome.reason and "1 attachment(s) refused" in outcome.reason


def test_attachment_only_reply_is_accepted(org_user, agent):
    case = awaiting_caller(CaseFactory(caller=org_user), agent)
    raw = reply("reply_with_attachments.eml", case).replace(
        b"Screenshot of the DIP console attached, plus the tool our vendor sent us.", b""
    )
    outcome = inbound_email_process(raw=raw)
    assert outcome.status == InboundEmail.Status.ATTACHED
    [comment] = comments(case)
    assert comment.body == "Files sent by email: dip-console.png, dip-fix-tool.exe."


# --- Resolved and Closed (§10.3) ---------------------------------------------------------------


def test_not_fixed_reply_to_a_resolved_case_rejects_the_resolution(org_user, agent):
    case = resolved(CaseFactory(caller=org_user), agent)
    outcome = inbound_email_process(
        raw=reply("outlook_reply_not_fixed.eml", case, template="case_resolved")
    )
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS and case.reopen_count == 1
    assert case.resolved_at is None
    [comment] = comments(case)
    assert comment.author == org_user and comment.body.startswith("Not fixed I’m afraid")
    assert outcome.journal_entry_id == comment.pk
    assert outcome.reason.startswith("Resolution rejected")


def test_plain_comment_on_a_resolved_case_leaves_it_resolved(org_user, agent):
    case = resolved(CaseFactory(caller=org_user), agent)
    outcome = inbound_email_process(
        raw=iphone(
            case, "Resolved, thanks! Will watch it tomorrow.", subject="Your case has been resolved"
        )
    )
    case.refresh_from_db()
    assert outcome.status == InboundEmail.Status.ATTACHED
    assert case.state == Case.State.RESOLVED and case.reopen_count == 0
    assert [c.body for c in comments(case)] == ["Resolved, thanks! Will watch it tomorrow."]


def test_explicit_confirm_closes_a_resolved_case(org_user, agent):
    case = resolved(CaseFactory(caller=org_user), agent)
    outcome = inbound_email_process(
        raw=iphone(case, "I confirm the fix, thank you.", subject="Your case has been resolved")
    )
    case.refresh_from_db()
    assert case.state == Case.State.CLOSED
    assert [c.body for c in comments(case)] == ["I confirm the fix, thank you."]
    assert outcome.reason.startswith("Resolution confirmed")


def test_reply_to_a_closed_case_asks_the_desk_to_reopen_it(
    org_user, agent, django_capture_on_commit_callbacks, mailoutbox, settings
):
    """§10.3: a reply by email to a Closed case is a request to reopen it, through the same
    service as a comment in the portal: kept on the case, queued for the desk, nothing
    reopened or raised until the desk decides."""
    old = closed(CaseFactory(caller=org_user, short_description="DIP messages rejected"), agent)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = inbound_email_process(
            raw=iphone(old, "It has started again since 07:00.", subject="Your case is closed")
        )
    assert outcome.status == InboundEmail.Status.ATTACHED
    assert "request to reopen" in outcome.reason
    old.refresh_from_db()
    assert old.state == Case.State.CLOSED and Case.objects.count() == 1
    [comment] = comments(old)
    assert comment.body == "It has started again since 07:00." and comment.author == org_user
    assert outcome.journal_entry_id == comment.pk
    request = ReopenRequest.objects.get()
    assert (request.case, request.requester, request.status, request.channel) == (
        old,
        org_user,
        ReopenRequest.Status.PENDING,
        Case.Channel.EMAIL,
    )
    # The unassigned case's request reaches the desk mailbox (Appendix G).
    assert any(
        old.number in m.subject and m.to == [settings.SERVICE_DESK_EMAIL] for m in mailoutbox
    )


def test_reply_to_a_closed_case_with_a_request_waiting_joins_it(org_user, agent):
    """§10.3: one request waits per case; a second reply is kept on the case with it."""
    old = closed(CaseFactory(caller=org_user), agent)
    inbound_email_process(raw=iphone(old, "It is back.", subject="Your case is closed"))
    inbound_email_process(raw=reply("gmail_multipart_reply.eml", old))
    assert ReopenRequest.objects.count() == 1
    first, second = comments(old)
    assert first.body == "It is back." and second.author == org_user


def test_reply_to_a_cancelled_case_also_opens_a_follow_up(org_user, agent):
    old = case_transition(
        case=CaseFactory(caller=org_user),
        actor=agent,
        name="cancel",
        reason=Case.CancelReason.DUPLICATE,
    )
    outcome = inbound_email_process(raw=iphone(old, "This was not a duplicate.", subject="Status"))
    assert outcome.status == InboundEmail.Status.NEW_CASE


# --- refused and logged ----------------------------------------------------------------------


def _assert_refused(outcome, *, reason: str, body_text: str = ""):
    assert outcome.status == InboundEmail.Status.REFUSED
    assert reason in outcome.reason
    assert not JournalEntry.objects.filter(kind=JournalEntry.Kind.COMMENT).exists()
    record = InboundEmail.objects.get(pk=outcome.inbound_email_id)
    assert record.status == InboundEmail.Status.REFUSED and reason in record.reason
    if body_text:
        # Only headers and the reason are kept: never the body of a refused message.
        stored = " ".join(str(value) for value in InboundEmail.objects.values().get().values())
        assert body_text not in stored


def test_unknown_sender_is_refused_and_logged(org_user):
    case = CaseFactory(caller=org_user)
    outcome = inbound_email_process(raw=reply("unknown_sender.eml", case))
    _assert_refused(outcome, reason="Unknown sender", body_text="raised by mistake")
    record = InboundEmail.objects.get()
    assert record.from_address == "helpful.stranger@freemail.example" and record.ticket == case
    case.refresh_from_db()
    assert case.state == Case.State.NEW


def test_inactive_user_is_an_unknown_sender(org_user):
    case = CaseFactory(caller=org_user)
    org_user.is_active = False
    org_user.save(update_fields=["is_active"])
    outcome = inbound_email_process(raw=reply("outlook_original_message.eml", case))
    _assert_refused(outcome, reason="Unknown sender")


@pytest.mark.parametrize("outsider", ["other_org_user", "sibling_user"])
def test_subject_naming_a_case_the_sender_cannot_see_is_refused(request, org_user, outsider):
    """A spoofed reference: another organisation (or a sibling, §10.4) names our case."""
    case = CaseFactory(caller=org_user)
    sender = request.getfixturevalue(outsider)
    raw = reply("outlook_original_message.eml", case, sender=sender)
    outcome = inbound_email_process(raw=raw)
    _assert_refused(outcome, reason=f"may not reply to {case.number}", body_text="certificate")
    assert InboundEmail.objects.get().ticket == case


def test_subject_and_headers_naming_different_cases_is_refused_as_spoofed(org_user):
    mine = CaseFactory(caller=org_user)
    other = CaseFactory(caller=org_user)
    raw = eml(
        "gmail_multipart_reply.eml",
        CASE=mine.number,
        FROM=org_user.email,
        IN_REPLY_TO=sent_id(other),
    )
    outcome = inbound_email_process(raw=raw)
    _assert_refused(outcome, reason="Spoofed reference")
    assert mine.number in outcome.reason and other.number in outcome.reason


def test_staff_cannot_reply_by_email(org_user, agent):
    """A From header is too weak to act as staff, who work in the console behind MFA."""
    case = CaseFactory(caller=org_user)
    outcome = inbound_email_process(raw=reply("outlook_original_message.eml", case, sender=agent))
    _assert_refused(outcome, reason="may not reply")


def test_incident_number_in_the_subject_is_refused(org_user):
    """Only case numbers are customer-facing."""
    case = CaseFactory(caller=org_user)
    raw = (
        iphone(case, "Any news?", subject="x")
        .replace(f"[{case.number}] x".encode(), b"[INC0000123] x")
        .replace(sent_id(case).encode(), b"<none@elsewhere.example>")
    )
    outcome = inbound_email_process(raw=raw)
    _assert_refused(outcome, reason="internal reference")


@pytest.mark.usefixtures("portal_ticket_types")
def test_reply_to_an_incident_email_is_refused(org_user, agent, resolver_group):
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    incident = case_raise_incident(
        case=case, actor=agent, assignment_group=resolver_group, impact=2, urgency=2
    )
    incident_mail = OutboundMessage.objects.filter(
        ticket_id=incident.pk, template="incident_assigned"
    ).first()
    raw = eml(
        "gmail_multipart_reply.eml",
        CASE="no number",
        FROM=org_user.email,
        IN_REPLY_TO=incident_mail.message_id,
    )
    outcome = inbound_email_process(raw=raw)
    _assert_refused(outcome, reason="only cases take replies")


@pytest.mark.usefixtures("portal_ticket_types")
def test_message_with_no_reference_is_refused(org_user):
    case = CaseFactory(caller=org_user)
    raw = eml("outlook_original_message.eml", CASE="question", FROM=org_user.email)
    assert case.number.encode() not in raw
    _assert_refused(inbound_email_process(raw=raw), reason="No case reference")


def test_out_of_office_reply_is_refused_and_the_hold_stays(org_user, agent):
    case = awaiting_caller(CaseFactory(caller=org_user), agent)
    outcome = inbound_email_process(raw=reply("out_of_office.eml", case))
    _assert_refused(outcome, reason="Not a person's reply", body_text="out of the office")
    case.refresh_from_db()
    assert case.state == Case.State.ON_HOLD


def test_dmarc_failure_is_refused(org_user):
    case = CaseFactory(caller=org_user)
    raw = b"Authentication-Results: mx.mhhs.example; dmarc=fail header.from=example.com\n" + reply(
        "outlook_original_message.eml", case
    )
    _assert_refused(inbound_email_process(raw=raw), reason="DMARC")


def test_reply_with_nothing_new_is_refused(org_user):
    case = CaseFactory(caller=org_user)
    outcome = inbound_email_process(raw=iphone(case, "", subject="Status changed"))
    _assert_refused(outcome, reason="No new text")


def test_service_refusal_is_recorded_in_its_own_words(org_user, agent):
    """A caller who left their organisation may still be the caller, but may no longer ask to
    reopen its cases (§10.3, §10.4): the refusal is recorded in the service's words."""
    old = closed(CaseFactory(caller=org_user), agent)
    org_user.organisation = None
    org_user.save(update_fields=["organisation"])
    outcome = inbound_email_process(raw=iphone(old, "Broken again.", subject="Your case is closed"))
    assert outcome.status == InboundEmail.Status.REFUSED
    assert "not yet attached to an organisation" in outcome.reason
    assert Case.objects.count() == 1 and not TicketLink.objects.exists()


# --- idempotency -----------------------------------------------------------------------------


def test_same_message_ingested_twice_is_recorded_and_acted_on_once(org_user, agent):
    case = awaiting_caller(CaseFactory(caller=org_user), agent)
    raw = reply("gmail_multipart_reply.eml", case)
    first = inbound_email_process(raw=raw)
    second = inbound_email_process(raw=raw)
    assert first.status == InboundEmail.Status.ATTACHED
    assert second.status == InboundEmail.Status.DUPLICATE
    assert second.inbound_email_id == first.inbound_email_id
    assert second.journal_entry_id == first.journal_entry_id
    assert "Already processed" in second.reason
    assert InboundEmail.objects.count() == 1 and len(comments(case)) == 1


def test_refused_message_is_not_retried_as_new(org_user):
    case = CaseFactory(caller=org_user)
    raw = reply("unknown_sender.eml", case)
    inbound_email_process(raw=raw)
    again = inbound_email_process(raw=raw)
    assert again.status == InboundEmail.Status.DUPLICATE and "refused" in again.reason.lower()
    assert InboundEmail.objects.count() == 1


def test_message_that_failed_with_an_error_is_processed_when_it_comes_back(org_user):
    case = CaseFactory(caller=org_user)
    raw = reply("outlook_original_message.eml", case)
    InboundEmail.objects.create(
        message_id="<000001db4f2a$5c7e1b20$157a5160$@example.com>",
        status=InboundEmail.Status.ERROR,
        reason="OperationalError: database is locked",
    )
    outcome = inbound_email_process(raw=raw)
    assert outcome.status == InboundEmail.Status.ATTACHED
    assert InboundEmail.objects.get().status == InboundEmail.Status.ATTACHED
    assert len(comments(case)) == 1


def test_reply_on_an_assigned_case_reaches_the_assignee(org_user, agent, settings):
    """Appendix G: the caller's email reply goes to whoever the case is assigned to, not the
    desk mailbox."""
    from cases.assessment import case_assign

    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    case_assign(case=case, actor=agent, assigned_to=agent)
    inbound_email_process(raw=iphone(case, "Logs attached later today.", subject="Status"))
    replied = OutboundMessage.objects.filter(template="case_caller_replied")
    assert list(replied.values_list("to_email", flat=True)) == [agent.email]
    assert not replied.filter(to_email=settings.SERVICE_DESK_EMAIL).exists()
