"""Reference rows that data migrations create (roles, categories, number sequences, the desk
directory). Transactional tests flush the database afterwards, so they put these back first."""

import importlib

from django.apps import apps

SEEDS = [
    ("accounts.migrations._role_sync", "sync_roles"),
    ("tests.reference_data", "seed_service_desks"),
    ("tickets.migrations.0002_categories_and_sequences", "seed"),
    ("tickets.migrations.0007_seed_services_and_subcategories", "seed"),
    ("comms.migrations.0004_default_distribution_lists", "seed"),
    ("comms.migrations.0012_plain_words", "plain_descriptions"),
    ("knowledge.migrations.0004_glossary_appendix_a", "seed"),
]


def seed_service_desks(apps, schema_editor) -> None:
    """The desk directory as its migrations leave it: the first desks (0003) with their free-text
    hours made structured (0013), then Appendix H (0015)."""
    first = importlib.import_module("accounts.migrations.0003_service_desk_directory")
    structured = importlib.import_module("accounts.migrations.0013_service_desk_hours_from_text")
    appendix_h = importlib.import_module("accounts.migrations.0015_service_desk_appendix_h")
    ServiceDesk = apps.get_model("accounts", "ServiceDesk")
    for desk in first.DESKS:
        values = dict(desk)
        values.update(structured.hours_from_text(values.pop("service_hours", "")))
        values.update(structured.out_of_hours_from_text(values.pop("out_of_hours_contact", "")))
        ServiceDesk.objects.update_or_create(name=values.pop("name"), defaults=values)
    appendix_h.seed(apps, schema_editor)


def ensure_reference_data() -> None:
    from tickets.models import Category

    if Category.objects.exists():
        return
    for module_name, function in SEEDS:
        getattr(importlib.import_module(module_name), function)(apps, None)
