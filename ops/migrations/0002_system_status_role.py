"""Service managers see the console's system status page (issue 14)."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("ops", "0001_initial"),
        ("accounts", "0017_major_incident_roles"),
        ("access", "0003_token_rate_per_minute"),
        ("cases", "0014_triage_outcome_change"),
        ("changes", "0005_schedule"),
        ("comms", "0013_outbound_message_headers"),
        ("incidents", "0006_integration_role_raises_incidents"),
        ("knowledge", "0011_article_title_words_postgresql"),
        ("major_incidents", "0003_review_skip_and_reopen"),
        ("problems", "0004_problem_known_error_article"),
        ("sla", "0005_plain_words"),
        ("tickets", "0009_ticketlink_case_change"),
    ]

    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
