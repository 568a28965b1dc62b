"""Full-text search of published versions (PostgreSQL only): a GIN index on the search
vector the publish action writes (title A, summary B, the other sections C, 'dutch').
On SQLite the column stays NULL and search reads the version's plain text."""

from django.db import migrations

INSTALL = ["CREATE INDEX perspectives_version_search ON perspectives_perspectiveversion USING gin (search_vector)"]
UNINSTALL = ["DROP INDEX IF EXISTS perspectives_version_search"]


def run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("perspectives", "0001_initial")]

    operations = [migrations.RunPython(run_on_postgresql(INSTALL), run_on_postgresql(UNINSTALL))]
