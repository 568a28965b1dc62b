"""Search that forgives accents: the ``samenleven`` text search configuration.

It is PostgreSQL's ``dutch`` configuration (the Dutch Snowball stemmer and stop words)
with the ``unaccent`` dictionary in front of the stemmer for words with letters beyond
ASCII, so that "taalcafé" and "taalcafe", "Oekraïne" and "Oekraine" give the same
lexeme. Plain ASCII words go to the stemmer directly, as before.

The post vectors (``threads_search_document``, migration 0003) and the title index of
threads are rebuilt with it: the GIN index is dropped first and built again after the
update, which is faster than updating it row by row. After this migration on a large
database, run ``VACUUM (ANALYZE) threads_post``: every post row was rewritten.

Needs the ``unaccent`` extension, part of PostgreSQL's contrib package, and the right
to create it (the database owner can from PostgreSQL 13, it is a trusted extension).
"""

from django.db import migrations

CONFIG = "public.samenleven"

INSTALL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
    f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = pg_catalog.dutch)",
    f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING FOR word, hword, hword_part WITH public.unaccent, pg_catalog.dutch_stem",
    f"""
    CREATE OR REPLACE FUNCTION threads_search_document(post_id bigint, title text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(title, '')), 'A')
            || setweight(to_tsvector('{CONFIG}'::regconfig, coalesce(body, '')), 'B')
            || array_to_tsvector(ARRAY['~e' || (post_id / 1000)::text])
    $$
    """,
    "DROP INDEX IF EXISTS threads_post_search_vector",
    """
    UPDATE threads_post AS post
    SET search_vector = threads_search_document(post.id, CASE WHEN post.number = 1 THEN thread.title END, post.text)
    FROM threads_thread AS thread
    WHERE thread.id = post.thread_id
    """,
    "CREATE INDEX threads_post_search_vector ON threads_post USING gin (search_vector)",
    "DROP INDEX IF EXISTS threads_thread_title_search",
    f"CREATE INDEX threads_thread_title_search ON threads_thread USING gin (to_tsvector('{CONFIG}'::regconfig, title))",
]

UNINSTALL = [
    """
    CREATE OR REPLACE FUNCTION threads_search_document(post_id bigint, title text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('pg_catalog.dutch'::regconfig, coalesce(title, '')), 'A')
            || setweight(to_tsvector('pg_catalog.dutch'::regconfig, coalesce(body, '')), 'B')
            || array_to_tsvector(ARRAY['~e' || (post_id / 1000)::text])
    $$
    """,
    "DROP INDEX IF EXISTS threads_post_search_vector",
    """
    UPDATE threads_post AS post
    SET search_vector = threads_search_document(post.id, CASE WHEN post.number = 1 THEN thread.title END, post.text)
    FROM threads_thread AS thread
    WHERE thread.id = post.thread_id
    """,
    "CREATE INDEX threads_post_search_vector ON threads_post USING gin (search_vector)",
    "DROP INDEX IF EXISTS threads_thread_title_search",
    "CREATE INDEX threads_thread_title_search ON threads_thread USING gin (to_tsvector('pg_catalog.dutch'::regconfig, title))",
    # The perspectives' vectors use the configuration too (their migration 0003 goes first).
    f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}",
]


def run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("threads", "0006_thread_unread_check")]

    operations = [migrations.RunPython(run_on_postgresql(INSTALL), run_on_postgresql(UNINSTALL))]
