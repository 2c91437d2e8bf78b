"""Integration accounts may raise and read incidents over the API, within their tokens' areas."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0005_assignments_engagement_check_reports"),
        ("accounts", "0017_major_incident_roles"),
    ]

    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
