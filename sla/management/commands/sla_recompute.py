"""Recompute SLA clocks from ticket history and report where the stored clocks differ (§3.10).

    manage.py sla_recompute CS0000012 INC0000003   # chosen tickets
    manage.py sla_recompute --all                  # every ticket that can have clocks
    manage.py sla_recompute --all --fix            # and overwrite the stored clocks

Exits with status 1 when differences were found and not fixed, so it can run in a check job.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from sla.models import SLADefinition
from sla.replay import clock_differences, clocks_rebuild


def _ticket_models():
    models = []
    for kind in SLADefinition.TicketKind.values:
        model = next((m for m in apps.get_models() if m._meta.model_name == kind), None)
        if model is not None:
            models.append(model)
    return models


class Command(BaseCommand):
    help = "Recompute SLA clocks from ticket history and report differences from the stored ones."

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="*", help="Ticket numbers (CS0000012, INC0000003).")
        parser.add_argument(
            "--all", dest="every", action="store_true", help="Every case and incident."
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
        by_prefix = {model.NUMBER_PREFIX: model for model in _ticket_models()}
        missing = []
        for number in numbers:
            number = number.strip().upper()
            model = next(
                (
                    m
                    for prefix, m in sorted(by_prefix.items(), key=lambda p: -len(p[0]))
                    if number.startswith(prefix)
                ),
                None,
            )
            ticket = model.objects.filter(number=number).first() if model else None
            if ticket is None:
                missing.append(number)
            else:
                yield ticket
        if missing:
            raise CommandError(f"No such ticket: {', '.join(missing)}")

    def _all_tickets(self):
        for model in _ticket_models():
            yield from model.objects.order_by("pk").iterator(chunk_size=500)
