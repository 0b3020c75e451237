"""Django's SQLite backend, with write transactions taking turns on a file lock.

SQLite lets one writer at a time hold the database. A transaction that finds
it held retries under SQLite's busy handler, which sleeps 1, 2, 5, 10 … up to
100 ms between tries: with two or more server processes (or threads) writing,
the waiting writers spend more time asleep than the writes take, and
throughput falls below that of a single process. Here every transaction
Django starts (``atomic`` blocks begin ``BEGIN IMMEDIATE``) first takes an
exclusive ``flock`` on a lock file beside the database and gives it back when
it commits, rolls back or closes: a waiting writer wakes the moment the
previous one is done. The lock only orders writers; SQLite's own locking still
decides what is safe, so a writer that does not take it (a statement outside
``atomic``, another program) is merely not queued.

In-memory databases (the test suite's) and systems without ``fcntl`` use
SQLite's own retries only.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

from django.db.backends.sqlite3 import base

try:
    import fcntl
except ImportError:  # not POSIX
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".transaction-lock"

# Binding None is costly in Python 3.11's driver: with no adapter registered
# for it, the driver asks the protocol type for one, and that failed attribute
# look-up formats and clears an AttributeError for every None bound. An
# adapter that returns None binds NULL exactly as before, without the
# exception; a C-level callable adds no Python frame. A reading row of the
# HJ 212 receiver (twelve columns, five of them empty in a real-time upload)
# went from 3.1 to 1.3 µs to bind and insert. Registering an adapter for None
# does not turn off the driver's fast path for ints, floats and texts, which
# only adapters for those types do.
_NOTHING: dict[object, None] = {}
sqlite3.register_adapter(type(None), _NOTHING.get)


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._turn_descriptor: int | None = None
        self._holding_turn = False

    def _lock_descriptor(self) -> int | None:
        if self._turn_descriptor is None:
            name = str(self.settings_dict["NAME"])
            if fcntl is None or not name or self.is_in_memory_db():
                return None
            # One open file per connection: flock excludes other open files,
            # so threads of one process queue as processes do.
            self._turn_descriptor = os.open(name + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
        return self._turn_descriptor

    def _take_turn(self) -> None:
        descriptor = self._lock_descriptor()
        if descriptor is not None and not self._holding_turn:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            self._holding_turn = True

    def _end_turn(self) -> None:
        if self._holding_turn and self._turn_descriptor is not None:
            self._holding_turn = False
            fcntl.flock(self._turn_descriptor, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self) -> None:
        self._take_turn()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._end_turn()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._end_turn()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._end_turn()
            if self._turn_descriptor is not None and self.connection is None:
                os.close(self._turn_descriptor)
                self._turn_descriptor = None
