"""Service managers retry failed inbound emails in the console: sync the roles."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0010_organisation_only_for_participants"),
        ("comms", "0006_inbound_email_failed"),
        ("access", "0002_service_manager_token_permissions"),
    ]
    # Only the permissions that exist so far: on a fresh database the roles also name
    # permissions of models that later migrations create (registration requests, 0012), which
    # those migrations' own syncs give; tests/accounts/test_roles_and_attachment.py checks the
    # final set.
    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
