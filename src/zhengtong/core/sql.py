"""Hand-written SQL for statements that run on every API call or action.

Building a query through the ORM costs several times more than running a
simple one, and ``Model.objects.raw`` re-resolves its columns on every call.
A ``RowLoader`` works out once per database which columns to select and how
to convert them, so a hot path can select one model's row (or two joined
models' rows) in plain SQL and still get ordinary instances, converted as the
ORM would (JSON decoded, datetimes aware), that can be saved or related as usual.
A ``RowWriter`` inserts rows the same way, with values converted by the fields,
and ``update_row`` updates one row's given fields.
``quoted_table`` and ``insert_sql`` name a model's table and columns for such
statements.
"""

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from django.db import connections, router
from django.db.models import Field, Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


class RowLoader(Generic[M]):
    """Select all of a model's columns under a table alias, and turn such rows into instances."""

    def __init__(self, model: type[M], alias: str, *, omit: Sequence[str] = ()) -> None:
        """``omit``: fields (by name) left out of the select; the instances defer them."""
        self.model = model
        self.alias = alias
        self.fields = [f for f in model._meta.concrete_fields if f.name not in omit]
        self.attnames = [f.attname for f in self.fields]
        self.width = len(self.fields)
        self._prepared: dict[str, tuple[str, list[tuple[int, list[Converter], Any]]]] = {}
        self._where_sql: dict[tuple[str, ...], str] = {}

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

    def where_equal(self, column: str, value: Any, *, order_by: Sequence[str] = ()) -> list[M]:
        """The instances whose ``column`` (a column name) equals ``value``, in ``order_by`` order.

        For reads of one model on a hot path: the statement is written once per
        database, column and order.
        """
        using = router.db_for_read(self.model)
        key = (using, column, *order_by)
        sql = self._where_sql.get(key)
        if sql is None:
            quote = connections[using].ops.quote_name
            sql = (
                f"SELECT {self.columns(using)} FROM {self.table(using)}"  # noqa: S608
                f" WHERE {self.alias}.{quote(column)} = %s"
            )
            if order_by:
                sql += " ORDER BY " + ", ".join(f"{self.alias}.{quote(c)}" for c in order_by)
            self._where_sql[key] = sql
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [value])
            return [self.load(using, row) for row in cursor.fetchall()]

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


def quoted_table(using: str, model: type[Model]) -> tuple[str, dict[str, str]]:
    """The model's table and its columns by field name, quoted for ``using``."""
    quote = connections[using].ops.quote_name
    columns = {f.name: quote(str(f.column)) for f in model._meta.concrete_fields}
    return quote(str(model._meta.db_table)), columns


