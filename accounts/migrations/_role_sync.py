"""Shared by the role migrations: make sure permissions exist, then sync each role's set."""

from django.contrib.auth.management import create_permissions


def sync_roles(apps, schema_editor, *, only_existing: bool = False):
    from accounts.roles import sync_role_permissions

    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_role_permissions(
        apps.get_model("auth", "Group"),
        apps.get_model("auth", "Permission"),
        only_existing=only_existing,
    )


def sync_roles_so_far(apps, schema_editor):
    """An early migration: models added by later migrations have no permissions yet."""
    sync_roles(apps, schema_editor, only_existing=True)
