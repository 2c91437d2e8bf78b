"""`manage.py ingest_email` (§10.2): one message on standard input, from a mail server pipe."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cases.models import Case
from cases.services import case_transition
from comms.models import InboundEmail, OutboundMessage
from tests.factories.cases import CaseFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"


def _reply(case: Case, name: str = "gmail_multipart_reply.eml") -> bytes:
    message_id = (
        OutboundMessage.objects.filter(ticket_id=case.pk, to_email=case.caller.email)
        .order_by("-id")
        .values_list("message_id", flat=True)
        .first()
    )
    text = (FIXTURES / name).read_text()
    for key, value in {
        "CASE": case.number,
        "FROM": case.caller.email,
        "IN_REPLY_TO": message_id,
    }.items():
        text = text.replace("{{" + key + "}}", value)
    return text.encode()


def _run(stdin, *args) -> str:
    out = io.StringIO()
    call_command("ingest_email", *args, stdin=stdin, stdout=out)
    return out.getvalue()


def test_reply_on_stdin_resumes_an_awaiting_caller_case(org_user, agent):
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    case = case_transition(
        case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER
    )
    output = _run(io.BytesIO(_reply(case)))
    case.refresh_from_db()
    assert output.startswith("attached: Comment added to " + case.number)
    assert case.state == Case.State.IN_PROGRESS
    assert InboundEmail.objects.get().source == InboundEmail.Source.PIPE


def test_text_stdin_and_json_output(org_user):
    case = CaseFactory(caller=org_user)
    output = _run(io.StringIO(_reply(case).decode()), "--json")
    assert json.loads(output)["status"] == "attached"
    assert json.loads(output)["ticket"] == case.number


def test_file_option_reads_the_message_from_a_file(org_user, tmp_path):
    case = CaseFactory(caller=org_user)
    path = tmp_path / "reply.eml"
    path.write_bytes(_reply(case))
    assert _run(io.BytesIO(b""), "--file", str(path)).startswith("attached:")


def test_refused_message_exits_zero_and_is_logged(org_user):
    """A refused message must not bounce back to a possibly forged sender: exit 0, logged."""
    case = CaseFactory(caller=org_user)
    output = _run(io.BytesIO(_reply(case, "unknown_sender.eml")))
    assert output.startswith("refused: Unknown sender")
    assert InboundEmail.objects.get().status == InboundEmail.Status.REFUSED


def test_duplicate_exits_zero(org_user):
    case = CaseFactory(caller=org_user)
    raw = _reply(case)
    _run(io.BytesIO(raw))
    assert _run(io.BytesIO(raw)).startswith("duplicate:")


@pytest.mark.parametrize("raw", [b"", b"hello, this is not an email\n"])
def test_unreadable_input_fails_with_a_clear_message(raw):
    with pytest.raises(CommandError, match="Unreadable input") as failure:
        _run(io.BytesIO(raw))
    assert failure.value.returncode == 65  # EX_DATAERR: the mail server bounces it
    assert not InboundEmail.objects.exists()
