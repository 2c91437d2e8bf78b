"""Roles gain the knowledge permissions of accounts.roles (§11, §12): every staff role reads
staff-only articles and drafts; the knowledge manager approves, publishes and retires."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0001_initial"),
        ("problems", "0002_problem_roles"),
    ]

    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
