"""The words of article titles on PostgreSQL, for typing mistakes (§11.2.2; issue 12: search
over 100,000 articles under 50 ms at p95): one row per distinct lower-case word of three
letters or more in any title, with a trigram index, kept by the database itself (a statement
trigger on insert, a row trigger when a title changes). A misspelt word is matched against
these few thousand words rather than against every title, as the pg_trgm documentation
suggests for spelling suggestions; `knowledge.search` then searches the titles for the words
found. A word is never removed: one left by a changed or retired title only proposes a word
that finds nothing, and the search then compares titles by trigram similarity as before.
Nothing on other databases.
"""

from django.db import migrations

_WORDS_OF = (
    "SELECT DISTINCT word FROM {source}, "
    "regexp_split_to_table(lower({source}.title), '[^[:alnum:]]+') AS word "
    "WHERE length(word) >= 3"
)

FORWARD = [
    "CREATE TABLE knowledge_title_word (word text PRIMARY KEY)",
    "CREATE INDEX knowledge_title_word_trgm ON knowledge_title_word USING gin (word gin_trgm_ops)",
    f"""
    CREATE FUNCTION knowledge_title_words_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO knowledge_title_word (word)
        {_WORDS_OF.format(source="new_articles")}
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    f"""
    CREATE FUNCTION knowledge_title_word_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO knowledge_title_word (word)
        SELECT DISTINCT word FROM regexp_split_to_table(lower(NEW.title), '[^[:alnum:]]+') AS word
        WHERE length(word) >= 3
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER knowledge_title_words_insert AFTER INSERT ON knowledge_article
    REFERENCING NEW TABLE AS new_articles
    FOR EACH STATEMENT EXECUTE FUNCTION knowledge_title_words_add()
    """,
    """
    CREATE TRIGGER knowledge_title_word_update AFTER UPDATE OF title ON knowledge_article
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION knowledge_title_word_add()
    """,
    f"INSERT INTO knowledge_title_word (word) {_WORDS_OF.format(source='knowledge_article')}"
    " ON CONFLICT DO NOTHING",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS knowledge_title_word_update ON knowledge_article",
    "DROP TRIGGER IF EXISTS knowledge_title_words_insert ON knowledge_article",
    "DROP FUNCTION IF EXISTS knowledge_title_word_add()",
    "DROP FUNCTION IF EXISTS knowledge_title_words_add()",
    "DROP TABLE IF EXISTS knowledge_title_word",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0010_article_lead_vector_postgresql")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
