"""Recompute SLA clocks from ticket history and report where the stored clocks differ (§3.10).

    manage.py sla_recompute CS0000012 INC0000003   # chosen tickets
    manage.py sla_recompute --all                  # every ticket that can have clocks
    manage.py sla_recompute --all --fix            # and overwrite the stored clocks

Exits with status 1 when differences were found and not fixed, so it can run in a check job.
The tickets are those of every registered ticket type (`tickets.registry`); a number is
matched to its type by its prefix.
"""

from django.core.management.base import BaseCommand, CommandError

from sla.replay import clock_differences, clocks_rebuild
from tickets.registry import ticket_type_for_number, ticket_types


class Command(BaseCommand):
    help = "Recompute SLA clocks from ticket history and report differences from the stored ones."

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="*", help="Ticket numbers (CS0000012, INC0000003).")
        parser.add_argument(
            "--all",
            dest="every",
            action="store_true",
            help="Every ticket of every registered type (cases, incidents).",
        )
        parser.add_argument("--fix", action="store_true", help="Overwrite differing clocks.")

    def handle(self, *args, numbers, every, fix, **options):
        if not numbers and not every:
            raise CommandError("Give ticket numbers, or --all.")
        tickets = list(self._tickets(numbers)) if numbers else None
        checked = differing = 0
        for ticket in tickets if tickets is not None else self._all_tickets():
            checked += 1
            differences = clock_differences(ticket)
            if not differences:
                continue
            differing += 1
            self.stdout.write(f"{ticket.number}: {len(differences)} difference(s)")
            for difference in differences:
                self.stdout.write(f"  {difference}")
            if fix:
                clocks_rebuild(ticket)
                self.stdout.write(f"  fixed: clocks of {ticket.number} rebuilt from its history")
        summary = f"{checked} ticket(s) checked, {differing} with differences"
        if fix and differing:
            summary += ", all fixed"
        self.stdout.write(summary)
        if differing and not fix:
            raise SystemExit(1)

    def _tickets(self, numbers):
        missing = []
        for number in numbers:
            number = number.strip().upper()
            ticket_type = ticket_type_for_number(number)
            ticket = (
                ticket_type.model.objects.filter(number=number).first() if ticket_type else None
            )
            if ticket is None:
                missing.append(number)
            else:
                yield ticket
        if missing:
            raise CommandError(f"No such ticket: {', '.join(missing)}")

    def _all_tickets(self):
        for ticket_type in ticket_types():
            yield from ticket_type.model.objects.order_by("pk").iterator(chunk_size=500)