def insert_sql(using: str, model: type[Model], fields: Sequence[str]) -> str:
    """The INSERT of ``fields`` (field names) of ``model``, with ``%s`` placeholders."""
    table, columns = quoted_table(using, model)
    names = ", ".join(columns[name] for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    # Names come from the models; values are bound parameters.
    return f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608


def execute_rows(cursor: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run ``sql`` once per row: a single row with ``execute``, more with ``executemany``.

    psycopg runs ``executemany`` in pipeline mode, whose set-up costs more than
    it saves for the single row most actions add.
    """
    if len(rows) == 1:
        cursor.execute(sql, rows[0])
    elif rows:
        cursor.executemany(sql, rows)


# Bound values per statement of ``insert_rows``: SQLite before 3.32 took at
# most 999, later versions and PostgreSQL far more.
_VALUES_PER_STATEMENT = 999


def rows_statement(insert: str, count: int) -> str:
    """``insert`` (``INSERT INTO t (columns) VALUES (...)``) with ``count`` rows of values."""
    head, values, row = insert.partition(" VALUES ")
    return head + values + ", ".join([row] * count)


def insert_rows(
    cursor: Any, insert: str, rows: Sequence[Sequence[Any]], returning: str = ""
) -> list[tuple[Any, ...]]:
    """INSERT rows with several to a statement; return the ``RETURNING`` rows, if asked.

    The drivers let go of the interpreter lock around each statement they
    run, and a thread taking it back waits behind the process's busy
    threads: a row per statement (``executemany``) inside a transaction that
    others queue for meant waiting for the lock once a row. Here a batch of
    ``n`` rows is one statement per set bit of ``n`` (16 + 4 + 1 for 21), so
    that a table needs few statement texts, which the driver keeps prepared.
    ``returning`` (say ``" RETURNING id"``) is added to each statement; the
    rows come back in no promised order.
    """
    if not rows:
        return []
    width = len(rows[0])
    largest = 1 << max(0, (_VALUES_PER_STATEMENT // max(1, width)).bit_length() - 1)
    returned: list[tuple[Any, ...]] = []
    start = 0
    while start < len(rows):
        left = len(rows) - start
        count = largest if left >= largest else 1 << (left.bit_length() - 1)
        chunk = rows[start : start + count]
        start += count
        sql = _multi_row_sql(insert, count) + returning
        cursor.execute(sql, [value for row in chunk for value in row])
        if returning:
            returned.extend(tuple(row) for row in cursor.fetchall())
    return returned


_MULTI_ROW: dict[tuple[str, int], str] = {}


def _multi_row_sql(insert: str, count: int) -> str:
    key = (insert, count)
    sql = _MULTI_ROW.get(key)
    if sql is None:
        sql = _MULTI_ROW[key] = rows_statement(insert, count)
    return sql


class RowWriter(Generic[M]):
    """INSERT rows of one model, given as field-name → value mappings.

    Foreign keys take the related row's id. ``objects.create`` and
    ``bulk_create`` build the statement anew on every call, at several times
    the cost of running it; here it is written once per database.
    """

    def __init__(self, model: type[M], fields: Sequence[str]) -> None:
        self.model = model
        self.fields = [model._meta.get_field(name) for name in fields]
        self._sql: dict[str, str] = {}

    def insert(self, rows: Iterable[Mapping[str, Any]]) -> None:
        using = router.db_for_write(self.model)
        connection = connections[using]
        values = [
            [
                field.get_db_prep_save(row[field.name], connection)  # type: ignore[union-attr]
                for field in self.fields
            ]
            for row in rows
        ]
        if not values:
            return
        sql = self._sql.get(using)
        if sql is None:
            names = [field.name for field in self.fields]
            sql = self._sql[using] = insert_sql(using, self.model, names)
        with connection.cursor() as cursor:
            execute_rows(cursor, sql, values)


_UPDATES: dict[tuple[str, type[Model], tuple[str, ...]], tuple[str, list[Field[Any, Any]]]] = {}


def update_row(model: type[Model], pk: Any, values: Mapping[str, Any]) -> None:
    """UPDATE the given fields (by name; foreign keys take the related row's id) of one row.

    Values are converted by the fields, as ``save`` would; the statement is
    written once per database, model and field list, where the ORM's update
    built it anew every time, at several times the cost of running it.
    """
    using = router.db_for_write(model)
    key = (using, model, tuple(values))
    prepared = _UPDATES.get(key)
    if prepared is None:
        table, columns = quoted_table(using, model)
        fields = [concrete_field(model, name) for name in values]
        assignments = ", ".join(f"{columns[field.name]} = %s" for field in fields)
        sql = f"UPDATE {table} SET {assignments} WHERE {columns['id']} = %s"  # noqa: S608
        prepared = _UPDATES[key] = (sql, fields)
    sql, fields = prepared
    connection = connections[using]
    params = [field.get_db_prep_save(values[field.name], connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, pk])


def concrete_field(model: type[Model], name: str) -> Field[Any, Any]:
    """The model's field of this name, which must be a column."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field):
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


@contextmanager
def pipelined(using: str) -> Iterator[None]:
    """PostgreSQL: send the block's statements without waiting for each one's answer.

    Inside a transaction, a write whose result nobody reads costs a round
    trip to the server; in psycopg's pipeline mode such statements queue up
    and go with the next one whose rows are read, or at the end of the
    block. An error in a queued statement is raised there instead, and the
    transaction around the block rolls back as for any error. Elsewhere a
    plain block.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    # Errors raised when the queued statements' answers arrive are Django's, as elsewhere.
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield
