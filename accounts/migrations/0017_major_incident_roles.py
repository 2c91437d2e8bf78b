"""Roles gain the permissions of major-incident management, services and subcategories."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0016_registration_request"),
        ("major_incidents", "0001_initial"),
        ("tickets", "0007_seed_services_and_subcategories"),
    ]

    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
