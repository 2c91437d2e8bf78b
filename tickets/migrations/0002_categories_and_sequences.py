"""Seed the §5.16 categories, "MHHS Service Request" (§7.1) and the number sequences."""

from django.db import migrations

CATEGORIES = [
    ("Settlement Services", "Incidents related to core settlement functions.", False),
    ("Data Submission", "Issues concerning data submitted by participants or collected via systems.", False),
    ("Market Systems", "Technical issues related to the systems supporting the MHHS.", False),
    ("Participant Issues", "Issues reported by market participants, such as suppliers, generators, or data providers.", False),
    ("Data Aggregation and Reporting", "Incidents related to aggregation, reporting, or reconciliation of market data.", False),
    ("Regulatory Compliance", "Issues related to ensuring compliance with regulatory requirements for market settlements.", False),
    ("Security", "Security-related incidents affecting MHHS operations or participant systems.", False),
    ("Communications", "Issues regarding communication channels or notifications.", False),
    ("Change Management", "Incidents arising from planned or unplanned changes in the system.", False),
    ("Third-Party Services", "Incidents related to third-party systems or services supporting the MHHS process.", False),
    ("MHHS Service Request", "A request for a service, access, data or a report (§7.1).", True),
]
PREFIXES = ["CS", "INC", "PRB", "CHG", "KB"]


def seed(apps, schema_editor):
    Category = apps.get_model("tickets", "Category")
    for order, (name, description, is_request) in enumerate(CATEGORIES, start=1):
        Category.objects.update_or_create(
            name=name,
            defaults={"description": description, "is_service_request": is_request, "sort_order": order * 10},
        )
    Sequence = apps.get_model("tickets", "TicketSequence")
    for prefix in PREFIXES:
        Sequence.objects.get_or_create(prefix=prefix)


def unseed(apps, schema_editor):
    apps.get_model("tickets", "Category").objects.filter(name__in=[c[0] for c in CATEGORIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
