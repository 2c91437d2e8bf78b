"""`manage.py ingest_email`: one RFC 822 message from standard input, for a mail server pipe.

Postfix example (master.cf):
    mhhs unix - n n - - pipe flags=Rq user=mhhs argv=/srv/mhhs/.venv/bin/python
        /srv/mhhs/manage.py ingest_email

Exit status follows sysexits, which mail servers understand: 0 when the message was
processed or refused and logged (a refused message must not bounce back to a possibly
forged sender); 65 (EX_DATAERR, bounced) when the input is not an email; 75 (EX_TEMPFAIL,
the mail server keeps the message and tries again) when the database is unavailable.
"""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from comms.inbound import InboundEmailUnreadable, inbound_email_process
from comms.models import InboundEmail

EX_DATAERR = 65
EX_TEMPFAIL = 75


def _read_bytes(stream) -> bytes:
    source = getattr(stream, "buffer", stream)
    data = source.read()
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return data


class Command(BaseCommand):
    help = "Read one email (RFC 822) from standard input and apply it as a reply by email (§10.2)."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", help="Read the message from this file instead of standard input."
        )
        parser.add_argument(
            "--json", action="store_true", help="Print the outcome as JSON instead of one line."
        )

    def handle(self, *args, **options):
        if options.get("file"):
            with open(options["file"], "rb") as handle:
                raw = handle.read()
        else:
            raw = _read_bytes(options.get("stdin") or sys.stdin)
        try:
            outcome = inbound_email_process(raw=raw, source=InboundEmail.Source.PIPE)
        except InboundEmailUnreadable as exc:
            raise CommandError(f"Unreadable input: {exc.message}", returncode=EX_DATAERR) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"The database is unavailable ({exc}); the mail server should try again later.",
                returncode=EX_TEMPFAIL,
            ) from exc
        if options.get("json"):
            self.stdout.write(json.dumps(outcome.as_dict()))
        else:
            self.stdout.write(outcome.summary())
