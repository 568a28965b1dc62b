"""The test database as every test starts from it: what the migrations put in and the
imported Dutch data, kept as a snapshot and put back after every test that committed.

Most tests run in a transaction that is rolled back. Tests that need their data committed
(the browser tests, whose live server reads the database from another process; the tests
of worker processes, sockets and locks) cannot be rolled back: Django would empty every
table after them (its ``flush``, which then sends ``post_migrate`` to make the content types
and permissions again), and the Dutch data would be gone. Putting the snapshot back instead
leaves the database as every other test expects it, so that they need not run last, and
nothing is emptied, made again or imported again.
"""

from __future__ import annotations

from typing import Any

from django.db import connections


class DatabaseSnapshot:
    """A copy of the test database, taken once after it was created, and put back.

    Putting the copy back is cheaper than what Django's transactional tests would do to get
    there (empty every table, load the serialized migrated data, import the Dutch data
    again): SQLite copies the database's pages back with its backup API (6 ms), PostgreSQL
    copies each table back from a schema of its own (35 ms). Content types and permissions
    keep their ids."""

    SCHEMA = "test_snapshot"

    def __init__(self) -> None:
        self.copies: dict[str, Any] = {}

    def take(self) -> None:
        """Copy the database as it is now."""
        import sqlite3

        for connection in connections.all():
            connection.ensure_connection()
            if connection.vendor == "sqlite":
                copy = sqlite3.connect(":memory:", check_same_thread=False)
                connection.connection.backup(copy)
                self.copies[connection.alias] = copy
            else:
                tables = self._tables(connection)
                with connection.cursor() as cursor:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {self.SCHEMA} CASCADE; CREATE SCHEMA {self.SCHEMA}")
                    for table in tables:
                        cursor.execute(f'CREATE TABLE {self.SCHEMA}."{table}" AS TABLE public."{table}"')
                self.copies[connection.alias] = tables

    def restore(self) -> None:
        from django.contrib.contenttypes.models import ContentType

        for alias, copy in self.copies.items():
            connection = connections[alias]
            connection.ensure_connection()
            if connection.vendor == "sqlite":
                copy.backup(connection.connection)
            else:
                # One transaction: Django's foreign keys are checked at its end. DELETE, not
                # TRUNCATE: on tables this small it is ten times faster.
                statements = [f'DELETE FROM public."{table}"' for table in copy] + [
                    f'INSERT INTO public."{table}" SELECT * FROM {self.SCHEMA}."{table}"' for table in copy
                ]
                with connection.cursor() as cursor:
                    cursor.execute("; ".join(["BEGIN", *statements, "COMMIT"]))
        ContentType.objects.clear_cache()

    def drop(self) -> None:
        for alias, copy in self.copies.items():
            if connections[alias].vendor == "sqlite":
                copy.close()
            else:
                with connections[alias].cursor() as cursor:
                    cursor.execute(f"DROP SCHEMA IF EXISTS {self.SCHEMA} CASCADE")
        self.copies.clear()

    @staticmethod
    def _tables(connection) -> list[str]:
        with connection.cursor() as cursor:
            return [
                table.name
                for table in connection.introspection.get_table_list(cursor)
                if table.type == "t" and table.name != "django_migrations"
            ]


#: The one snapshot of this test process: taken by ``tests/conftest.py`` once the test
#: database has its Dutch data, put back after every test that committed.
SNAPSHOT = DatabaseSnapshot()
