"""Reading replies by email (§10.2): MIME shapes, quoted history, signatures, the decision
on a Resolved case (§10.3). Pure parsing: no database."""

import email
import email.policy
from pathlib import Path

import pytest

from comms.inbound import (
    COMMENT,
    CONFIRM,
    REJECT,
    InboundEmailUnreadable,
    html_to_text,
    inbound_email_parse,
    reply_text_extract,
    resolution_decision,
    subject_clean,
)

FIXTURES = Path(__file__).parent / "fixtures"
SENT_ID = "<176425.1.2@mhhs.example>"


def eml(name: str, **values: str) -> bytes:
    text = (FIXTURES / name).read_text()
    defaults = {"CASE": "CS0000042", "FROM": "sam.supplier@example.com", "IN_REPLY_TO": SENT_ID}
    for key, value in {**defaults, **values}.items():
        text = text.replace("{{" + key + "}}", value)
    return text.encode()


def test_gmail_multipart_prefers_plain_text_and_strips_signature_and_quote():
    """§10.2: the plain-text part is the reply; the '-- ' signature and the wrapped
    'On … wrote:' attribution with its '>' quote are not."""
    parsed = inbound_email_parse(eml("gmail_multipart_reply.eml"))
    assert parsed.from_address == "sam.supplier@example.com"
    assert parsed.in_reply_to == [SENT_ID] and parsed.references == [SENT_ID]
    assert parsed.message_id == "<CAF3x9y=Kq1Zb8v7Lw2mT_4hQpXr0s8Jd5@mail.gmail.com>"
    assert reply_text_extract(parsed.body) == (
        "Hi,\n\nThe rejected messages were for MPAN 1800123456784, all sent between 09:00 and "
        "09:40.\nThe DIP error code was E123 each time.\n\nThanks,\nSam"
    )
    assert parsed.attachments == []


def test_outlook_reply_in_windows_1252_cut_at_the_rule_and_from_sent_block():
    """Outlook puts a '____' rule and a From:/Sent: block above the earlier message."""
    parsed = inbound_email_parse(eml("outlook_reply_not_fixed.eml"))
    text = reply_text_extract(parsed.body)
    assert text.startswith("Not fixed I’m afraid – the DIP is still rejecting")
    assert "Settlement Analyst | Northern Power Supply" in text
    assert "has been resolved" not in text and "From:" not in text


def test_outlook_original_message_block_is_history():
    parsed = inbound_email_parse(eml("outlook_original_message.eml"))
    assert parsed.in_reply_to == []
    assert reply_text_extract(parsed.body) == (
        "Thanks - the new certificate is installed on both of our DIP adapters now.\n"
        "We restarted them at 08:55.\n\nSam"
    )


def test_html_only_message_is_converted_to_text_with_line_breaks():
    """An HTML-only reply keeps its paragraphs, breaks and list items, loses styles and the
    <blockquote> of the earlier message."""
    parsed = inbound_email_parse(eml("html_only_reply.eml"))
    assert reply_text_extract(parsed.body) == (
        "Hello,\n\nWe have re-sent the rejected messages & they went through.\n"
        "Only the 09:40 one is still missing.\n\n- 09:00 – accepted\n- 09:40 – missing\nSam"
    )


@pytest.mark.parametrize(
    "name",
    ["gmail_multipart_reply.eml", "outlook_reply_not_fixed.eml", "reply_with_attachments.eml"],
)
def test_html_twin_of_a_multipart_reply_gives_the_same_text(name):
    """Were the plain part missing, the HTML part would give the same reply: quotes sit in
    <blockquote>, Outlook's <hr> and From:/Sent: block and Gmail's signature div go too."""
    message = email.message_from_bytes(eml(name), policy=email.policy.default)
    html = message.get_body(preferencelist=("html",)).get_content()
    from_html = reply_text_extract(html_to_text(html))
    from_plain = reply_text_extract(inbound_email_parse(eml(name)).body)
    assert from_html.split() == from_plain.split()


def test_forward_keeps_the_forwarded_message_but_not_its_history():
    """A forward passes information on: the forwarded header and text stay, the forwarded
    message's own quoted history does not."""
    parsed = inbound_email_parse(eml("forwarded_by_colleague.eml", FROM="pat.parent@example.com"))
    assert parsed.is_forward
    text = reply_text_extract(parsed.body, forward=True)
    assert text.startswith("Sam is on leave this week")
    assert (
        "---------- Forwarded message ----------\nFrom: DIP Operations <dip.ops@example.com>"
        in text
    )
    assert text.endswith("The adapter was restarted at 16:58 and the queue drained by 17:03.")
    assert "Can you restart the adapter" not in text


@pytest.mark.parametrize(
    ("body", "forward", "expected"),
    [
        (
            "Note for you\n\n---------- Forwarded message ---------\nFrom: A <a@x.example>\n"
            "Date: today\n\nForwarded body",
            False,
            "Note for you\n\n---------- Forwarded message ----------\nFrom: A <a@x.example>\n"
            "Date: today\n\nForwarded body",
        ),
        (
            "Reply\n\nFrom: Desk\nSent: today\n\n---------- Forwarded message ---------\n"
            "From: B\n\nold",
            False,
            "Reply",
        ),
        (
            "FYI\n\nFrom: Ops <ops@x.example>\nSent: 27 November 2026 16:59\nTo: Sam\n"
            "Subject: restart\n\nRestarted at 16:58.\n\nFrom: Sam\nSent: earlier\n\nplease restart",
            True,
            "FYI\n\n---------- Forwarded message ----------\nFrom: Ops <ops@x.example>\n"
            "Sent: 27 November 2026 16:59\nTo: Sam\nSubject: restart\n\nRestarted at 16:58.",
        ),
    ],
)
def test_forwards_are_recognised_by_subject_or_by_their_marker(body, forward, expected):
    """A 'Forwarded message' marker as the first boundary is a forward; one buried in the
    history of a reply is not. An Outlook 'FW:' forward keeps its From:/Sent: header."""
    assert reply_text_extract(body, forward=forward) == expected


