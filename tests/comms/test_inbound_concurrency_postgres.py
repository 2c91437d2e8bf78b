"""The same inbound email delivered to several workers at once is acted on once (PostgreSQL)."""

import threading
from pathlib import Path

import pytest
from django.db import connection, connections

from cases.models import Case
from cases.services import case_transition
from comms.inbound import inbound_email_process
from comms.models import InboundEmail, OutboundMessage
from tests.factories.cases import CaseFactory
from tickets.models import JournalEntry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent inserts are exercised on PostgreSQL"
    ),
]

FIXTURES = Path(__file__).parent / "fixtures"


def test_simultaneous_deliveries_of_one_message_act_once(org_user, agent):
    """A mail server retry, the IMAP poller and the API racing with one message: the unique
    Message-ID makes one of them act and the others report a duplicate."""
    case = case_transition(case=CaseFactory(caller=org_user), actor=agent, name="start")
    case = case_transition(
        case=case, actor=agent, name="hold", reason=Case.HoldReason.AWAITING_CALLER
    )
    sent = OutboundMessage.objects.filter(
        ticket_id=case.pk, template="case_information_requested"
    ).get()
    text = (FIXTURES / "gmail_multipart_reply.eml").read_text()
    for key, value in {
        "CASE": case.number,
        "FROM": org_user.email,
        "IN_REPLY_TO": sent.message_id,
    }.items():
        text = text.replace("{{" + key + "}}", value)
    raw = text.encode()

    workers = 4
    barrier = threading.Barrier(workers)
    results: list = [None] * workers

    def runner(i: int) -> None:
        try:
            barrier.wait()
            results[i] = inbound_email_process(raw=raw).status
        except Exception as exc:  # noqa: BLE001 - the outcome is what we assert on
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(results) == ["attached"] + ["duplicate"] * (workers - 1), results
    assert InboundEmail.objects.count() == 1
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.COMMENT).count() == 1
    case.refresh_from_db()
    assert case.state == Case.State.IN_PROGRESS
