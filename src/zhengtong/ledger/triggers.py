"""Database triggers that make the ledger tables append-only, on PostgreSQL and SQLite.

Entries, tree nodes and signed tree heads refuse every UPDATE and DELETE,
whoever sends it: the application, an administrator's SQL console or a
script. The head pointer row is the one mutable row and is not covered; the
verifier checks it against the rest.

The single exception is ``flush`` (this app overrides the command), which
empties the whole database on purpose, test runs included: on PostgreSQL it
truncates, which the TRUNCATE trigger lets through only while the session
setting ``zhengtong.ledger_flush`` is on; on SQLite it deletes, which the
DELETE triggers let through only while the connection's
``zhengtong_ledger_flushing()`` function says so. That function exists only
in connections opened by the platform, so a DELETE from any other SQLite
client fails as well.

A later migration that rebuilds one of these tables on SQLite (SQLite's way
of altering a column) drops its triggers with the old table and must create
them again; ``ledger_verify`` reports missing triggers.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

APPEND_ONLY_TABLES = ("ledger_ledgerentry", "ledger_ledgernode", "ledger_signedtreehead")
SQLITE_FLUSH_FUNCTION = "zhengtong_ledger_flushing"
PG_FUNCTION = "zhengtong_ledger_append_only"
PG_FLUSH_SETTING = "zhengtong.ledger_flush"

_state = threading.local()


def _flushing() -> int:
    return 1 if getattr(_state, "flushing", 0) else 0


def install_sqlite_function(connection: BaseDatabaseWrapper) -> None:
    """Give a SQLite connection the function its DELETE triggers consult."""
    if connection.connection is not None:
        connection.connection.create_function(SQLITE_FLUSH_FUNCTION, 0, _flushing)


def on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        install_sqlite_function(connection)


@contextmanager
def flush_allowed(using: str) -> Iterator[None]:
    """Let ``flush`` empty the ledger tables of database ``using`` for the duration."""
    connection = connections[using]
    _state.flushing = getattr(_state, "flushing", 0) + 1
    try:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET {PG_FLUSH_SETTING} = 'on'")
        yield
    finally:
        _state.flushing -= 1
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {PG_FLUSH_SETTING}")


def _refusal(operation: str, table: str) -> str:
    return f"the audit ledger is append-only: {operation} on {table} refused"


def _sqlite_statements() -> list[str]:
    statements = []
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{_refusal('UPDATE', table)}'); END"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN NOT {SQLITE_FLUSH_FUNCTION}() "
            f"BEGIN SELECT RAISE(ABORT, '{_refusal('DELETE', table)}'); END"
        )
    return statements


def _postgresql_statements() -> list[str]:
    statements = [
        f"""
        CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE'
               AND coalesce(current_setting('{PG_FLUSH_SETTING}', true), '') = 'on' THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION 'the audit ledger is append-only: % on % refused',
                TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    return statements


def create_triggers(schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        install_sqlite_function(schema_editor.connection)
        statements = _sqlite_statements()
    elif vendor == "postgresql":
        statements = _postgresql_statements()
    else:
        raise NotImplementedError(f"append-only triggers for {vendor} are not written yet")
    for sql in statements:
        # params=None: the SQL holds literal % signs that must not be taken
        # for placeholders.
        schema_editor.execute(sql, params=None)


def drop_triggers(schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    statements: list[str] = []
    for table in APPEND_ONLY_TABLES:
        if vendor == "sqlite":
            statements.append(f"DROP TRIGGER IF EXISTS {table}_no_update")
            statements.append(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        elif vendor == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            statements.append(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    if vendor == "postgresql":
        statements.append(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
    for sql in statements:
        schema_editor.execute(sql, params=None)


def expected_triggers(vendor: str) -> set[tuple[str, str]]:
    """Return the (table, trigger) pairs that must exist on a database of ``vendor``."""
    suffixes = ("no_update", "no_delete") if vendor == "sqlite" else ("append_only", "no_truncate")
    return {(table, f"{table}_{suffix}") for table in APPEND_ONLY_TABLES for suffix in suffixes}


def installed_triggers(connection: BaseDatabaseWrapper) -> set[tuple[str, str]]:
    """Return the (table, trigger) pairs present on the ledger tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal AND t.tgenabled <> 'D'"
            )
        else:
            return set()
        return {(str(table), str(name)) for table, name in cursor.fetchall()}
