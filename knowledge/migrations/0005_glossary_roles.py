"""The knowledge manager keeps the glossary (§11.2.1); knowledge and service managers see the
self-help deflection report (§11.2.2): roles gain those permissions of accounts.roles."""

from django.db import migrations

from accounts.migrations import _role_sync


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0004_glossary_appendix_a")]

    operations = [migrations.RunPython(_role_sync.sync_roles_so_far, migrations.RunPython.noop)]
