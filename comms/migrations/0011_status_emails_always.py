"""Status-update emails are no longer optional (§10.2): opt-outs stored while they were are
dropped, so the table says what delivery does (`comms.centre` ignores them anyway)."""

from django.db import migrations

# The events that became mandatory, as `comms.centre.EVENTS` names them.
NOW_MANDATORY = ("case_status_changed", "ticket_status_changed")


def reset_status_opt_outs(apps, schema_editor):
    NotificationPreference = apps.get_model("comms", "NotificationPreference")
    NotificationPreference.objects.filter(event__in=NOW_MANDATORY, email_enabled=False).delete()


class Migration(migrations.Migration):
    dependencies = [("comms", "0010_list_request_person_required")]

    operations = [migrations.RunPython(reset_status_opt_outs, migrations.RunPython.noop)]