def test_mobile_footer_ends_the_reply():
    parsed = inbound_email_parse(
        eml(
            "iphone_reply.eml",
            SUBJECT="[CS0000042] Your case has been resolved",
            BODY="Looks good now.",
            STATUS="Resolved",
        )
    )
    assert reply_text_extract(parsed.body) == "Looks good now."


def test_attachments_are_found_with_their_names_and_types():
    parsed = inbound_email_parse(eml("reply_with_attachments.eml"))
    assert [(a.name, a.content_type) for a in parsed.attachments] == [
        ("dip-console.png", "image/png"),
        ("dip-fix-tool.exe", "application/octet-stream"),
    ]
    assert parsed.attachments[0].data.startswith(b"\x89PNG")
    assert parsed.attachments[1].data.startswith(b"MZ")


def test_automatic_replies_are_recognised():
    assert inbound_email_parse(eml("out_of_office.eml")).automatic.startswith("automatic message")
    plain = inbound_email_parse(eml("outlook_original_message.eml"))
    assert plain.automatic == ""


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "Top reply.\n\nOn Mon, 1 Dec 2026 at 09:00, Desk <d@x> wrote:\n> old\n> older",
            "Top reply.",
        ),
        (
            "On Mon, 1 Dec 2026 at 09:00, Desk <d@x> wrote:\n> Which adapter?\n\nThe second one.\n"
            "> Since when?\nSince Monday.",
            "The second one.\nSince Monday.",
        ),
        ("Reply\n-- \nSam\nPhone 0123", "Reply"),
        ("Reply\n\nGet Outlook for Android\n\nFrom: Desk\nSent: today", "Reply"),
        ("First\n\n-----Original Message-----\nFrom: x", "First"),
        ("From my side it works.\nThanks", "From my side it works.\nThanks"),
        ("> only quoted\n> text", ""),
        ("", ""),
    ],
)
def test_reply_text_extract_rules(body, expected):
    """Interleaved answers under a '>' quote are kept; everything quoted is dropped; a 'From:'
    line not followed by Sent:/Date: is the sender's own text."""
    assert reply_text_extract(body) == expected


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        ("RE: [CS0000042] Your case has been resolved", "Not fixed I'm afraid", REJECT),
        ("Re: [CS0000042] Your case has been resolved", "It isn’t resolved, same error", REJECT),
        ("Re: [CS0000042] Your case has been resolved", "Still broken this morning.", REJECT),
        ("Re: [CS0000042] Your case has been resolved", "It still doesn't work", REJECT),
        ("Re: [CS0000042] Your case has been resolved", "Please reopen.", REJECT),
        ("Re: [CS0000042] REJECT", "", REJECT),
        ("Re: [CS0000042] Your case has been resolved", "I confirm it is fixed, thanks", CONFIRM),
        ("Re: [CS0000042] Confirmed", "Thanks", CONFIRM),
        ("Re: [CS0000042] Your case has been resolved", "Resolved, thanks!", COMMENT),
        ("Re: [CS0000042] Your case has been resolved", "I can't confirm yet, testing", COMMENT),
        ("Re: [CS0000042] Your case has been resolved", "Can't confirm: still failing", REJECT),
        (
            "Re: [CS0000042] Your case has been resolved",
            "Thanks.\nNot fixed on the 2nd line",
            COMMENT,
        ),
    ],
)
def test_resolution_decision(subject, text, expected):
    """§10.3: rejection words in the subject or the first line reopen; an explicit, un-negated
    'confirm' closes; anything else is a comment. Rejection wins over confirmation."""
    assert resolution_decision(subject=subject, text=text) == expected


def test_subject_clean_drops_prefixes_and_numbers():
    assert subject_clean("RE: Fwd: [CS0000042] Your case has been resolved") == (
        "Your case has been resolved"
    )


@pytest.mark.parametrize(
    "raw", [b"", b"   \n", b"this is not an email at all", b"Subject: no sender\n\nhello"]
)
def test_input_that_is_not_an_email_is_unreadable(raw):
    with pytest.raises(InboundEmailUnreadable):
        inbound_email_parse(raw)


def test_missing_message_id_gets_a_stable_synthetic_one():
    """Re-delivery adds Received headers but keeps sender, date, subject and body."""
    message = b"From: sam@example.com\nSubject: Re: [CS0000042] x\nDate: Thu, 27 Nov 2026 10:00:00 +0000\n\nHello\n"
    first = inbound_email_parse(message).message_id
    again = inbound_email_parse(
        b"Received: from relay2 by mx; Thu, 27 Nov 2026 10:05:00 +0000\n" + message
    )
    assert first == again.message_id and first.endswith("@inbound.invalid>")
