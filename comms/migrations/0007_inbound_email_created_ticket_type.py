"""The follow-up a reply opened may be of any ticket type: `InboundEmail.created_ticket_type`
beside the existing `created_case_id` (issue 8). Until now only cases opened follow-ups, so
every recorded one is a case."""

import django.db.models.deletion
from django.db import migrations, models


def existing_follow_ups_are_cases(apps, schema_editor):
    InboundEmail = apps.get_model("comms", "InboundEmail")
    ContentType = apps.get_model("contenttypes", "ContentType")
    rows = InboundEmail.objects.using(schema_editor.connection.alias).filter(
        created_case_id__isnull=False, created_ticket_type__isnull=True
    )
    if not rows.exists():
        return
    case_type, _ = ContentType.objects.using(schema_editor.connection.alias).get_or_create(
        app_label="cases", model="case"
    )
    rows.update(created_ticket_type=case_type)


class Migration(migrations.Migration):
    dependencies = [
        ("comms", "0006_inbound_email_failed"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundemail",
            name="created_ticket_type",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="contenttypes.contenttype",
            ),
        ),
        migrations.RunPython(existing_follow_ups_are_cases, migrations.RunPython.noop),
    ]
