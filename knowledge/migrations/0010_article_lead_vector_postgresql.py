"""The ranking vector on PostgreSQL (issue 12: search over 100,000 articles under 50 ms at
p95): the title (weight A) and summary (weight B) alone, a generated column small enough to
stay in the table's own pages, with a GIN index of its own. `knowledge.search` takes its
candidates from both indexes and ranks them by this vector: ranking by the whole vector reads
every matching body's vector out of TOAST, which for a common word is tens of thousands of
them. Nothing on other databases.
"""

from django.db import migrations

FORWARD = [
    """
    ALTER TABLE knowledge_article ADD COLUMN lead_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')
    ) STORED
    """,
    "CREATE INDEX article_lead_vector ON knowledge_article USING gin (lead_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS article_lead_vector",
    "ALTER TABLE knowledge_article DROP COLUMN IF EXISTS lead_vector",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0009_article_search_postgresql")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
