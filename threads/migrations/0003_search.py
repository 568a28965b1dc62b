"""Full-text search: the posts' search vector, kept current by triggers, with a GIN
index (PostgreSQL only), and the staff-curated synonyms.

The vector of a post is its plain text (weight B) and, for the opening post, the
thread's title (weight A), in the 'dutch' configuration. Triggers keep it current
whatever writes the rows (the actions, bulk seeding, the admin, raw SQL):

- ``threads_post_search`` (BEFORE INSERT, or UPDATE OF text/number/thread_id on
  threads_post) computes the vector of the row being written;
- ``threads_thread_search`` (AFTER UPDATE OF title on threads_thread, when the title
  really changed) recomputes the vector of the thread's opening post.

Each vector also holds one lexeme that no text can produce, ``~e<id // 1000>``: the
"era" of the post (threads.search.engine.ERA). A search among the recent posts adds
``& ('~e199' | '~e198' | ...)`` to its query, so the search index alone leaves out the
older posts, whatever the planner estimates (it underestimates words that go together).
Ranking and snippets use the query without it.

A second GIN index, on the expression ``to_tsvector('dutch', title)`` of threads, finds
threads by title without touching posts. On SQLite the column stays NULL and the search falls back to LIKE (threads/search/).
"""

import django.contrib.postgres.search
import django.db.models.functions.text
from django.db import migrations, models

INSTALL = [
    """
    CREATE FUNCTION threads_search_document(post_id bigint, title text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('pg_catalog.dutch'::regconfig, coalesce(title, '')), 'A')
            || setweight(to_tsvector('pg_catalog.dutch'::regconfig, coalesce(body, '')), 'B')
            || array_to_tsvector(ARRAY['~e' || (post_id / 1000)::text])
    $$
    """,
    """
    CREATE FUNCTION threads_post_search_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := threads_search_document(
            NEW.id,
            CASE WHEN NEW.number = 1 THEN (SELECT title FROM threads_thread WHERE id = NEW.thread_id) END,
            NEW.text
        );
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER threads_post_search
    BEFORE INSERT OR UPDATE OF text, number, thread_id ON threads_post
    FOR EACH ROW EXECUTE FUNCTION threads_post_search_update()
    """,
    """
    CREATE FUNCTION threads_thread_search_update() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE threads_post SET search_vector = threads_search_document(id, NEW.title, text)
        WHERE thread_id = NEW.id AND number = 1;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER threads_thread_search
    AFTER UPDATE OF title ON threads_thread
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION threads_thread_search_update()
    """,
    # Keep the vector in the row (compressed if need be) rather than out of line in
    # TOAST, where every match would cost extra page reads; the long text columns are
    # moved out first.
    "ALTER TABLE threads_post ALTER COLUMN search_vector SET STORAGE MAIN",
    # Posts written before this migration.
    """
    UPDATE threads_post AS post
    SET search_vector = threads_search_document(post.id, CASE WHEN post.number = 1 THEN thread.title END, post.text)
    FROM threads_thread AS thread
    WHERE thread.id = post.thread_id
    """,
    "CREATE INDEX threads_post_search_vector ON threads_post USING gin (search_vector)",
    # Threads whose title matches, found without reading posts (threads.search.engine.TitleVector).
    "CREATE INDEX threads_thread_title_search ON threads_thread USING gin (to_tsvector('pg_catalog.dutch'::regconfig, title))",
]

UNINSTALL = [
    "DROP INDEX IF EXISTS threads_thread_title_search",
    "DROP INDEX IF EXISTS threads_post_search_vector",
    "DROP TRIGGER IF EXISTS threads_thread_search ON threads_thread",
    "DROP TRIGGER IF EXISTS threads_post_search ON threads_post",
    "DROP FUNCTION IF EXISTS threads_thread_search_update()",
    "DROP FUNCTION IF EXISTS threads_post_search_update()",
    "DROP FUNCTION IF EXISTS threads_search_document(bigint, text, text)",
]


def run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("threads", "0002_initial_themes")]

    operations = [
        migrations.AddField(
            model_name="post",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True, verbose_name="search vector"),
        ),
        migrations.RunPython(run_on_postgresql(INSTALL), run_on_postgresql(UNINSTALL)),
        migrations.CreateModel(
            name="Synonym",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("term", models.CharField(max_length=100, verbose_name="term")),
                (
                    "synonyms",
                    models.TextField(
                        help_text="Separate them with commas, e.g. vergunninghouder, vergunninghouders.",
                        verbose_name="synonyms",
                    ),
                ),
                (
                    "mutual",
                    models.BooleanField(
                        default=True,
                        help_text="On: a search for any of these words finds all of them. Off: only a search for the term finds the synonyms (for a broader term such as nieuwkomer).",
                        verbose_name="works both ways",
                    ),
                ),
            ],
            options={
                "verbose_name": "synonym",
                "verbose_name_plural": "synonyms",
                "ordering": ["term"],
                "constraints": [
                    models.UniqueConstraint(django.db.models.functions.text.Lower("term"), name="synonym_term_unique_ci")
                ],
            },
        ),
    ]
