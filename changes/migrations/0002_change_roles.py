"""Roles gain the change permissions of accounts.roles (§8.2, §8.7, §8.9, §8.12): raising for
service owners, project managers and service providers, deciding for the Change Manager, CAB
and (out of hours, §9.4.3) the Major Incident Manager, notifying for external parties."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0001_initial"),
        ("accounts", "0017_major_incident_roles"),
        ("problems", "0004_problem_known_error_article"),
        ("knowledge", "0010_article_lead_vector_postgresql"),
        ("major_incidents", "0003_review_skip_and_reopen"),
        ("incidents", "0006_integration_role_raises_incidents"),
        ("cases", "0013_triage_outcome_problem"),
    ]

    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
