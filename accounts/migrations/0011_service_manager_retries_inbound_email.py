"""Service managers retry failed inbound emails in the console: sync the roles."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_organisation_only_for_participants"),
        ("comms", "0006_inbound_email_failed"),
        ("access", "0002_service_manager_token_permissions"),
    ]
    operations = [migrations.RunPython(_role_sync.sync_roles, migrations.RunPython.noop)]
