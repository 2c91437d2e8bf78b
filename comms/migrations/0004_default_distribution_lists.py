"""The lists that exist by default: Major Incident comms (§5.19, §5.21) and CAB members (§8.9.7)."""

from django.db import migrations

LISTS = [
    {
        "name": "Major Incident comms",
        "description": (
            "Business and impact updates on the progress and resolution of a Major Incident "
            "(§5.19, Appendix G)."
        ),
        "recipient_group": "Service users and MHHS stakeholders",
        "delivery_method": "email",
        "open_to_requests": True,
    },
    {
        "name": "CAB members",
        "description": "The Change Advisory Board: agenda and decisions (§8.9).",
        "recipient_group": "CAB members",
        "delivery_method": "email",
        "open_to_requests": False,
    },
]


def seed(apps, schema_editor):
    DistributionList = apps.get_model("comms", "DistributionList")
    for fields in LISTS:
        DistributionList.objects.get_or_create(name=fields["name"], defaults=fields)


def unseed(apps, schema_editor):
    DistributionList = apps.get_model("comms", "DistributionList")
    DistributionList.objects.filter(
        name__in=[fields["name"] for fields in LISTS],
        members__isnull=True,
        membership_requests__isnull=True,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("comms", "0003_lists_and_notification_centre")]

    operations = [migrations.RunPython(seed, unseed)]
