"""Model objects from hand-written SQL, for the few reads that every request makes.

Reading one row through a QuerySet costs far more than the database takes to answer it:
building and compiling the query (joins, annotations, subqueries) and turning the row
into objects take about 1 to 2 ms of CPU, the round trip to PostgreSQL some 0.05 ms. For
the member of every request and the thread of every thread page that is a large part of
the page's cost. ``Columns`` lists a model's columns once, reads them in the order of its
fields and makes the instance the way the ORM does (``Model.from_db``, with the database
backend's and the fields' own value converters, which SQLite needs for times and booleans).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache, cached_property
from typing import Any

from django.db import connections
from django.db.models import F, Field, Model, Q, Value
from django.db.models.lookups import Lookup


@cache
def _converters_of(field: Field, using: str) -> tuple[Any, list]:
    """The column expression and the value converters the ORM applies to ``field``."""
    connection = connections[using]
    column = field.get_col(field.model._meta.db_table)
    return column, connection.ops.get_db_converters(column) + field.get_db_converters(connection)


def among(column: str, values: Sequence[Any], using: str = "default") -> tuple[str, list]:
    """``column`` is one of ``values``, as SQL and its parameters. On PostgreSQL one array
    parameter (``= ANY(%s)``), so that the statement's text, and its prepared plan, are
    the same however many values there are; elsewhere ``IN (%s, ...)``."""
    if not values:
        raise ValueError("among() needs at least one value")
    if connections[using].vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


class AnyOf(Lookup):
    """``field = ANY(array)``: the ids travel as one array parameter, not one each."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(({rhs})::bigint[])", [*lhs_params, *rhs_params]


class IdArray(Field):
    """A list of ids handed to the driver as it is (ArrayField would convert each id)."""

    def db_type(self, connection):
        return "bigint[]"


def one_of(field: str, ids: Collection[int], using: str = "default") -> Q | AnyOf:
    """A filter: ``field`` is one of the ``ids``. On PostgreSQL one array parameter, for
    ``among``'s reasons and one more: the driver rewrites every ``%s`` of a long statement
    in Python (a thousand ids cost it milliseconds); elsewhere ``field__in``."""
    if connections[using].vendor == "postgresql":
        return AnyOf(F(field), Value(list(ids), output_field=IdArray()))
    return Q(**{f"{field}__in": ids})


def from_database(field: Field, value: Any, using: str = "default") -> Any:
    """A value of ``field`` read with plain SQL, as the ORM would give it (SQLite, for
    one, returns times as text and booleans as integers)."""
    column, converters = _converters_of(field, using)
    for converter in converters:
        value = converter(value, column, connections[using])
    return value


class Columns:
    """The concrete columns of ``model``, selected from the table under ``alias``."""

    def __init__(self, model: type[Model], alias: str, using: str = "default") -> None:
        self.model = model
        self.alias = alias
        self.using = using
        self.fields = list(model._meta.concrete_fields)
        self.names = [field.attname for field in self.fields]

    @property
    def connection(self):
        return connections[self.using]

    @cached_property
    def sql(self) -> str:
        """``alias.col1, alias.col2, ...``, for a SELECT list."""
        q = self.connection.ops.quote_name
        return ", ".join(f"{self.alias}.{q(field.column)}" for field in self.fields)

    @cached_property
    def table(self) -> str:
        return f"{self.connection.ops.quote_name(self.model._meta.db_table)} {self.alias}"

    @cached_property
    def _converted(self) -> list[tuple[int, Field]]:
        """The fields whose values the ORM converts, by position."""
        return [(index, field) for index, field in enumerate(self.fields) if _converters_of(field, self.using)[1]]

    def __len__(self) -> int:
        return len(self.fields)

    def make(self, values: Sequence[Any]) -> Model:
        """The instance for this model's part of a row (``len(self)`` values, in order)."""
        values = list(values)
        for index, field in self._converted:
            values[index] = from_database(field, values[index], self.using)
        return self.model.from_db(self.using, self.names, values)

    def fetch(self, where: str, params: Sequence[Any], order_by: str = "") -> list[Model]:
        """The instances of the rows that match ``where`` (SQL on this alias), in ``order_by``."""
        sql = f"SELECT {self.sql} FROM {self.table} WHERE {where}" + (f" ORDER BY {order_by}" if order_by else "")
        with self.connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return [self.make(row) for row in cursor.fetchall()]


class Column:
    """One column of a hand-written row: the name it gets, its SQL, and the model field
    whose converters turn the database's value into the ORM's (None: used as it comes)."""

    __slots__ = ("name", "sql", "model", "field_name")

    def __init__(self, name: str, sql: str, model: type[Model] | None = None, field_name: str | None = None) -> None:
        self.name, self.sql, self.model, self.field_name = name, sql, model, field_name

    @property
    def field(self) -> Field | None:
        return None if self.model is None else self.model._meta.get_field(self.field_name or self.name)


class RowSpec:
    """The columns of a hand-written row, listed once: the SELECT list, the names, the
    conversion of a fetched row and the frozen dataclass that holds it are all made from
    this list, so adding a column is one line and nothing can fall out of step."""

    def __init__(self, *columns: Column, using: str = "default") -> None:
        self.columns = columns
        self.using = using
        self.names = tuple(column.name for column in columns)

    @cached_property
    def select(self) -> str:
        return ", ".join(column.sql for column in self.columns)

    @cached_property
    def _converted(self) -> list[tuple[int, Field]]:
        fields = [(index, column.field) for index, column in enumerate(self.columns)]
        return [(index, field) for index, field in fields if field is not None and _converters_of(field, self.using)[1]]

    def convert(self, row: Sequence[Any]) -> list[Any]:
        """The row's values as the ORM would give them, in column order."""
        values = list(row[: len(self.columns)])
        for index, field in self._converted:
            values[index] = from_database(field, values[index], self.using)
        return values

    def dataclass(self, name: str, *, bases: tuple[type, ...] = (), namespace: dict[str, Any] | None = None) -> type:
        """A frozen dataclass with a field per column (``make(row)`` builds one from a fetched row)."""
        import dataclasses

        cls = dataclasses.make_dataclass(
            name,
            [(column_name, Any) for column_name in self.names],
            bases=bases,
            namespace=namespace,
            frozen=True,
            slots=True,
        )
        spec = self

        def make(row: Sequence[Any]):
            return cls(*spec.convert(row))

        cls.make = staticmethod(make)
        return cls
