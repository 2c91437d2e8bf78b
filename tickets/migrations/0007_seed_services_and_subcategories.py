"""Seed the services of §3.5 (new) and §3.6 (existing) as configuration items, subcategories
under the §5.16 categories, and the number sequences of major incidents and circulars."""

from django.db import migrations

# (name, code, abbreviation, kind, public description)
SERVICES = [
    ("Data Integration Platform", "dip", "DIP", "new",
     "Message exchange between market participants and central services."),
    ("Industry Standing Data", "isd", "ISD", "new", "Reference data used across settlement."),
    ("Load Shape Service", "lss", "LSS", "new", "Load shapes for half-hourly settlement."),
    ("Market-wide Data Service", "mds", "MDS", "new", "Market-wide settlement data."),
    ("Volume Allocation Service", "vas", "VAS", "new", "Allocation of volumes to suppliers."),
    ("Settlement Operations", "settlement-operations", "", "new",
     "Running the settlement calendar and runs."),
    ("Central Registration Agent", "cra", "CRA", "existing",
     "Registration of market participants and their roles."),
    ("Funds Administration Agent", "faa", "FAA", "existing",
     "Funds transfer for trading charges."),
    ("Central Data Collection Agent", "cdca", "CDCA", "existing",
     "Collection of metered data from central volume allocation meters."),
    ("Energy Contract Volume Aggregation Agent", "ecvaa", "ECVAA", "existing",
     "Aggregation of energy contract volumes."),
    ("Settlement Administration Agent", "saa", "SAA", "existing",
     "Settlement calculations and reports."),
]

# Subcategories under the §5.16 categories: where a service-desk agent needs a finer choice.
SUBCATEGORIES = {
    "Settlement Services": ["Settlement run", "Volume allocation", "Reconciliation", "Reporting"],
    "Data Submission": ["Missing data", "Rejected data", "Late data", "Duplicate data"],
    "Market Systems": ["Outage", "Performance", "Functional fault", "Access and login"],
    "Participant Issues": ["Supplier", "Distribution operator", "Agent", "Software provider"],
    "Data Aggregation and Reporting": ["Aggregation", "Report content", "Report timing"],
    "Regulatory Compliance": ["Deadline at risk", "Obligation breach"],
    "Security": ["Suspected cyberattack", "Credential leak", "Data breach", "Access misuse"],
    "Communications": ["Email", "Portal notification", "Industry circular"],
    "Change Management": ["Failed change", "Unplanned change"],
    "Third-Party Services": ["Central Switching Service", "Data Transfer Network", "Other provider"],
}


def seed(apps, schema_editor):
    Service = apps.get_model("tickets", "Service")
    for order, (name, code, abbreviation, kind, description) in enumerate(SERVICES, start=1):
        Service.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "abbreviation": abbreviation,
                "kind": kind,
                "description": description,
                "sort_order": order * 10,
            },
        )
    Category = apps.get_model("tickets", "Category")
    Subcategory = apps.get_model("tickets", "Subcategory")
    for category_name, names in SUBCATEGORIES.items():
        category = Category.objects.filter(name=category_name).first()
        if category is None:
            continue
        for order, name in enumerate(names, start=1):
            Subcategory.objects.get_or_create(
                category=category, name=name, defaults={"sort_order": order * 10}
            )
    Sequence = apps.get_model("tickets", "TicketSequence")
    for prefix in ("MI", "IC", "PRB"):
        Sequence.objects.get_or_create(prefix=prefix)


def unseed(apps, schema_editor):
    apps.get_model("tickets", "Subcategory").objects.all().delete()
    apps.get_model("tickets", "Service").objects.filter(code__in=[s[1] for s in SERVICES]).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_services_and_subcategories")]
    operations = [migrations.RunPython(seed, unseed)]
