"""Reference rows that data migrations create (roles, categories, number sequences, the desk
directory). Transactional tests flush the database afterwards, so they put these back first."""

import importlib

from django.apps import apps

SEEDS = [
    ("accounts.migrations._role_sync", "sync_roles"),
    ("accounts.migrations.0003_service_desk_directory", "seed"),
    ("tickets.migrations.0002_categories_and_sequences", "seed"),
    ("comms.migrations.0004_default_distribution_lists", "seed"),
    ("comms.migrations.0008_plain_words", "plain_descriptions"),
]


def ensure_reference_data() -> None:
    from tickets.models import Category

    if Category.objects.exists():
        return
    for module_name, function in SEEDS:
        getattr(importlib.import_module(module_name), function)(apps, None)
