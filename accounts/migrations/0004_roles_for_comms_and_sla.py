"""Give the roles the permissions of the comms and SLA models, and add the integration role."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_service_desk_directory"),
        ("comms", "0004_default_distribution_lists"),
        ("sla", "0002_seed_definitions"),
    ]
    # "So far": roles.py is today's list, and permissions of models added by later migrations
    # (the security log, tokens) do not exist yet here; a later migration syncs them.
    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
