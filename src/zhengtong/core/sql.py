"""Loading model instances from hand-written SQL, for queries that run on every API call.

Building a query through the ORM costs several times more than running a
simple one, and ``Model.objects.raw`` re-resolves its columns on every call.
A ``RowLoader`` works out once per database which columns to select and how
to convert them, so a hot path can select one model's row (or two joined
models' rows) in plain SQL and still get ordinary instances, converted as the
ORM would (JSON decoded, datetimes aware), that can be saved or related as usual.
"""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


class RowLoader(Generic[M]):
    """Select all of a model's columns under a table alias, and turn such rows into instances."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model = model
        self.alias = alias
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self._prepared: dict[str, tuple[str, list[tuple[int, list[Converter], Any]]]] = {}

    def _prepare(self, using: str) -> tuple[str, list[tuple[int, list[Converter], Any]]]:
        prepared = self._prepared.get(using)
        if prepared is None:
            connection = connections[using]
            quote = connection.ops.quote_name
            columns = ", ".join(f"{self.alias}.{quote(str(f.column))}" for f in self.fields)
            converters = []
            for index, field in enumerate(self.fields):
                expression = field.get_col(self.alias)
                found = [
                    *connection.ops.get_db_converters(expression),
                    *field.get_db_converters(connection),
                ]
                if found:
                    converters.append((index, found, expression))
            prepared = self._prepared[using] = (columns, converters)
        return prepared

    def columns(self, using: str) -> str:
        """The select list for this model's columns, e.g. ``c."id", c."name"``."""
        return self._prepare(using)[0]

    def table(self, using: str) -> str:
        """The model's table, quoted, followed by the alias."""
        quote = connections[using].ops.quote_name
        return f"{quote(str(self.model._meta.db_table))} {self.alias}"

    def load(self, using: str, row: Sequence[Any], start: int = 0) -> M:
        """Make an instance from ``row[start:start + width]``, converted as the ORM would."""
        connection = connections[using]
        values = list(row[start : start + self.width])
        for index, converters, expression in self._prepare(using)[1]:
            value = values[index]
            for convert in converters:
                value = convert(value, expression, connection)
            values[index] = value
        return self.model.from_db(using, self.attnames, values)


def driver_sql(using: str, sql: str) -> str:
    """Rewrite a statement written with ``%s`` placeholders for the driver of ``using``.

    Django's cursor rewrites the placeholders of SQLite statements on every
    execution; a hot path rewrites its statements once with this and runs them
    on ``driver_cursor``.
    """
    if connections[using].vendor == "sqlite":
        return sql.replace("%s", "?").replace("%%", "%")
    return sql


def driver_cursor(using: str) -> Any:
    """A cursor of the database driver itself on the connection ``using``.

    It skips Django's cursor wrapper, which costs several times more than a
    simple statement on SQLite: statements go through ``driver_sql`` first,
    and errors are the driver's own. It runs in the connection's current
    transaction, like any other cursor of that connection.
    """
    connection = connections[using]
    if connection.connection is None:
        connection.ensure_connection()
    return connection.connection.cursor()
