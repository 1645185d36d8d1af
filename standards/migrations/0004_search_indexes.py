"""PostgreSQL search indexes; nothing to do on SQLite, which searches by substring.

- clause_search_trgm: pg_trgm GIN index for substring search (`search_text LIKE %q%`),
  which is how Chinese (no spaces between words) and partial words are found.
- clause_search_fts_en / clause_search_fts_ru: full-text search with English and Russian
  stemming (standards.search.clause_matches builds the same expressions).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS clause_search_trgm ON standards_clause "
    "USING gin (search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS clause_search_fts_en ON standards_clause "
    "USING gin (to_tsvector('english'::regconfig, COALESCE(search_text, '')))",
    "CREATE INDEX IF NOT EXISTS clause_search_fts_ru ON standards_clause "
    "USING gin (to_tsvector('russian'::regconfig, COALESCE(search_text, '')))",
]
BACKWARD = [
    "DROP INDEX IF EXISTS clause_search_fts_ru",
    "DROP INDEX IF EXISTS clause_search_fts_en",
    "DROP INDEX IF EXISTS clause_search_trgm",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("standards", "0003_clause_search_text")]

    operations = [
        migrations.RunPython(run(FORWARD), run(BACKWARD)),
    ]
