"""Service managers issue and revoke integration accounts' tokens: sync the roles now that the
token permissions exist."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("accounts", "0006_security_event"),
    ]
    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
