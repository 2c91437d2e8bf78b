"""Create the roles of docs/architecture.md §9 as groups with their permissions."""

from django.db import migrations

from accounts.migrations._role_sync import sync_roles_so_far as create_roles


def remove_roles(apps, schema_editor):
    from accounts.roles import ROLE_PERMISSIONS

    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("cases", "0002_initial"),
        ("incidents", "0002_initial"),
        ("tickets", "0001_initial"),
        ("comms", "0001_initial"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
