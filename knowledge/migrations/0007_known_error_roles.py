"""Problem managers and knowledge managers may publish a problem's known error as an article
(§6.4); knowledge managers read problems to do so (accounts.roles)."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0006_governance"),
        ("problems", "0004_problem_known_error_article"),
    ]

    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
