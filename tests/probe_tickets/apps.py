from django.apps import AppConfig


class ProbeTicketsConfig(AppConfig):
    name = "tests.probe_tickets"
    label = "probe_tickets"
    verbose_name = "Probe tickets (test suite only)"
    default_auto_field = "django.db.models.BigAutoField"
