"""The ranking vector on PostgreSQL (issue 12: search over 100,000 articles under 50 ms at
p95): the title (weight A) and summary (weight B) alone, a generated column small enough to
stay in the table's own pages. `knowledge.search` matches on the whole `search_vector` (its GIN
index) and ranks by this one: ranking by the whole vector reads every matching body's vector
out of TOAST, which for a common word is tens of thousands of them. Nothing on other databases.
"""

from django.db import migrations

FORWARD = [
    """
    ALTER TABLE knowledge_article ADD COLUMN lead_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(summary, '')), 'B')
    ) STORED
    """,
]
BACKWARD = ["ALTER TABLE knowledge_article DROP COLUMN IF EXISTS lead_vector"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0004_article_search_postgresql")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
