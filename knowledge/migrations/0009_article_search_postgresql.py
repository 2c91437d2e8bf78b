"""Full-text search on PostgreSQL (§11.1, §11.2.2): a stored, weighted tsvector (title A,
summary B, body C) kept by the database itself as a generated column, a GIN index over it, and
pg_trgm with a trigram index on titles for typing mistakes in short queries. On any other
database nothing is done: `knowledge.search` then uses its portable fallback.

The column is not a model field: the ORM never writes it and `knowledge.search` reads it
through SQL of its own on PostgreSQL only.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    ALTER TABLE knowledge_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
    ) STORED
    """,
    "CREATE INDEX article_search_vector ON knowledge_article USING gin (search_vector)",
    "CREATE INDEX article_title_trgm ON knowledge_article USING gin (title gin_trgm_ops)",
]

BACKWARD = [
    "DROP INDEX IF EXISTS article_title_trgm",
    "DROP INDEX IF EXISTS article_search_vector",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS search_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0008_article_feedback")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
