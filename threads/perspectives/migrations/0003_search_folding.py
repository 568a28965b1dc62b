"""The perspectives' search vectors in the ``samenleven`` configuration (accents folded,
threads migration 0007), as ``actions._update_search_vector`` now writes them."""

from django.db import migrations

INSTALL = [
    """
    UPDATE perspectives_perspectiveversion SET search_vector =
        setweight(to_tsvector('public.samenleven'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('public.samenleven'::regconfig, coalesce(summary, '')), 'B')
        || setweight(to_tsvector('public.samenleven'::regconfig, coalesce(text, '')), 'C')
    WHERE search_vector IS NOT NULL
    """
]
UNINSTALL = [
    """
    UPDATE perspectives_perspectiveversion SET search_vector =
        setweight(to_tsvector('pg_catalog.dutch'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('pg_catalog.dutch'::regconfig, coalesce(summary, '')), 'B')
        || setweight(to_tsvector('pg_catalog.dutch'::regconfig, coalesce(text, '')), 'C')
    WHERE search_vector IS NOT NULL
    """
]


def run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("perspectives", "0002_search_index"), ("threads", "0007_search_folding")]

    operations = [migrations.RunPython(run_on_postgresql(INSTALL), run_on_postgresql(UNINSTALL))]
