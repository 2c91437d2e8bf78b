"""Roles gain the problem permissions of accounts.roles (§6): raising for the desk, incident
and service managers, working for problem managers and resolvers of the assigned group."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0001_initial"),
        ("accounts", "0017_major_incident_roles"),
    ]

    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
