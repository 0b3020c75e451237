"""Django's PostgreSQL backend, keeping bulk statements under the server's limit on parameters.

The settings have the server bind each statement's parameters (sent apart
from its text, so that a statement run again is parsed and planned once).
The server then takes at most 65,535 parameters a statement, where text bound
on the client had no limit; Django 5.2 does not know this, and would send a
``bulk_create`` or ``bulk_update`` of any number of rows as one statement.
Here they are split into statements under the limit, as Django does for
SQLite and Oracle.

``core.sql.pipelined`` is the other PostgreSQL-only piece: a block whose
writes go to the server without waiting for each one's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.backends.postgresql import base, features, operations
from django.db.models import CompositePrimaryKey

# The protocol counts a statement's parameters in a 16-bit field.
MAX_BOUND_PARAMETERS = 65_535


class DatabaseFeatures(features.DatabaseFeatures):
    @property
    def max_query_params(self) -> int | None:  # type: ignore[override]
        return MAX_BOUND_PARAMETERS if self.uses_server_side_binding else None


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields: Sequence[Any], objs: Sequence[Any]) -> int:
        limit = self.connection.features.max_query_params
        columns = sum(
            len(field.fields) if isinstance(field, CompositePrimaryKey) else 1 for field in fields
        )
        if limit is None or not columns:
            return len(objs)
        # Half: bulk_update binds two parameters a field and row (its CASE …
        # WHEN pk THEN value) where Django counts one.
        return max(1, limit // (2 * columns))


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations
